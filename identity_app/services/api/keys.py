"""API keys: made, listed and revoked by an operator who manages the application; a team's backend
presents one as `Authorization: Bearer idv_<prefix>_<secret>`. The key is shown once; the database
keeps its SHA-256 and its prefix (what the console lists). Every request a key makes is an audit
event, and a key makes at most `requests_per_minute` of them (counted from those events, so every
web process counts the same)."""
from __future__ import annotations

import math
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session, func, select

from identity_app.crypto import hash_token
from identity_app.models import ApiKey, ApiScope, Application, AuditAction, AuditEvent, Permission, utcnow
from identity_app.services import audit
from identity_app.services.access.auth import ApiKeyActor, OperatorView
from identity_app.services.access.permissions import require
from identity_app.services.errors import DomainError, NotFound, ValidationError

KEY_PATTERN = re.compile(r"^idv_([a-z2-7]{8})_([A-Za-z0-9_-]{20,100})$")
LAST_USED_EVERY = timedelta(minutes=1)  # last_used_at is written at most this often


class RateLimited(DomainError):
    def __init__(self, retry_after_s: int) -> None:
        self.retry_after_s = retry_after_s
        super().__init__(f"Too many requests with this key. Try again in {retry_after_s} seconds.")


@dataclass(frozen=True)
class ApiKeyView:
    id: int
    name: str
    prefix: str
    scopes: tuple[str, ...]
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


@dataclass(frozen=True)
class CreatedKey:
    key: ApiKeyView
    token: str  # shown once, never stored


def _view(k: ApiKey) -> ApiKeyView:
    assert k.id is not None
    return ApiKeyView(k.id, k.name, k.prefix, tuple(k.scopes), k.created_at, k.last_used_at, k.revoked_at)


def clean_scopes(scopes: list[str] | tuple[str, ...]) -> list[str]:
    chosen = {s for s in scopes}
    unknown = chosen - {s.value for s in ApiScope}
    if unknown or not chosen:
        raise ValidationError("Choose at least one scope: " + ", ".join(s.value for s in ApiScope) + ".")
    return [s.value for s in ApiScope if s.value in chosen]


def create_key(db: Session, *, actor: OperatorView, application_id: int, name: str, scopes: list[str],
               ip: str = "") -> CreatedKey:
    require(db, actor, application_id, Permission.MANAGE_APPLICATION)
    name = (name or "").strip()[:100]
    if not name:
        raise ValidationError("Give the key a name (what uses it).")
    prefix = "".join(secrets.choice("abcdefghijklmnopqrstuvwxyz234567") for _ in range(8))
    token = f"idv_{prefix}_{secrets.token_urlsafe(32)}"
    key = ApiKey(application_id=application_id, name=name, prefix=prefix, key_hash=hash_token(token),
                 scopes=clean_scopes(scopes), created_by_id=actor.id)
    db.add(key)
    db.flush()
    audit.record(db, AuditAction.API_KEY_CREATED, operator_id=actor.id, actor=actor.email,
                 application_id=application_id, target=f"api_key:{key.id}", ip=ip, scopes=list(key.scopes))
    return CreatedKey(_view(key), token)


def list_keys(db: Session, *, actor: OperatorView, application_id: int) -> list[ApiKeyView]:
    require(db, actor, application_id, Permission.MANAGE_APPLICATION)
    keys = db.exec(select(ApiKey).where(ApiKey.application_id == application_id).order_by(ApiKey.id.desc()))  # type: ignore[union-attr]
    return [_view(k) for k in keys]


def revoke_key(db: Session, *, actor: OperatorView, application_id: int, key_id: int, ip: str = "") -> ApiKeyView:
    require(db, actor, application_id, Permission.MANAGE_APPLICATION)
    key = db.get(ApiKey, key_id)
    if key is None or key.application_id != application_id:
        raise NotFound("That key does not exist.")
    if key.revoked_at is None:
        key.revoked_at = utcnow()
        db.add(key)
        audit.record(db, AuditAction.API_KEY_REVOKED, operator_id=actor.id, actor=actor.email,
                     application_id=application_id, target=f"api_key:{key.id}", ip=ip)
    return _view(key)


def authenticate_key(db: Session, token: str | None, now: datetime | None = None) -> ApiKeyActor | None:
    """The key behind a bearer token, if it is live and its application exists; else None."""
    m = KEY_PATTERN.match((token or "").strip())
    if m is None:
        return None
    key = db.exec(select(ApiKey).where(ApiKey.key_hash == hash_token(m.group(0)))).first()
    if key is None or key.revoked_at is not None or db.get(Application, key.application_id) is None:
        return None
    now = now or utcnow()
    if key.last_used_at is None or now - key.last_used_at >= LAST_USED_EVERY:
        key.last_used_at = now
        db.add(key)
    assert key.id is not None
    return ApiKeyActor(id=None, email=f"api-key:{key.prefix}", name=key.name, is_owner=False,  # type: ignore[arg-type]
                       totp_enrolled=True, application_id=key.application_id, scopes=frozenset(key.scopes),
                       key_id=key.id)


def _target(key_id: int) -> str:
    return f"api_key:{key_id}"


def check_rate(db: Session, actor: ApiKeyActor, limit_per_minute: int, now: datetime | None = None) -> None:
    """RateLimited when the key made `limit_per_minute` requests in the last minute."""
    check_target_rate(db, _target(actor.key_id), limit_per_minute, now)


def check_target_rate(db: Session, target: str, limit_per_minute: int, now: datetime | None = None) -> None:
    """RateLimited when `target` (an API key, or a Yoti SDK key: sdk_key:<id>) made `limit_per_minute`
    API requests in the last minute, counted from their audit events."""
    now = now or utcnow()
    since = now - timedelta(minutes=1)
    count, oldest = db.exec(select(func.count(), func.min(AuditEvent.at)).where(
        AuditEvent.action == AuditAction.API_REQUEST, AuditEvent.target == target,
        AuditEvent.at > since)).one()
    if int(count) >= limit_per_minute:
        if isinstance(oldest, str):
            oldest = datetime.fromisoformat(oldest)
        wait = 60 - (now.replace(tzinfo=None) - oldest.replace(tzinfo=None)).total_seconds() if oldest else 60
        raise RateLimited(max(1, math.ceil(wait)))


def record_use(db: Session, actor: ApiKeyActor, *, method: str, path: str, ip: str = "") -> None:
    """A request made with the key (before it runs: a request that fails is on the record too)."""
    audit.record(db, AuditAction.API_REQUEST, actor=actor.email, application_id=actor.application_id,
                 target=_target(actor.key_id), ip=ip, method=method, path=path[:200])
