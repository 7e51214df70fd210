"""Media items: stored encrypted through the media store, read only by
operators allowed to view the session they belong to."""
from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session

from identity_app.models import AuditAction, MediaItem, MediaKind, Permission, VerificationSession
from identity_app.services import audit
from identity_app.services.access.auth import OperatorView
from identity_app.services.errors import NotFound
from identity_app.services.access.permissions import require
from identity_app.storage import MediaStore, new_media_key


@dataclass(frozen=True)
class MediaContent:
    media_id: int
    content_type: str
    data: bytes


def store_session_media(db: Session, store: MediaStore, *, session_id: int, kind: MediaKind, data: bytes,
                        content_type: str, resource_id: int | None = None, width: int = 0,
                        height: int = 0, captured_ms: int | None = None,
                        analysis: dict | None = None) -> MediaItem:
    key = new_media_key(f"sessions/{session_id}")
    store.put(key, data)
    item = MediaItem(session_id=session_id, resource_id=resource_id, kind=kind, storage_key=key,
                     content_type=content_type, size=len(data), width=width, height=height,
                     captured_ms=captured_ms, analysis=analysis)
    db.add(item)
    db.flush()
    return item


def read_media(db: Session, store: MediaStore, *, actor: OperatorView | None, media_id: int,
               ip: str = "") -> MediaContent:
    item = db.get(MediaItem, media_id)
    if item is None or item.session_id is None:
        raise NotFound("That media item does not exist.")
    vs = db.get(VerificationSession, item.session_id)
    if vs is None:
        raise NotFound("That media item does not exist.")
    require(db, actor, vs.application_id, Permission.VIEW_SESSIONS)
    assert actor is not None
    data = store.get(item.storage_key)
    audit.record(db, AuditAction.MEDIA_VIEWED, operator_id=actor.id, actor=actor.email,
                 application_id=vs.application_id, session_id=vs.id, target=f"media:{item.id}", ip=ip,
                 kind=item.kind.value)
    return MediaContent(media_id, item.content_type, data)
