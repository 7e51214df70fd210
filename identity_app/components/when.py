"""A timestamp as the console's tables show it, read from a datetime a state holds.

Reflex sends a datetime to the browser as Python's str() of it, "2026-11-29 20:59:12.5+00:00"
(the database keeps UTC): its first 16 or 19 characters are the minute or the second."""
from __future__ import annotations

import reflex as rx


def timestamp(value: rx.Var, *, seconds: bool = False) -> rx.Var:
    return value.to(str)[:19 if seconds else 16]
