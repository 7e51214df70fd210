"""Domain errors: each carries a message fit to show the person who caused it."""
from __future__ import annotations

from datetime import datetime


class DomainError(Exception):
    """Base class; `str(error)` is a user-facing message."""


class ValidationError(DomainError):
    pass


class NotFound(DomainError):
    pass


class Forbidden(DomainError):
    def __init__(self, message: str = "You do not have permission to do that.") -> None:
        super().__init__(message)


class AuthenticationError(DomainError):
    pass


class SignInExpired(AuthenticationError):
    pass


class LockedOut(AuthenticationError):
    def __init__(self, retry_at: datetime) -> None:
        self.retry_at = retry_at
        super().__init__(
            "Too many wrong codes. Try again after "
            f"{retry_at.strftime('%H:%M')} UTC."
        )


class Conflict(DomainError):
    pass
