"""Yoti compatibility keys: an application's SDK id and an RSA key pair, as Yoti's Hub hands them
out when the team does not let it keep keys. The private key is generated here, given to the
operator once as a PEM file, and forgotten; only the public key is kept, to check the signature on
every request a Yoti SDK makes (services/api/yoti_signing.py)."""
from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from sqlmodel import Session, select

from identity_app.models import AuditAction, Permission, SdkKey, utcnow
from identity_app.services import audit
from identity_app.services.access.auth import OperatorView
from identity_app.services.access.permissions import require
from identity_app.services.errors import NotFound


@dataclass(frozen=True)
class SdkKeyView:
    id: int
    sdk_id: str
    created_at: datetime
    revoked_at: datetime | None


@dataclass(frozen=True)
class CreatedSdkKey:
    key: SdkKeyView
    private_key_pem: str  # handed over once, never stored


def _view(k: SdkKey) -> SdkKeyView:
    assert k.id is not None
    return SdkKeyView(k.id, k.sdk_id, k.created_at, k.revoked_at)


def create_sdk_key(db: Session, *, actor: OperatorView, application_id: int, ip: str = "") -> CreatedSdkKey:
    require(db, actor, application_id, Permission.MANAGE_APPLICATION)
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private_pem = private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL,
                                        serialization.NoEncryption()).decode()
    public_pem = private.public_key().public_bytes(serialization.Encoding.PEM,
                                                   serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    key = SdkKey(application_id=application_id, sdk_id=str(uuid.uuid4()), public_key_pem=public_pem,
                 created_by_id=actor.id)
    db.add(key)
    db.flush()
    audit.record(db, AuditAction.SDK_KEY_CREATED, operator_id=actor.id, actor=actor.email,
                 application_id=application_id, target=f"sdk_key:{key.id}", ip=ip, sdk_id=key.sdk_id)
    return CreatedSdkKey(_view(key), private_pem)


def list_sdk_keys(db: Session, *, actor: OperatorView, application_id: int) -> list[SdkKeyView]:
    require(db, actor, application_id, Permission.MANAGE_APPLICATION)
    rows = db.exec(select(SdkKey).where(SdkKey.application_id == application_id).order_by(SdkKey.id.desc()))  # type: ignore[union-attr]
    return [_view(k) for k in rows]


def revoke_sdk_key(db: Session, *, actor: OperatorView, application_id: int, key_id: int,
                   ip: str = "") -> SdkKeyView:
    require(db, actor, application_id, Permission.MANAGE_APPLICATION)
    key = db.get(SdkKey, key_id)
    if key is None or key.application_id != application_id:
        raise NotFound("That SDK key does not exist.")
    if key.revoked_at is None:
        key.revoked_at = utcnow()
        db.add(key)
        audit.record(db, AuditAction.SDK_KEY_REVOKED, operator_id=actor.id, actor=actor.email,
                     application_id=application_id, target=f"sdk_key:{key.id}", ip=ip)
    return _view(key)


def live_key(db: Session, sdk_id: str) -> SdkKey | None:
    """The unrevoked key with this SDK id (the SDK sends it as the `sdkId` query parameter)."""
    key = db.exec(select(SdkKey).where(SdkKey.sdk_id == (sdk_id or "")[:64])).first()
    return key if key is not None and key.revoked_at is None else None
