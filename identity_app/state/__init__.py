"""Thin Reflex states: check access, call one service, show the result."""
