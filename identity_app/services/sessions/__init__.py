"""Verification sessions as operators handle them: links, search, detail, decisions, deletion, expiry."""
