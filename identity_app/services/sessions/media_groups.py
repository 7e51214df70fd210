"""A session's media as the console shows it: a few groups instead of hundreds of items.

The document (original photos first, then what the worker derived from them: the
corrected page, the portrait and MRZ crops), the selfie, and each liveness attempt
(its frames in capture order, played back as a short clip). Any kind this module
does not know joins the document when its resource is the document, else "Other":
a new kind is shown, never a crash. A group is deleted as one (one audit event).
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session, select

from identity_app.db import truncate_wal_after_commit
from identity_app.models import AuditAction, MediaItem, Permission, Resource, ResourceKind
from identity_app.services import audit
from identity_app.services.access.auth import OperatorView
from identity_app.services.access.permissions import session_for
from identity_app.services.errors import NotFound
from identity_app.storage import MediaStore

DOCUMENT, SELFIE, LIVENESS, OTHER = "DOCUMENT", "SELFIE", "LIVENESS", "OTHER"
# Document media in the order shown; a kind's words as the console shows them.
DOCUMENT_ORDER = ("DOCUMENT_FRONT", "DOCUMENT_BACK", "DOCUMENT_CORRECTED", "PORTRAIT_CROP", "MRZ_CROP")
KIND_LABELS = {"DOCUMENT_FRONT": "Front (original)", "DOCUMENT_BACK": "Back (original)",
               "DOCUMENT_CORRECTED": "Corrected page", "PORTRAIT_CROP": "Portrait crop", "MRZ_CROP": "MRZ crop",
               "SELFIE": "Selfie", "LIVENESS_FRAME": "Liveness frame"}
CLIP_FRAMES = 48  # at most this many frames in a clip (evenly spaced): each is an audited media request


def kind_label(kind: str) -> str:
    return KIND_LABELS.get(kind) or kind.replace("_", " ").capitalize()


@dataclass(frozen=True)
class GroupItem:
    id: int
    kind: str
    label: str
    size: int
    captured_ms: int | None


@dataclass(frozen=True)
class MediaGroup:
    key: str                  # "document", "selfie", "liveness-<resource id>", "other"
    kind: str                 # DOCUMENT / SELFIE / LIVENESS / OTHER
    label: str                # "Document", "Liveness attempt 2 (96 frames)"
    items: tuple[GroupItem, ...]

    @property
    def cover_id(self) -> int:
        """The item shown for the group: the middle frame of a clip, else the first item."""
        return self.items[len(self.items) // 2].id if self.kind == LIVENESS else self.items[0].id

    @property
    def clip_ids(self) -> tuple[int, ...]:
        """A liveness attempt's frames for playback, at most CLIP_FRAMES evenly spaced."""
        if self.kind != LIVENESS:
            return ()
        n = len(self.items)
        step = max(1.0, n / CLIP_FRAMES)
        return tuple(self.items[int(i * step)].id for i in range(min(n, CLIP_FRAMES)))

    @property
    def size(self) -> int:
        return sum(i.size for i in self.items)


def _order(item: MediaItem) -> tuple:
    kind = item.kind.value if hasattr(item.kind, "value") else str(item.kind)
    rank = DOCUMENT_ORDER.index(kind) if kind in DOCUMENT_ORDER else len(DOCUMENT_ORDER)
    return rank, item.captured_ms if item.captured_ms is not None else -1, item.id or 0


def group_media(items: list[MediaItem], resources: list[Resource]) -> tuple[MediaGroup, ...]:
    """Documents, selfie, liveness attempts (by attempt number), then anything else."""
    by_id = {r.id: r for r in resources}
    buckets: dict[str, list[MediaItem]] = {}
    attempts: dict[str, int] = {}
    for m in items:
        kind = m.kind.value if hasattr(m.kind, "value") else str(m.kind)
        resource = by_id.get(m.resource_id)
        if kind in DOCUMENT_ORDER or (resource is not None and resource.kind == ResourceKind.ID_DOCUMENT):
            key = "document"
        elif kind == "SELFIE":
            key = "selfie"
        elif kind == "LIVENESS_FRAME" or (resource is not None and resource.kind == ResourceKind.LIVENESS):
            key = f"liveness-{m.resource_id or 0}"
            attempts[key] = resource.attempt if resource is not None else 0
        else:
            key = "other"
        buckets.setdefault(key, []).append(m)
    keys = [k for k in ("document", "selfie") if k in buckets]
    keys += sorted((k for k in buckets if k.startswith("liveness-")), key=lambda k: (attempts[k], k))
    keys += ["other"] if "other" in buckets else []
    groups = []
    for key in keys:
        members = sorted(buckets[key], key=_order)
        gitems = tuple(GroupItem(m.id, m.kind.value if hasattr(m.kind, "value") else str(m.kind),  # type: ignore[arg-type]
                                 kind_label(m.kind.value if hasattr(m.kind, "value") else str(m.kind)),
                                 m.size, m.captured_ms) for m in members)
        if key.startswith("liveness-"):
            n = len(gitems)
            label = (f"Liveness attempt {attempts[key]}" if attempts[key] else "Liveness frames") + \
                f" ({n} frame{'s' if n != 1 else ''})"
            groups.append(MediaGroup(key, LIVENESS, label, gitems))
        else:
            label = {"document": "Document", "selfie": "Selfie"}.get(key, "Other media")
            groups.append(MediaGroup(key, {"document": DOCUMENT, "selfie": SELFIE}.get(key, OTHER), label, gitems))
    return tuple(groups)


def session_groups(db: Session, session_id: int) -> tuple[MediaGroup, ...]:
    items = list(db.exec(select(MediaItem).where(MediaItem.session_id == session_id)).all())
    resources = list(db.exec(select(Resource).where(Resource.session_id == session_id)).all())
    return group_media(items, resources)


def delete_media_group(db: Session, store: MediaStore, *, actor: OperatorView | None, session_id: int, key: str,
                       ip: str = "") -> int:
    """Delete one group (the document and its crops, the selfie, or one liveness attempt's
    frames): objects and rows, one audit event. Returns the number of items deleted."""
    vs = session_for(db, actor, session_id, Permission.DELETE_MEDIA)
    assert actor is not None and vs.id is not None
    group = next((g for g in session_groups(db, vs.id) if g.key == key), None)
    if group is None:
        raise NotFound("Those media are already deleted.")
    ids = {i.id for i in group.items}
    rows = [m for m in db.exec(select(MediaItem).where(MediaItem.session_id == vs.id)).all() if m.id in ids]
    for m in rows:
        store.delete(m.storage_key)
    for m in rows:
        db.delete(m)
    truncate_wal_after_commit(db)
    audit.record(db, AuditAction.MEDIA_DELETED, operator_id=actor.id, actor=actor.email,
                 application_id=vs.application_id, session_id=vs.id, target=f"session:{vs.id}", ip=ip,
                 group=group.kind, media_items=len(rows))
    db.flush()
    return len(rows)
