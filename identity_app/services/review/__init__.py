"""Deciding: running the checks (verification), the manual review queue, completing a session."""
