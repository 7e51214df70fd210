"""Keys derived from the one secret, AES-GCM for data at rest, token hashing."""
from __future__ import annotations

import hashlib
import hmac
import os
import secrets

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

NONCE_BYTES = 12


class DecryptionError(Exception):
    """Ciphertext was altered, truncated, or made with another key."""


def derive_key(secret: str, purpose: str) -> bytes:
    """A 256-bit key for one purpose (media, totp), derived from the app secret."""
    return HKDF(
        algorithm=hashes.SHA256(), length=32, salt=b"identity-app/v1", info=purpose.encode()
    ).derive(secret.encode())


def encrypt(key: bytes, plaintext: bytes, associated: bytes = b"") -> bytes:
    nonce = os.urandom(NONCE_BYTES)
    return nonce + AESGCM(key).encrypt(nonce, plaintext, associated or None)


def decrypt(key: bytes, blob: bytes, associated: bytes = b"") -> bytes:
    if len(blob) < NONCE_BYTES + 16:
        raise DecryptionError("ciphertext too short")
    try:
        return AESGCM(key).decrypt(blob[:NONCE_BYTES], blob[NONCE_BYTES:], associated or None)
    except Exception as exc:  # cryptography raises InvalidTag
        raise DecryptionError("ciphertext failed authentication") from exc


def new_token(nbytes: int = 32) -> str:
    """A urlsafe random token (default 256 bits)."""
    return secrets.token_urlsafe(nbytes)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def same(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())
