"""Yoti compatibility: a request signed the way Yoti's SDKs sign them, checked against an SDK key.

A Yoti SDK signs `METHOD&<path after the API base>?<query as sent>` (plus `&<base64 of the body>`
when there is one) with the application's private key (RSA PKCS#1 v1.5, SHA-256) and sends the
signature, base64, in `X-Yoti-Auth-Digest`. The query carries `sdkId` (which key), `nonce` and
`timestamp` (milliseconds). We keep only the public half of the key (services/api/sdk_keys.py).

A request is admitted when its signature verifies, its timestamp is within CLOCK_SKEW of ours and
its nonce was not seen in the last NONCE_MEMORY. The nonces live in the audit trail: every
admitted request is an API_REQUEST event (target sdk_key:<id>) that names its nonce, which also
counts the key's requests for the rate limit, exactly as for API keys. The key's row is written
while a request is admitted, so two copies of one request sent at once cannot both pass."""
from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from functools import lru_cache
from urllib.parse import parse_qs

import sqlalchemy as sa
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from sqlmodel import Session, func, select

from identity_app.models import ApiScope, AuditAction, AuditEvent, SdkKey, utcnow
from identity_app.services import audit
from identity_app.services.access.auth import ApiKeyActor
from identity_app.services.api import keys
from identity_app.services.api.sdk_keys import live_key
from identity_app.services.errors import AuthenticationError

DIGEST_HEADER = "X-Yoti-Auth-Digest"
CLOCK_SKEW = timedelta(minutes=5)
# A timestamp stays acceptable until CLOCK_SKEW after it, and may be CLOCK_SKEW ahead of our clock:
# a nonce must be remembered for twice the skew after it arrived.
NONCE_MEMORY = 2 * CLOCK_SKEW
MAX_NONCE = 100
MAX_TRIAL_KEYS = 500  # a request without sdkId (supported documents) is tried against this many live keys


class BadSignature(AuthenticationError):
    """The request is not signed by a live SDK key, or it is stale or replayed (the edge answers 401)."""

    def __init__(self, message: str = "The request is not signed with a live SDK key.") -> None:
        super().__init__(message)


@dataclass(frozen=True)
class SignedRequest:
    """What the signature covers, as it arrived (nothing decoded or re-encoded)."""

    method: str
    path: str    # after the compatibility prefix, e.g. "/sessions/12"
    query: str   # the raw query string, e.g. "sdkId=...&nonce=...&timestamp=..."
    body: bytes
    digest: str  # the X-Yoti-Auth-Digest header

    def param(self, name: str) -> str:
        values = parse_qs(self.query, keep_blank_values=True).get(name) or [""]
        return values[0]

    def messages(self) -> tuple[bytes, ...]:
        """The signed text. Without a body the SDK signs no `&...` part; a client that signs an empty
        body adds a bare `&`, so both are accepted."""
        base = f"{self.method.upper()}&{self.path}?{self.query}"
        if self.body:
            return ((base + "&" + base64.b64encode(self.body).decode("ascii")).encode(),)
        return (base.encode(), (base + "&").encode())


@dataclass(frozen=True)
class SdkKeyActor(ApiKeyActor):
    """A team's backend calling through a Yoti SDK with one of its application's SDK keys: an API
    key actor with every scope (Yoti's keys are not scoped). `key_id` stays 0: it names API keys
    (api_key:<id>), and an SDK key's requests are audited and counted as sdk_key:<id>."""

    sdk_key_id: int = 0
    sdk_id: str = ""

    @property
    def via(self) -> str:
        return f"Yoti SDK key {self.sdk_id[:8]}"

    @property
    def audit_target(self) -> str:
        return f"sdk_key:{self.sdk_key_id}"


@lru_cache(maxsize=512)
def _public_key(pem: str) -> rsa.RSAPublicKey | None:
    try:
        key = serialization.load_pem_public_key(pem.encode())
    except (ValueError, UnsupportedAlgorithm):
        return None
    return key if isinstance(key, rsa.RSAPublicKey) else None


def signature_valid(public_key_pem: str, request: SignedRequest) -> bool:
    key = _public_key(public_key_pem)
    try:
        signature = base64.b64decode(request.digest.strip(), validate=True)
    except (binascii.Error, ValueError):
        return False
    if key is None or not signature or len(signature) > 1024:
        return False
    for message in request.messages():
        try:
            key.verify(signature, message, padding.PKCS1v15(), hashes.SHA256())
            return True
        except InvalidSignature:
            continue
    return False


def timestamp_of(raw: str) -> datetime | None:
    """The request's time: the Python SDK sends milliseconds; seconds and microseconds (other
    clients) are told apart by their size."""
    if not raw.isdigit() or len(raw) > 20:
        return None
    value = int(raw)
    seconds = value / 1_000_000 if value >= 10**14 else value / 1000 if value >= 10**11 else float(value)
    try:
        return datetime.fromtimestamp(seconds, tz=timezone.utc)
    except (OverflowError, OSError, ValueError):
        return None


def _key_for(db: Session, request: SignedRequest) -> SdkKey | None:
    sdk_id = request.param("sdkId")
    if sdk_id:
        key = live_key(db, sdk_id)
        return key if key is not None and signature_valid(key.public_key_pem, request) else None
    # Yoti's supported-documents call names no sdkId: the signature says whose it is.
    live = db.exec(select(SdkKey).where(SdkKey.revoked_at.is_(None))  # type: ignore[union-attr]
                   .order_by(SdkKey.id.desc()).limit(MAX_TRIAL_KEYS)).all()  # type: ignore[union-attr]
    return next((k for k in live if signature_valid(k.public_key_pem, request)), None)


def _nonce_seen(db: Session, target: str, nonce: str, now: datetime) -> bool:
    count = db.exec(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.action == AuditAction.API_REQUEST, AuditEvent.target == target,
        AuditEvent.at > now - NONCE_MEMORY,
        AuditEvent.details["nonce"].as_string() == nonce)).one()  # type: ignore[index]
    return int(count) > 0


def admit(db: Session, request: SignedRequest, *, limit_per_minute: int, ip: str = "",
          now: datetime | None = None) -> SdkKeyActor:
    """The SDK key that signed `request`, once its timestamp, nonce and rate are checked; the
    request is then on the audit trail (the caller commits). BadSignature or keys.RateLimited."""
    now = now or utcnow()
    key = _key_for(db, request)
    if key is None:
        raise BadSignature()
    assert key.id is not None
    # Serialise this key's admissions, so the nonce check and its record are one step: a write to
    # the key's row (PostgreSQL locks the row; SQLite takes its write lock here, where a SELECT ...
    # FOR UPDATE would be ignored and two copies read "unseen" before either writes).
    db.exec(sa.update(SdkKey).where(SdkKey.id == key.id).values(sdk_id=SdkKey.sdk_id))  # type: ignore[call-overload]
    stamp = timestamp_of(request.param("timestamp"))
    if stamp is None or abs(now - stamp) > CLOCK_SKEW:
        raise BadSignature(f"The request's timestamp must be within {int(CLOCK_SKEW.total_seconds() // 60)} "
                           "minutes of the server's clock.")
    nonce = request.param("nonce")
    actor = SdkKeyActor(id=None, email=f"sdk-key:{key.sdk_id[:8]}", name="Yoti SDK key", is_owner=False,  # type: ignore[arg-type]
                        totp_enrolled=True, application_id=key.application_id,
                        scopes=frozenset(s.value for s in ApiScope), key_id=0, sdk_key_id=key.id, sdk_id=key.sdk_id)
    if not nonce or len(nonce) > MAX_NONCE or _nonce_seen(db, actor.audit_target, nonce, now):
        raise BadSignature("The request's nonce is missing or was used before.")
    keys.check_target_rate(db, actor.audit_target, limit_per_minute, now)
    audit.record(db, AuditAction.API_REQUEST, actor=actor.email, application_id=key.application_id,
                 target=actor.audit_target, ip=ip, method=request.method.upper(), path=request.path[:200],
                 nonce=nonce)
    return actor
