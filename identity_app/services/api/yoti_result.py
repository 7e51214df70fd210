"""Yoti compatibility: one session as Yoti's session result, in its field names (what Yoti's SDKs
parse: state, resources with their media, checks with report.recommendation and report.breakdown,
tasks with the checks and media they generated). Pure: frozen facts in, JSON out.

Our ids are integers; Yoti's are strings, so every id goes out as a string. Media are images except
a document's extracted fields, which Yoti serves as a JSON media item: here its id is
"fields-<task id>" (services/api/yoti_compat.py serves it)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from identity_app.checks.document_data import DocumentText
from identity_app.checks.report import CheckType
from identity_app.models import MediaKind, ResourceKind, TaskState
from identity_app.services.sessions.detail import CheckCard, MediaView, SessionDetail

FIELDS_PREFIX = "fields-"
PAGE_KINDS = (MediaKind.DOCUMENT_FRONT.value, MediaKind.DOCUMENT_BACK.value)
FACE_KINDS = (MediaKind.LIVENESS_FRAME.value, MediaKind.SELFIE.value)
# Our liveness, in the SDK's terms: the ACTIVE challenge is a series of frames (Yoti's ZOOM
# resource carries frames), the PASSIVE one a single selfie (Yoti's STATIC resource, an image).
LIVENESS_TYPE = {"ACTIVE": "ZOOM", "PASSIVE": "STATIC"}
GENDER = {"M": "MALE", "F": "FEMALE", "X": "OTHER"}


@dataclass(frozen=True)
class ResourceFacts:
    id: int
    kind: str               # ResourceKind value
    document_type: str
    issuing_country: str
    created_at: datetime


@dataclass(frozen=True)
class TaskFacts:
    id: int
    type: str
    state: str
    resource_id: int | None
    created_at: datetime
    completed_at: datetime | None
    has_fields: bool        # a reading with fields to serve as the document's JSON media


@dataclass(frozen=True)
class SessionFacts:
    """What the session detail does not carry."""

    token: str
    consent_at: datetime | None
    liveness_type: str      # the snapshot's ACTIVE or PASSIVE
    resources: tuple[ResourceFacts, ...]
    tasks: tuple[TaskFacts, ...]


def fields_media_id(task_id: int) -> str:
    return f"{FIELDS_PREFIX}{task_id}"


def when(value: datetime | None) -> str | None:
    if value is None:
        return None
    return value.astimezone(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _media(id_: str, kind: str, created: datetime, updated: datetime | None = None) -> dict[str, Any]:
    return {"id": id_, "type": kind, "created": when(created), "last_updated": when(updated or created)}


def _image(m: MediaView) -> dict[str, Any]:
    return _media(str(m.id), "IMAGE", m.created_at)


def _task(t: TaskFacts, checks: tuple[CheckCard, ...]) -> dict[str, Any]:
    generated = [{"id": str(c.id), "type": c.type} for c in checks
                 if c.type == CheckType.ID_DOCUMENT_TEXT_DATA_CHECK and c.resource_id == t.resource_id]
    media = [_media(fields_media_id(t.id), "JSON", t.completed_at or t.created_at)] if t.has_fields else []
    return {"id": str(t.id), "type": t.type, "state": t.state, "created": when(t.created_at),
            "last_updated": when(t.completed_at or t.created_at), "generated_checks": generated,
            "generated_media": media}


def _document(r: ResourceFacts, detail: SessionDetail, facts: SessionFacts) -> dict[str, Any]:
    tasks = [t for t in facts.tasks if t.resource_id == r.id]
    out: dict[str, Any] = {
        "id": str(r.id), "document_type": r.document_type or None, "issuing_country": r.issuing_country or None,
        "tasks": [_task(t, detail.checks) for t in tasks],
        "pages": [{"media": _image(m), "frames": []} for m in detail.media
                  if m.resource_id == r.id and m.kind in PAGE_KINDS],
    }
    read = [t for t in tasks if t.has_fields and t.state == TaskState.DONE.value]
    if read:
        newest = read[-1]
        out["document_fields"] = {"media": _media(fields_media_id(newest.id), "JSON",
                                                  newest.completed_at or newest.created_at)}
    return out


def _liveness(r: ResourceFacts, detail: SessionDetail, facts: SessionFacts) -> dict[str, Any]:
    faces = [m for m in detail.media if m.resource_id == r.id and m.kind in FACE_KINDS]
    kind = LIVENESS_TYPE.get(facts.liveness_type, "ZOOM")
    out: dict[str, Any] = {"id": str(r.id), "liveness_type": kind, "tasks": []}
    if kind == "STATIC":
        selfies = [m for m in faces if m.kind == MediaKind.SELFIE.value] or faces
        if selfies:
            out["image"] = {"media": _image(selfies[-1])}
    else:
        out["frames"] = [{"media": _image(m)} for m in faces]
    return out


def _report(c: CheckCard) -> dict[str, Any] | None:
    if c.report is None:
        return None
    recommendation = {"value": c.recommendation}
    if c.reason:
        recommendation["reason"] = c.reason
    if c.recovery_suggestion:
        recommendation["recovery_suggestion"] = c.recovery_suggestion
    return {
        "recommendation": recommendation,
        "breakdown": [{"sub_check": s.sub_check, "result": s.result.value, "process": s.process.value,
                       "details": [{"name": d.name, "value": d.value} for d in s.details]} for s in c.breakdown],
    }


def _check(c: CheckCard, detail: SessionDetail) -> dict[str, Any]:
    used = [c.resource_id] if c.resource_id else []
    if c.type == CheckType.ID_DOCUMENT_FACE_MATCH:  # the document and the attempt the selfie came from
        used += [m.resource_id for m in detail.media if m.kind == MediaKind.SELFIE.value and m.resource_id]
    out: dict[str, Any] = {"id": str(c.id), "type": c.type, "state": c.state,
                           "resources_used": [str(r) for r in dict.fromkeys(used)], "generated_media": [],
                           "created": when(c.created_at), "last_updated": when(c.completed_at or c.created_at)}
    report = _report(c)
    if report is not None:
        out["report"] = report
    return out


def session_result(detail: SessionDetail, facts: SessionFacts, now: datetime) -> dict[str, Any]:
    """The body of GET /sessions/{id}. The client session token (the capture link's) is given while
    the session is ONGOING only, as Yoti deletes it when the session ends."""
    ongoing = detail.state == "ONGOING"
    body: dict[str, Any] = {
        "session_id": str(detail.id),
        "client_session_token_ttl": max(0, int((detail.expires_at - now).total_seconds())) if ongoing else 0,
        "user_tracking_id": detail.reference or None,
        "state": detail.state,
        "resources": {
            "id_documents": [_document(r, detail, facts) for r in facts.resources
                             if r.kind == ResourceKind.ID_DOCUMENT.value],
            "supplementary_documents": [],
            "liveness_capture": [_liveness(r, detail, facts) for r in facts.resources
                                 if r.kind == ResourceKind.LIVENESS.value],
            "face_capture": [],
        },
        "checks": [_check(c, detail) for c in detail.checks],
        "biometric_consent": when(facts.consent_at),
    }
    if ongoing:
        body["client_session_token"] = facts.token
    return body


def document_fields(text: DocumentText, document_type: str) -> dict[str, Any]:
    """A reading as Yoti's document fields JSON: the MRZ's fields, the printed page's where the MRZ
    has none, in Yoti's names."""
    read = {**dict(text.printed_fields), **{k: v for k, v in text.fields if v}}
    given, family = read.get("given_names", ""), read.get("surname", "")
    out: dict[str, Any] = {
        "full_name": " ".join(p for p in (given, family) if p) or None,
        "given_names": given or None,
        "family_name": family or None,
        "date_of_birth": read.get("date_of_birth"),
        "gender": GENDER.get(read.get("sex", "")),
        "nationality": (read.get("nationality") or "").replace("<", "") or None,
        "document_number": read.get("document_number"),
        "expiration_date": read.get("expiration_date"),
        "issuing_country": (read.get("issuing_country") or "").replace("<", "") or None,
        "document_type": document_type or None,
        "personal_number": read.get("personal_number"),
    }
    if text.mrz_lines:
        out["mrz"] = {"type": text.mrz_format, **{f"line{i}": line for i, line in enumerate(text.mrz_lines, 1)}}
    return {k: v for k, v in out.items() if v}
