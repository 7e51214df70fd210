"""One session's timeline: everything that happened to it, oldest first.

Built from what is stored: the audit events of the session (link opened, consent,
captures, attempts, emails, reviews, decisions, deletions, completion, expiry) and
the rows (each check as it finished, with its recommendation). Views of the page and
of single media items are left out: they are who looked, not what happened (the audit
log lists them). Nothing here is personal data beyond the operators' own addresses.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, select

from identity_app.checks.report import CheckType
from identity_app.models import AuditAction as A
from identity_app.models import AuditEvent, Check

LINK, CAPTURE, CHECK, REVIEW, DECISION, DELETION, SESSION = (
    "LINK", "CAPTURE", "CHECK", "REVIEW", "DECISION", "DELETION", "SESSION")

# What each audited action reads as on the timeline, and its category.
TITLES: dict[str, tuple[str, str]] = {
    A.SESSION_CREATED: ("Session created", SESSION),
    A.SESSIONS_BULK_CREATED: ("Session created (bulk)", SESSION),
    A.SESSION_LINK_EMAILED: ("Link emailed", LINK),
    A.SESSION_LINK_REGENERATED: ("Link regenerated (the old link stopped working)", LINK),
    A.REMINDER_SENT: ("Reminder emailed", LINK),
    A.CAPTURE_STARTED: ("Link opened", LINK),
    A.CONSENT_GIVEN: ("Consent given", CAPTURE),
    A.DOCUMENT_STORED: ("Document photographed", CAPTURE),
    A.LIVENESS_STARTED: ("Liveness attempt started", CAPTURE),
    A.LIVENESS_FINISHED: ("Liveness attempt finished", CAPTURE),
    A.CAPTURE_FINISHED: ("Capture finished", CAPTURE),
    A.REVIEW_ASSIGNED: ("Review assigned", REVIEW),
    A.REVIEW_UNASSIGNED: ("Review unassigned", REVIEW),
    A.REVIEW_NOTE_ADDED: ("Review note added", REVIEW),
    A.REVIEW_RECORDED: ("Manual review recorded", REVIEW),
    A.SESSION_COMPLETED: ("Session completed", SESSION),
    A.SESSION_EXPIRED: ("Session expired", SESSION),
    A.SESSION_DECIDED: ("Decision", DECISION),
    A.MEDIA_DELETED: ("Media deleted", DELETION),
    A.SESSION_MEDIA_DELETED: ("All media deleted", DELETION),
    A.RETENTION_DELETED: ("Media deleted (retention period over)", DELETION),
}
PERSON_ACTIONS = {A.CAPTURE_STARTED, A.CONSENT_GIVEN, A.DOCUMENT_STORED, A.LIVENESS_STARTED, A.LIVENESS_FINISHED,
                  A.CAPTURE_FINISHED}


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime
    category: str   # LINK / CAPTURE / CHECK / REVIEW / DECISION / DELETION / SESSION
    title: str
    detail: str     # ids, counts, results: never the person's data
    by: str         # "the person", "system" or the operator's email


def _detail(action: str, d: dict) -> str:
    if action in (A.LIVENESS_STARTED, A.LIVENESS_FINISHED):
        return f"attempt {d.get('attempt', '?')}" + (f", {d['frames']} frames" if "frames" in d else "")
    if action == A.DOCUMENT_STORED:
        return str(d.get("side", "")).lower()
    if action == A.REVIEW_RECORDED:
        label = CheckType(d["check_type"]).label if d.get("check_type") in CheckType._value2member_map_ else ""
        return " ".join(x for x in (label + ":" if label else "", d.get("result", ""), d.get("reason_code") or "") if x)
    if action == A.SESSION_DECIDED:
        return str(d.get("value", "")) + (f" (was {d['previous']})" if d.get("previous") else "")
    if action in (A.MEDIA_DELETED, A.SESSION_MEDIA_DELETED, A.RETENTION_DELETED):
        what = d.get("group") or d.get("kind") or ""
        n = d.get("media_items")
        return " ".join(x for x in (str(what).lower().replace("_", " "), f"{n} item(s)" if n is not None else "") if x)
    if action in (A.SESSION_LINK_EMAILED, A.REMINDER_SENT):
        return f"by {d['transport']}" if d.get("transport") else ""
    if action == A.REVIEW_ASSIGNED:
        return f"to {d['assignee']}" if d.get("assignee") else ""
    return ""


def session_timeline(db: Session, session_id: int) -> tuple[TimelineEntry, ...]:
    entries: list[tuple[datetime, int, TimelineEntry]] = []
    # Only what happened: views (session, media) and API reads say who looked, and a session
    # reviewers open all day gathers hundreds of them, so they are not even loaded.
    events = db.exec(select(AuditEvent).where(AuditEvent.session_id == session_id,
                                              AuditEvent.action.in_(tuple(TITLES)))  # type: ignore[attr-defined]
                     .order_by(AuditEvent.at, AuditEvent.id)).all()  # type: ignore[arg-type]
    for e in events:
        title, category = TITLES[e.action]
        by = "the person" if e.action in PERSON_ACTIONS else (e.actor or "system")
        entries.append((e.at, e.id or 0, TimelineEntry(e.at, category, title, _detail(e.action, e.details or {}), by)))
    for c in db.exec(select(Check).where(Check.session_id == session_id)).all():
        if c.completed_at is None:
            continue
        label = CheckType(c.type).label if c.type in CheckType._value2member_map_ else c.type
        result = (c.recommendation or "") + (f" ({c.reason})" if c.reason else "")
        if c.reviewed_at is not None:  # the review is on the timeline: here the automated result it followed
            result = _automated(c.report or {}) or "automated result replaced by the review"
        entries.append((c.completed_at, 0, TimelineEntry(c.completed_at, CHECK,
                                                          f"{label} check finished (attempt {c.attempt})",
                                                          result, "system")))
    entries.sort(key=lambda t: (t[0], t[1]))
    return tuple(t[2] for t in entries)


def _automated(report: dict) -> str:
    """The automated recommendation a person's review kept in its sub-check (review/manual.py)."""
    for sub in report.get("breakdown") or ():
        for d in sub.get("details") or ():
            if d.get("name") == "automated_recommendation":
                return str(d.get("value", ""))
    return ""
