"""Password hashing (argon2id) with a constant-time path for unknown emails."""
from __future__ import annotations

from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from identity_app.services.errors import ValidationError

MIN_PASSWORD_LENGTH = 10

_hasher = PasswordHasher()


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    return _hasher.hash("timing-equaliser-not-a-password")


def hash_password(password: str) -> str:
    check_password_policy(password)
    return _hasher.hash(password)


def check_password_policy(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValidationError(f"Choose a password of at least {MIN_PASSWORD_LENGTH} characters.")
    if len(password) > 1024:
        raise ValidationError("That password is too long (1024 characters at most).")


def verify_password(password_hash: str | None, password: str) -> bool:
    """True when the password matches; always does the same argon2 work."""
    try:
        return _hasher.verify(password_hash or _dummy_hash(), password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False
