"""Rotating the secret key: every value sealed under it is opened with the old key and sealed again
under a new one, then the new key replaces the old in `.env`. Stop the web and worker processes first:
a process still running on the old key cannot read what has already been re-encrypted.

What is sealed (crypto.derive_key's purposes; tests/services/test_rotate_secret.py greps the code for
new ones): "media", every object of the media store (documents, selfies, frames, logos), found by
listing the store itself, so files no row names are rotated too; "totp", the operators' TOTP secrets
and the enrolment secrets and recovery codes of sign-ins in progress; "webhooks", the endpoints'
signing secrets (current and previous) and the authorisation tokens of Yoti-style session
notifications (each delivery's, and the one kept in the session's configuration snapshot).

Safe to interrupt. The run first writes a record, `<data dir>/secret-rotation.json` (0600), holding
the new key and a fingerprint of the old one, then:

1. re-encrypts the media objects one by one, each replaced whole (a temporary file renamed over the
   old one; one PUT on S3), so each object is under exactly one of the two keys;
2. re-encrypts the sealed columns in one database transaction (all or nothing);
3. writes the new key to `.env` (temporary file, fsync, rename);
4. deletes the record.

A crash anywhere leaves the record behind; the app then refuses to start (settings'
validate_for_startup) and `cli rotate-secret` run again picks the same new key from the record and
finishes: every value is opened with the old key or, if already rotated, with the new one, so
nothing is re-encrypted twice and nothing is left behind. A crash after step 3 finds `.env` already
on the new key and only deletes the record. The old key is never written anywhere.
"""
from __future__ import annotations

import base64
import fcntl
import hashlib
import json
import os
import secrets
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

import sqlalchemy as sa
from pydantic import SecretStr
from sqlmodel import Session, select

from identity_app.crypto import DecryptionError, decrypt, derive_key, encrypt
from identity_app.models import Operator, SignInSession, VerificationSession, WebhookDelivery, WebhookEndpoint
from identity_app.services.api.yoti_notifications import SNAPSHOT_KEY
from identity_app.services.operations.secret_file import set_secret_key, write_key_file, write_private
from identity_app.storage import LocalMediaStore, MediaStore, S3MediaStore, StorageError, make_media_store

RECORD_NAME = "secret-rotation.json"
PURPOSES = ("media", "totp", "webhooks")  # every derive_key purpose; the test greps the code for others


class RotationError(RuntimeError):
    """The rotation cannot go on; the message says why and what to do."""


@dataclass(frozen=True)
class SealedColumn:
    """A column holding base64(AES-GCM) under derive_key(secret, purpose), `associated` bound in."""

    model: Any
    column: str
    purpose: str
    associated: bytes


SEALED_COLUMNS = (
    SealedColumn(Operator, "totp_secret_enc", "totp", b"totp"),
    SealedColumn(SignInSession, "pending_totp_enc", "totp", b"totp"),
    SealedColumn(SignInSession, "recovery_codes_enc", "totp", b"totp"),
    SealedColumn(WebhookEndpoint, "secret_enc", "webhooks", b"webhooks"),
    SealedColumn(WebhookEndpoint, "previous_secret_enc", "webhooks", b"webhooks"),
    SealedColumn(WebhookDelivery, "auth_enc", "webhooks", b"webhooks"),
)
SNAPSHOT_SEALED = (SNAPSHOT_KEY, "auth_enc", "webhooks", b"webhooks")  # config_snapshot[...][...]


@dataclass(frozen=True)
class Plan:
    old: SecretStr
    new: SecretStr
    resumed: bool  # a record of an interrupted run was found


@dataclass(frozen=True)
class RotationReport:
    media: int  # objects re-encrypted by this run
    media_already: int  # objects found already under the new key (an interrupted run's)
    values: int  # sealed column values re-encrypted
    env_file: Path
    resumed: bool


def fingerprint(secret: str) -> str:
    """Says which key a record was made against without keeping the key."""
    return hashlib.sha256(derive_key(secret, "rotation-fingerprint")).hexdigest()


def record_path(data_dir: Path) -> Path:
    return data_dir / RECORD_NAME


@contextmanager
def _exclusive(data_dir: Path) -> Iterator[None]:
    with open(data_dir / "secret-rotation.lock", "a") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise RotationError("another rotate-secret is running") from None
        yield


def plan(data_dir: Path, current: str) -> Plan:
    """The keys of this run: a new one, or those of the interrupted run whose record is on disk."""
    path = record_path(data_dir)
    if path.exists():
        rec = json.loads(path.read_text())
        if fingerprint(current) == rec["old_fingerprint"]:
            return Plan(SecretStr(current), SecretStr(rec["new_secret"]), True)
        if current == rec["new_secret"]:  # crashed after .env was written: nothing left but the record
            return Plan(SecretStr(current), SecretStr(current), True)
        raise RotationError(f"{path} was made for another secret key than the one configured: put back the "
                            "key that was configured when that rotation started, and run rotate-secret again")
    new = secrets.token_urlsafe(48)
    write_private(path, json.dumps({"new_secret": new, "old_fingerprint": fingerprint(current)}))
    return Plan(SecretStr(current), SecretStr(new), False)


# --- media ---------------------------------------------------------------------------------------


def media_keys(store: MediaStore) -> Iterator[str]:
    """Every object of the store, from the store itself (not the rows naming them)."""
    if isinstance(store, LocalMediaStore):
        for path in sorted(store.root.rglob("*")):
            if path.is_file() and not path.name.startswith("."):  # .tmp-* is a put that never finished
                yield path.relative_to(store.root).as_posix()
    elif isinstance(store, S3MediaStore):
        pages = store.client.get_paginator("list_objects_v2").paginate(Bucket=store.bucket, Prefix=store.prefix)
        for page in pages:
            for obj in page.get("Contents", []):
                yield obj["Key"][len(store.prefix):]
    else:
        raise RotationError(f"cannot list a {type(store).__name__}")


def store_for(settings: Any, secret: SecretStr) -> MediaStore:
    return make_media_store(settings.model_copy(update={"secret_key": secret}))


def reencrypt_media(old: MediaStore, new: MediaStore) -> tuple[int, int]:
    """(re-encrypted, already under the new key). Each object is replaced whole, one at a time."""
    done = already = 0
    for key in media_keys(old):
        try:
            data = old.get(key)
        except StorageError:
            try:
                new.get(key)
            except StorageError:
                raise RotationError(f"media {key} opens with neither the old nor the new key") from None
            already += 1
            continue
        new.put(key, data)
        done += 1
    return done, already


# --- sealed columns ------------------------------------------------------------------------------


def _reseal(value: str, purpose: str, associated: bytes, plan: Plan) -> str | None:
    """The value sealed under the new key, or None when it already is."""
    blob = base64.b64decode(value)
    try:
        plain = decrypt(derive_key(plan.old.get_secret_value(), purpose), blob, associated)
    except DecryptionError:
        try:
            decrypt(derive_key(plan.new.get_secret_value(), purpose), blob, associated)
        except DecryptionError:
            raise RotationError(f"a {purpose} value opens with neither the old nor the new key") from None
        return None
    return base64.b64encode(encrypt(derive_key(plan.new.get_secret_value(), purpose), plain, associated)).decode()


def reencrypt_columns(db: Session, plan: Plan) -> int:
    """Every sealed column value, in the caller's transaction."""
    count = 0
    for sealed in SEALED_COLUMNS:
        col = getattr(sealed.model, sealed.column)
        pk = sealed.model.id
        for row_id, value in db.exec(select(pk, col).where(col.is_not(None))).all():  # type: ignore[call-overload]
            fresh = _reseal(value, sealed.purpose, sealed.associated, plan)
            if fresh is not None:
                db.exec(sa.update(sealed.model).where(pk == row_id).values({sealed.column: fresh}))  # type: ignore[call-overload]
                count += 1
    key, field, purpose, associated = SNAPSHOT_SEALED
    rows = db.exec(select(VerificationSession.id, VerificationSession.config_snapshot)).all()  # type: ignore[call-overload]
    for row_id, snapshot in rows:
        inner = (snapshot or {}).get(key)
        if not isinstance(inner, dict) or not inner.get(field):
            continue
        fresh = _reseal(inner[field], purpose, associated, plan)
        if fresh is not None:
            changed = {**snapshot, key: {**inner, field: fresh}}
            db.exec(sa.update(VerificationSession).where(VerificationSession.id == row_id)  # type: ignore[call-overload, arg-type]
                    .values(config_snapshot=changed))
            count += 1
    return count


# --- the whole run -------------------------------------------------------------------------------


def rotate(settings: Any, env_file: Path, engine: sa.Engine) -> RotationReport:
    """Run (or finish) a rotation; see the module's docstring for the order and what a crash leaves."""
    data_dir = Path(settings.data_dir)
    key_file = getattr(settings, "secret_key_file", None)  # IDV_SECRET_KEY_FILE: the new key goes there
    if key_file is not None:
        key_file = Path(key_file)
        if not os.access(key_file, os.W_OK):
            raise RotationError(f"the secret key comes from IDV_SECRET_KEY_FILE={key_file}, which this account "
                                "cannot write (a read-only mounted secret?): mount it writable, or move the key "
                                "to .env, then run rotate-secret again; nothing was changed")
        env_file = key_file
    data_dir.mkdir(parents=True, exist_ok=True)
    with _exclusive(data_dir):
        p = plan(data_dir, settings.secret_key.get_secret_value())
        media = already = values = 0
        if p.new.get_secret_value() != p.old.get_secret_value():
            media, already = reencrypt_media(store_for(settings, p.old), store_for(settings, p.new))
            with Session(engine) as db, db.begin():
                values = reencrypt_columns(db, p)
            if key_file is not None:
                write_key_file(key_file, p.new.get_secret_value())
            else:
                set_secret_key(env_file, p.new.get_secret_value())
        record_path(data_dir).unlink()
    return RotationReport(media, already, values, env_file, p.resumed)
