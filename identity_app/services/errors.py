"""Domain errors: each carries a message fit to show the person who caused it."""
from __future__ import annotations

import math
from datetime import datetime, timezone


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


class NotSignedIn(AuthenticationError):
    """No live console sign-in behind the request (signed out, expired, ended elsewhere)."""

    def __init__(self, message: str = "Your sign-in has ended. Sign in again.") -> None:
        super().__init__(message)


class LockedOut(AuthenticationError):
    """Too many wrong passwords or codes from this browser or address: wait until `retry_at`."""

    def __init__(self, retry_at: datetime, now: datetime | None = None) -> None:
        self.retry_at = retry_at
        wait = max(1, math.ceil((retry_at - (now or datetime.now(timezone.utc))).total_seconds()))
        human = (f"{wait} second{'s' if wait > 1 else ''}" if wait < 120 else f"{math.ceil(wait / 60)} minutes")
        super().__init__(f"Too many attempts. Wait {human}, then try again.")


class Conflict(DomainError):
    pass
