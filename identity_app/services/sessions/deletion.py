"""Deleting personal data for real: one media item, all media of a session,
a whole session, and the retention job.

The stored object goes first, then its row: if the store fails, the row
stays so the deletion can be retried; a row never outlives a successful
object deletion unnoticed. Audit events carry ids and counts only; deleting
a session also clears the end user's IP address from its audit events.

On SQLite the rows are overwritten with zeros as they are deleted (the
engine's `secure_delete`), and once the deleting transaction commits the
write-ahead log, which still holds the earlier page versions, is copied in
and truncated (`db.truncate_wal_after_commit`). Ids are never reused
(AUTOINCREMENT), so the audit events kept after a deletion name no one else.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlmodel import Session, select

from identity_app.db import truncate_wal_after_commit
from identity_app.models import (
    Application,
    AuditAction,
    AuditEvent,
    Check,
    Decision,
    MediaItem,
    Permission,
    Task,
    VerificationSession,
    utcnow,
)
from identity_app.services import audit
from identity_app.services.api import events, webhooks
from identity_app.services.access.auth import OperatorView
from identity_app.services.errors import Forbidden, NotFound, ValidationError
from identity_app.services.mailer import delete_outbox, session_tag
from identity_app.services.access.permissions import session_for
from identity_app.storage import MediaStore

CONFIRMATION_WORD = "DELETE"


@dataclass(frozen=True)
class SessionDeleted:
    session_id: int
    media_items: int
    stored_objects: int
    checks: int
    decisions: int


def session_prefix(session_id: int) -> str:
    return f"sessions/{session_id}"


def _media_of(db: Session, session_id: int) -> list[MediaItem]:
    return list(db.exec(select(MediaItem).where(MediaItem.session_id == session_id)).all())


def delete_media_item(db: Session, store: MediaStore, *, actor: OperatorView | None, media_id: int,
                      ip: str = "") -> int:
    """Delete one media item (object and row); returns the session id."""
    if actor is None:
        raise Forbidden("Sign in first.")
    item = db.get(MediaItem, media_id)
    if item is None or item.session_id is None:
        raise NotFound("That media item does not exist.")
    try:
        vs = session_for(db, actor, item.session_id, Permission.DELETE_MEDIA)
    except NotFound:
        raise NotFound("That media item does not exist.") from None
    assert actor is not None
    # The evidence the worker cut from this photo (MRZ band, portrait, flattened page) is the
    # same person's document: it goes with it.
    derived = [m for m in _media_of(db, item.session_id) if (m.analysis or {}).get("source_media_id") == media_id]
    for m in (item, *derived):
        store.delete(m.storage_key)
    kind = item.kind.value
    for m in (item, *derived):
        db.delete(m)
    truncate_wal_after_commit(db)
    audit.record(db, AuditAction.MEDIA_DELETED, operator_id=actor.id, actor=actor.email,
                 application_id=vs.application_id, session_id=vs.id, target=f"media:{media_id}", ip=ip, kind=kind,
                 **({"derived_media": ",".join(str(m.id) for m in derived)} if derived else {}))
    db.flush()
    assert vs.id is not None
    return vs.id


def delete_session_media(db: Session, store: MediaStore, *, actor: OperatorView | None, session_id: int,
                         ip: str = "") -> int:
    """Delete every media item of a session; reports, details and decisions stay.
    Returns the number of media items deleted."""
    vs = session_for(db, actor, session_id, Permission.DELETE_MEDIA)
    assert actor is not None and vs.id is not None
    items = _media_of(db, vs.id)
    for item in items:
        store.delete(item.storage_key)
    # Anything else under the session's prefix (e.g. an object whose row was never written).
    objects = store.delete_prefix(session_prefix(vs.id))
    for item in items:
        db.delete(item)
    truncate_wal_after_commit(db)
    audit.record(db, AuditAction.SESSION_MEDIA_DELETED, operator_id=actor.id, actor=actor.email,
                 application_id=vs.application_id, session_id=vs.id, target=f"session:{vs.id}", ip=ip,
                 media_items=len(items), leftover_objects=objects)
    db.flush()
    return len(items)


def delete_session(db: Session, store: MediaStore, *, actor: OperatorView | None, session_id: int,
                   confirmation: str, ip: str = "") -> SessionDeleted:
    """Delete the session and everything of it, once the operator typed DELETE."""
    vs = session_for(db, actor, session_id, Permission.DELETE_SESSIONS)
    assert actor is not None and vs.id is not None
    if (confirmation or "").strip() != CONFIRMATION_WORD:
        raise ValidationError(f"Type {CONFIRMATION_WORD} to confirm.")
    sid, app_id = vs.id, vs.application_id
    items = _media_of(db, sid)
    for item in items:
        store.delete(item.storage_key)
    objects = store.delete_prefix(session_prefix(sid))
    emails = delete_outbox(session_tag(sid))  # the embedded outbox holds the person's name and email
    counts = {
        "checks": db.exec(select(sa.func.count()).select_from(Check).where(Check.session_id == sid)).one(),
        "decisions": db.exec(select(sa.func.count()).select_from(Decision).where(Decision.session_id == sid)).one(),
        "tasks": db.exec(select(sa.func.count()).select_from(Task).where(Task.session_id == sid)).one(),
    }
    db.flush()
    # The events stay (who did what, when); the end user's IP address in them goes. Events without
    # an operator are the end user's (capture.*) or the system's; operators' own IPs are kept.
    end_user_events = sa.and_(AuditEvent.session_id == sid, AuditEvent.operator_id.is_(None),  # type: ignore[union-attr]
                              AuditEvent.ip != "")
    db.exec(sa.update(AuditEvent).where(end_user_events).values(ip=""))  # type: ignore[call-overload]
    # No ORM relationships: the database cascades to every child row (ON DELETE CASCADE).
    db.exec(sa.delete(VerificationSession).where(VerificationSession.id == sid))  # type: ignore[call-overload]
    db.expire_all()
    truncate_wal_after_commit(db)
    audit.record(db, AuditAction.SESSION_DELETED, operator_id=actor.id, actor=actor.email, application_id=app_id,
                 session_id=sid, target=f"session:{sid}", ip=ip, media_items=len(items),
                 stored_objects=len(items) + objects, outbox_emails=emails, **counts)
    webhooks.forget_session(db, sid)
    events.session_deleted(db, application_id=app_id, session_id=sid)
    db.flush()
    return SessionDeleted(sid, len(items), len(items) + objects, int(counts["checks"]), int(counts["decisions"]))


def delete_expired_media(db: Session, store: MediaStore, now: datetime | None = None) -> int:
    """The retention job: delete media older than its application's retention
    period. Returns the number of media items deleted."""
    now = now or utcnow()
    total = 0
    for app in db.exec(select(Application)).all():
        cutoff = now - timedelta(days=app.media_retention_days)
        rows = db.exec(
            select(MediaItem).join(VerificationSession, VerificationSession.id == MediaItem.session_id)
            .where(VerificationSession.application_id == app.id, MediaItem.created_at < cutoff)
        ).all()
        per_session: dict[int, int] = {}
        for item in rows:
            store.delete(item.storage_key)
            assert item.session_id is not None
            per_session[item.session_id] = per_session.get(item.session_id, 0) + 1
            db.delete(item)
        for session_id, count in per_session.items():
            audit.record(db, AuditAction.RETENTION_DELETED, application_id=app.id, session_id=session_id,
                         target=f"session:{session_id}", media_items=count,
                         retention_days=app.media_retention_days)
        total += len(rows)
    db.flush()
    if total:
        truncate_wal_after_commit(db)
    return total
