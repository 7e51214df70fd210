"""What a person types in a filter (a form field or a URL parameter), read the same way by every edge."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Generic, TypeVar

from identity_app.services.errors import ValidationError

Row = TypeVar("Row")


@dataclass(frozen=True)
class Page(Generic[Row]):
    """One page of a list (sessions, audit events) and where it stands in the whole."""

    rows: tuple[Row, ...]
    total: int
    page: int
    page_size: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.page_size))


def day(raw: str | None) -> date | None:
    """An ISO day (YYYY-MM-DD); nothing typed is no day."""
    raw = (raw or "").strip()
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise ValidationError(f"'{raw}' is not a date (use YYYY-MM-DD).") from None


def number(raw: str | None, refusal: str) -> int | None:
    """A whole number (digits only; `refusal` says what else was typed); nothing typed is none."""
    raw = (raw or "").strip()
    if not raw:
        return None
    if not (raw.isascii() and raw.isdigit()):
        raise ValidationError(refusal)
    return int(raw)
