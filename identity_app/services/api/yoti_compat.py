"""Yoti compatibility: the use cases behind the Yoti-compatible endpoint (web/yoti_compat.py), each
run through the doorway as the SDK key that signed the request (services/api/yoti_signing.py).

A Yoti session is one of our sessions: its client session token is the capture link's token, its
checks and documents are the application's narrowed by the specification (yoti_spec.py), and it
is read back in Yoti's field names (yoti_result.py). Yoti knows no name or email for the person:
the session has none, so it is never emailed (no link email, no reminders)."""
from __future__ import annotations

import json
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from sqlmodel import Session, select

from identity_app.checks.document_data import DocumentText
from identity_app.models import (Application, AuditAction, MediaItem, Permission, Resource, Task, TaskState,
                                 TaskType, VerificationSession, utcnow)
from identity_app.services import audit
from identity_app.services.access.permissions import require, session_for
from identity_app.services.api import events, webhooks, yoti_result, yoti_spec
from identity_app.services.api.yoti_countries import ISO_ALPHA3
from identity_app.services.api.yoti_notifications import SNAPSHOT_KEY, NotificationTarget
from identity_app.services.api.yoti_signing import SdkKeyActor
from identity_app.services.applications.checks_config import ChecksConfig, validate
from identity_app.services.capture.media import read_media
from identity_app.services.errors import Conflict, NotFound, ValidationError
from identity_app.services.sessions import deletion, links
from identity_app.services.sessions.detail import get_session_detail
from identity_app.storage import MediaStore

MAX_ID = 2**31 - 1


@dataclass(frozen=True)
class CreatedYotiSession:
    session_id: int
    token: str
    ttl_seconds: int

    def to_dict(self) -> dict[str, Any]:
        """Yoti's create-session answer."""
        return {"session_id": str(self.session_id), "client_session_token": self.token,
                "client_session_token_ttl": self.ttl_seconds}


@dataclass(frozen=True)
class MediaBytes:
    content_type: str
    data: bytes


def parse_id(text: str) -> int | None:
    """One of our ids as Yoti's string ids arrive (digits only, 1 .. MAX_ID), else None."""
    if not (text.isascii() and text.isdigit()) or len(text) > 10:
        return None
    value = int(text)
    return value if 1 <= value <= MAX_ID else None


def _snapshot(app: Application, request: yoti_spec.YotiSessionRequest) -> dict[str, Any]:
    """The application's snapshot narrowed by the spec: checks, document types, countries, and the
    session's own notification endpoint."""
    docs = ChecksConfig.from_dict(app.checks_config).document_authenticity
    overrides = replace(request.overrides,
                        accepted_document_types=yoti_spec.resolve_types(docs.accepted_types, request.document_types))
    snapshot = links.snapshot_with(app, overrides)
    cfg = ChecksConfig.from_dict(snapshot["checks"])
    d = cfg.document_authenticity
    mode, countries = yoti_spec.narrow_countries(d.country_mode, d.countries, request.countries)
    snapshot["checks"] = validate(replace(cfg, document_authenticity=replace(d, country_mode=mode,
                                                                             countries=countries))).to_dict()
    snapshot["preferences"]["reminder_count"] = 0  # no email to remind
    n = request.notifications
    if n is not None:
        try:
            endpoint = webhooks.check_url(n.endpoint)
        except ValidationError as exc:
            raise yoti_spec.SpecError("notifications.endpoint", str(exc)) from None
        target = NotificationTarget(endpoint, n.topics, webhooks.seal(n.authorization) if n.authorization else None)
        snapshot[SNAPSHOT_KEY] = target.to_dict()
    return snapshot


def _expiry(now: datetime, lifetime: datetime, request: yoti_spec.YotiSessionRequest) -> datetime:
    """The link's end: the application's lifetime, shortened to the spec's TTL and deadline."""
    ends = lifetime
    if request.ttl_seconds is not None:
        ends = min(ends, now + timedelta(seconds=request.ttl_seconds))
    if request.deadline is not None:
        if request.deadline <= now + timedelta(seconds=yoti_spec.MIN_TTL_S):
            raise yoti_spec.SpecError("session_deadline", "must be at least a minute from now")
        if request.deadline > lifetime:
            raise yoti_spec.SpecError("session_deadline", "is beyond the application's link lifetime")
        ends = min(ends, request.deadline)
    return ends


def create_session(db: Session, *, actor: SdkKeyActor, spec: Any, ip: str = "") -> CreatedYotiSession:
    """A session from a Yoti session specification (SpecError naming what it refuses)."""
    request = yoti_spec.parse(spec)
    app = links.active_application(db, actor, actor.application_id)
    now = utcnow()
    vs = links.new_session_row(app, links.Person("", "", request.reference), created_by_id=None, now=now,
                               snapshot=_snapshot(app, request), created_via=actor.via)
    vs.expires_at = _expiry(now, vs.expires_at, request)
    db.add(vs)
    db.flush()
    assert vs.id is not None
    audit.record(db, AuditAction.SESSION_CREATED, actor=actor.email, application_id=app.id, session_id=vs.id,
                 ip=ip)
    events.session_created(db, vs)
    return CreatedYotiSession(vs.id, vs.token, int((vs.expires_at - now).total_seconds()))


def _has_fields(task: Task) -> bool:
    if task.type != TaskType.ID_DOCUMENT_TEXT_DATA_EXTRACTION or not task.result:
        return False
    text = DocumentText.from_dict(task.result)
    return bool(text.fields or text.printed_fields)


def session_result(db: Session, *, actor: SdkKeyActor, session_id: int, ip: str = "") -> dict[str, Any]:
    """Yoti's GET /sessions/{id} body (the view is audited as any session view)."""
    detail = get_session_detail(db, actor=actor, session_id=session_id, ip=ip)
    vs = db.get(VerificationSession, session_id)
    assert vs is not None
    resources = db.exec(select(Resource).where(Resource.session_id == session_id).order_by(Resource.id)).all()  # type: ignore[arg-type]
    tasks = db.exec(select(Task).where(Task.session_id == session_id).order_by(Task.id)).all()  # type: ignore[arg-type]
    facts = yoti_result.SessionFacts(
        token=vs.token, consent_at=vs.consent_at,
        liveness_type=str((vs.config_snapshot or {}).get("checks", {}).get("liveness", {}).get("liveness_type", "")),
        resources=tuple(yoti_result.ResourceFacts(r.id, r.kind.value, r.document_type, r.issuing_country,  # type: ignore[arg-type]
                                                  r.created_at) for r in resources),
        tasks=tuple(yoti_result.TaskFacts(t.id, t.type, t.state.value, t.resource_id, t.created_at,  # type: ignore[arg-type]
                                          t.completed_at, _has_fields(t) and t.state == TaskState.DONE)
                    for t in tasks))
    return yoti_result.session_result(detail, facts, utcnow())


def _fields_task(db: Session, session_id: int, media_id: str) -> Task:
    task_id = parse_id(media_id.removeprefix(yoti_result.FIELDS_PREFIX))
    task = db.get(Task, task_id) if task_id else None
    if task is None or task.session_id != session_id or task.state != TaskState.DONE or not _has_fields(task):
        raise NotFound("That media item does not exist.")
    return task


def _media_item(db: Session, session_id: int, media_id: str) -> int:
    item_id = parse_id(media_id)
    item = db.get(MediaItem, item_id) if item_id else None
    if item is None or item.session_id != session_id:
        raise NotFound("That media item does not exist.")
    return item_id  # type: ignore[return-value]


def media_content(db: Session, store: MediaStore, *, actor: SdkKeyActor, session_id: int, media_id: str,
                  ip: str = "") -> MediaBytes:
    """An image of the session, or (fields-<task id>) a document's extracted fields as Yoti's JSON."""
    if not media_id.startswith(yoti_result.FIELDS_PREFIX):
        content = read_media(db, store, actor=actor, media_id=_media_item(db, session_id, media_id), ip=ip)
        return MediaBytes(content.content_type, content.data)
    vs = session_for(db, actor, session_id, Permission.VIEW_SESSIONS)
    task = _fields_task(db, session_id, media_id)
    resource = db.get(Resource, task.resource_id) if task.resource_id else None
    body = yoti_result.document_fields(DocumentText.from_dict(task.result), resource.document_type if resource else "")
    audit.record(db, AuditAction.MEDIA_VIEWED, actor=actor.email, application_id=vs.application_id,
                 session_id=session_id, target=f"task:{task.id}", ip=ip, kind="DOCUMENT_FIELDS")
    return MediaBytes("application/json", json.dumps(body).encode())


def delete_media(db: Session, store: MediaStore, *, actor: SdkKeyActor, session_id: int, media_id: str,
                 ip: str = "") -> None:
    if media_id.startswith(yoti_result.FIELDS_PREFIX):
        session_for(db, actor, session_id, Permission.DELETE_MEDIA)
        _fields_task(db, session_id, media_id)
        # The reading is part of the checks' record; it goes with the session.
        raise Conflict("A document's extracted fields are deleted with the session.")
    deletion.delete_media_item(db, store, actor=actor, media_id=_media_item(db, session_id, media_id), ip=ip)


def delete_session(db: Session, store: MediaStore, *, actor: SdkKeyActor, session_id: int, ip: str = "") -> None:
    deletion.delete_session(db, store, actor=actor, session_id=session_id,
                            confirmation=deletion.CONFIRMATION_WORD, ip=ip)


def capture_link(db: Session, *, session_id: int, token: str) -> str:
    """Our capture page for Yoti's iframe URL (web/index.html?sessionID=..&sessionToken=..): the
    token is the credential, as for our own links; a wrong pair is not found."""
    vs = links.find_by_token(db, token)
    if vs is None or vs.id != session_id:
        raise NotFound("That session does not exist.")
    return links.session_link(vs.token)


def supported_documents(db: Session, *, actor: SdkKeyActor) -> dict[str, Any]:
    """The countries and document types the application accepts, in Yoti's shape."""
    require(db, actor, actor.application_id, Permission.VIEW_SESSIONS)
    app = db.get(Application, actor.application_id)
    assert app is not None
    d = ChecksConfig.from_dict(app.checks_config).document_authenticity
    codes = {"ALLOW": sorted(d.countries), "DENY": [c for c in ISO_ALPHA3 if c not in d.countries]}.get(
        d.country_mode, list(ISO_ALPHA3))
    documents = [{"type": t} for t in d.accepted_types]
    return {"supported_countries": [{"code": c, "supported_documents": documents} for c in codes]}
