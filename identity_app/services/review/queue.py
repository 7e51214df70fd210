"""The review queue as reviewers work it: who took each waiting check, their notes, and
how long each has waited (sortable by age).

Assigning (to oneself) and unassigning need the 'Make decisions' permission, as
recording a review does; so does writing a note. Notes are free text that may describe
the person: they live with the check (deleted with its session) and the audit trail
records only that a note was added.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, select

from identity_app.checks.report import CheckType
from identity_app.models import (AuditAction, Check, Operator, Permission, ReviewAssignment, ReviewNote, ReviewState,
                                 VerificationSession, utcnow)
from identity_app.services.console_words import shown_name
from identity_app.services import audit
from identity_app.services.access.auth import OperatorView
from identity_app.services.access.permissions import require
from identity_app.services.errors import Conflict, ValidationError
from identity_app.services.review.manual import _check_for

NOTE_MAX = 2000


@dataclass(frozen=True)
class QueueEntry:
    check_id: int
    check_type: str
    label: str
    attempt: int
    session_id: int
    user_name: str
    reference: str
    manual_check: str
    automated: str          # "REJECT (DIFFERENT_PERSON)"
    waiting_since: datetime
    age_s: int              # seconds waited so far
    age: str                # "2 d 3 h", "45 min"
    assignee: str           # "" when nobody took it
    assigned_to_me: bool
    notes: int
    last_note: str


@dataclass(frozen=True)
class NoteView:
    id: int
    text: str
    by: str
    at: datetime


def age_label(seconds: int) -> str:
    minutes = max(0, seconds) // 60
    if minutes < 60:
        return f"{minutes} min"
    hours = minutes // 60
    if hours < 24:
        return f"{hours} h {minutes % 60} min"
    return f"{hours // 24} d {hours % 24} h"


def _names(db: Session, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    return {o.id: o.name for o in db.exec(select(Operator).where(Operator.id.in_(ids))).all()}  # type: ignore[union-attr,misc]


def list_queue(db: Session, *, actor: OperatorView | None, application_id: int, oldest_first: bool = True,
               now: datetime | None = None) -> list[QueueEntry]:
    """The application's checks waiting for a person, sorted by age (oldest first unless asked)."""
    require(db, actor, application_id, Permission.VIEW_SESSIONS)
    assert actor is not None
    now = now or utcnow()
    rows = db.exec(
        select(Check, VerificationSession).join(VerificationSession, VerificationSession.id == Check.session_id)
        .where(VerificationSession.application_id == application_id, Check.review_state == ReviewState.PENDING)
    ).all()
    ids = [c.id for c, _ in rows]
    assigned = {a.check_id: a for a in db.exec(select(ReviewAssignment).where(
        ReviewAssignment.check_id.in_(ids))).all()} if ids else {}  # type: ignore[attr-defined]
    notes: dict[int, list[ReviewNote]] = {}
    for n in (db.exec(select(ReviewNote).where(ReviewNote.check_id.in_(ids))  # type: ignore[attr-defined]
                      .order_by(ReviewNote.created_at, ReviewNote.id)).all() if ids else ()):  # type: ignore[arg-type]
        notes.setdefault(n.check_id, []).append(n)
    names = _names(db, {a.assignee_id for a in assigned.values() if a.assignee_id is not None})
    out = []
    for c, vs in rows:
        a = assigned.get(c.id)
        who = a.assignee_id if a is not None else None
        age = int((now - c.created_at).total_seconds())
        mine = notes.get(c.id, [])
        out.append(QueueEntry(
            c.id, c.type, CheckType(c.type).label, c.attempt, vs.id, shown_name(vs.user_name, vs.id), vs.reference,  # type: ignore[arg-type]
            c.manual_check.value, (c.recommendation or "") + (f" ({c.reason})" if c.reason else ""), c.created_at,
            age, age_label(age), names.get(who, "") if who is not None else "", who is not None and who == actor.id,
            len(mine), mine[-1].text if mine else ""))
    out.sort(key=lambda e: (e.waiting_since, e.check_id), reverse=not oldest_first)
    return out


def _pending(db: Session, actor: OperatorView | None, check_id: int):
    check, vs = _check_for(db, actor, check_id, Permission.DECIDE)
    if check.review_state != ReviewState.PENDING:
        raise Conflict("This check is not waiting for a review (someone may have reviewed it already).")
    return check, vs


def assign_to_me(db: Session, *, actor: OperatorView | None, check_id: int, ip: str = "") -> None:
    check, vs = _pending(db, actor, check_id)
    assert actor is not None
    row = db.exec(select(ReviewAssignment).where(ReviewAssignment.check_id == check_id)).first()
    if row is not None and row.assignee_id not in (None, actor.id):
        raise Conflict("Someone else took this review: unassign it first.")
    row = row or ReviewAssignment(check_id=check_id)
    row.assignee_id, row.assigned_at = actor.id, utcnow()
    db.add(row)
    audit.record(db, AuditAction.REVIEW_ASSIGNED, operator_id=actor.id, actor=actor.email,
                 application_id=vs.application_id, session_id=vs.id, target=f"check:{check_id}", ip=ip,
                 assignee=actor.email)
    db.flush()


def unassign(db: Session, *, actor: OperatorView | None, check_id: int, ip: str = "") -> None:
    check, vs = _pending(db, actor, check_id)
    assert actor is not None
    row = db.exec(select(ReviewAssignment).where(ReviewAssignment.check_id == check_id)).first()
    if row is None or row.assignee_id is None:
        return
    db.delete(row)
    audit.record(db, AuditAction.REVIEW_UNASSIGNED, operator_id=actor.id, actor=actor.email,
                 application_id=vs.application_id, session_id=vs.id, target=f"check:{check_id}", ip=ip)
    db.flush()


def add_note(db: Session, *, actor: OperatorView | None, check_id: int, text: str, ip: str = "") -> NoteView:
    check, vs = _pending(db, actor, check_id)
    assert actor is not None
    text = (text or "").strip()
    if not text:
        raise ValidationError("Write the note first.")
    if len(text) > NOTE_MAX:
        raise ValidationError(f"The note is too long ({NOTE_MAX} characters at most).")
    note = ReviewNote(check_id=check_id, author_id=actor.id, text=text)
    db.add(note)
    db.flush()
    audit.record(db, AuditAction.REVIEW_NOTE_ADDED, operator_id=actor.id, actor=actor.email,
                 application_id=vs.application_id, session_id=vs.id, target=f"check:{check_id}", ip=ip)
    assert note.id is not None
    return NoteView(note.id, note.text, actor.name, note.created_at)


def notes_of(db: Session, *, actor: OperatorView | None, check_id: int) -> tuple[NoteView, ...]:
    _check_for(db, actor, check_id, Permission.VIEW_SESSIONS)
    rows = db.exec(select(ReviewNote).where(ReviewNote.check_id == check_id)
                   .order_by(ReviewNote.created_at, ReviewNote.id)).all()  # type: ignore[arg-type]
    names = _names(db, {n.author_id for n in rows if n.author_id is not None})
    return tuple(NoteView(n.id, n.text, names.get(n.author_id, "deleted user") if n.author_id else "deleted user",  # type: ignore[arg-type]
                          n.created_at) for n in rows)
