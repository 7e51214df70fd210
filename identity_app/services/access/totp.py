"""TOTP codes: enrolment material, single-use verification, recovery codes."""
from __future__ import annotations

import base64
import hashlib
import io
import secrets
import time
from dataclasses import dataclass

import pyotp
import qrcode
import qrcode.image.svg

from identity_app.crypto import decrypt, derive_key, encrypt
from identity_app.settings import get_settings

ISSUER = "Identity Verification"
STEP_SECONDS = 30


@dataclass(frozen=True)
class Provisioning:
    secret: str
    uri: str
    qr_svg_data_uri: str


def _key() -> bytes:
    return derive_key(get_settings().secret_key.get_secret_value(), "totp")


def seal_secret(secret: str) -> str:
    return base64.b64encode(encrypt(_key(), secret.encode(), b"totp")).decode()


def open_secret(sealed: str) -> str:
    return decrypt(_key(), base64.b64decode(sealed), b"totp").decode()


def new_secret() -> str:
    return pyotp.random_base32()


def provisioning(email: str, secret: str) -> Provisioning:
    uri = pyotp.TOTP(secret).provisioning_uri(name=email, issuer_name=ISSUER)
    return Provisioning(secret, uri, qr_svg_data_uri(uri))


def qr_svg_data_uri(text: str) -> str:
    """A QR code as an inline SVG data URI (no file, nothing public)."""
    img = qrcode.make(text, image_factory=qrcode.image.svg.SvgPathImage, box_size=10, border=2)
    buf = io.BytesIO()
    img.save(buf)
    return "data:image/svg+xml;base64," + base64.b64encode(buf.getvalue()).decode()


def matching_step(secret: str, code: str, now: float | None = None) -> int | None:
    """The time step whose code equals `code` (current one and its neighbours)."""
    code = code.strip().replace(" ", "")
    if not (code.isdigit() and len(code) == 6):
        return None
    totp = pyotp.TOTP(secret)
    current = int((now if now is not None else time.time()) // STEP_SECONDS)
    for step in (current, current - 1, current + 1):
        if secrets.compare_digest(totp.at(step * STEP_SECONDS), code):
            return step
    return None


def new_recovery_codes(count: int = 8) -> list[str]:
    alphabet = "abcdefghjkmnpqrstuvwxyz23456789"
    return [
        "-".join("".join(secrets.choice(alphabet) for _ in range(5)) for _ in range(2))
        for _ in range(count)
    ]


def hash_recovery_code(code: str) -> str:
    return hashlib.sha256(code.strip().lower().encode()).hexdigest()
