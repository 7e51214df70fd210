"""Reading the audit trail: filters, pagination, and who may see what.

The owner sees every event, sign-ins included. Other operators see the
events of the applications they belong to (everyone there holds view
sessions); events without an application (sign-ins) are the owner's only.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone

import sqlalchemy as sa
from sqlmodel import Session, select

from identity_app.models import Application, AuditAction, AuditEvent, Membership, Permission
from identity_app.services.access.auth import OperatorView
from identity_app.services.forms import Page
from identity_app.services.errors import Forbidden, ValidationError
from identity_app.services.access.permissions import require

MAX_PAGE_SIZE = 200


@dataclass(frozen=True)
class AuditRow:
    id: int
    at: datetime
    actor: str
    operator_id: int | None
    action: str
    application_id: int | None
    application_name: str
    session_id: int | None
    target: str
    ip: str
    details: tuple[tuple[str, str], ...]
    action_label: str = ""  # in words: "Sign-in failed" for auth.sign_in_failed


def action_label(action: str) -> str:
    """An action in words, from its AuditAction name (SIGN_IN_FAILED -> 'Sign-in failed'); the stored
    value for an action no longer named."""
    try:
        name = AuditAction(action).name
    except ValueError:
        return action
    text = name.replace("_", " ").lower().replace("sign in", "sign-in").replace("sign out", "sign-out")
    for word, proper in (("totp", "two-factor code"), ("api", "API"), ("sdk", "SDK"), ("mrz", "MRZ"),
                         ("pdf", "PDF"), ("csv", "CSV")):
        text = " ".join(proper if w == word else w for w in text.split())
    return text[:1].upper() + text[1:]


AuditPage = Page  # Page[AuditRow]: one page of them


def _visible_app_ids(db: Session, actor: OperatorView) -> list[int]:
    rows = db.exec(select(Membership.application_id, Membership.permissions)
                   .where(Membership.operator_id == actor.id)).all()
    return [app_id for app_id, perms in rows if Permission.VIEW_SESSIONS.value in (perms or [])]


def _start(value: date | datetime) -> datetime:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=timezone.utc)
    return datetime.combine(value, time.min, tzinfo=timezone.utc)


def _end(value: date | datetime) -> datetime:
    """Exclusive end: a plain date includes that whole day."""
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=timezone.utc)
    return datetime.combine(value + timedelta(days=1), time.min, tzinfo=timezone.utc)


def _filtered(db: Session, actor: OperatorView, *, operator: str, action: str, session_id: int | None,
              application_id: int | None, date_from: date | datetime | None, date_to: date | datetime | None):
    conds = []
    if application_id is not None:
        require(db, actor, application_id, Permission.VIEW_SESSIONS)
        conds.append(AuditEvent.application_id == application_id)
    elif not actor.is_owner:
        ids = _visible_app_ids(db, actor)
        conds.append(AuditEvent.application_id.in_(ids or [-1]))  # type: ignore[union-attr]
    operator = (operator or "").strip().lower()
    if operator:
        conds.append(sa.func.lower(AuditEvent.actor).contains(operator, autoescape=True))
    if action:
        conds.append(AuditEvent.action == action.strip())
    if session_id is not None:
        conds.append(AuditEvent.session_id == session_id)
    if date_from is not None:
        conds.append(AuditEvent.at >= _start(date_from))
    if date_to is not None:
        conds.append(AuditEvent.at < _end(date_to))
    if date_from is not None and date_to is not None and _start(date_from) >= _end(date_to):
        raise ValidationError("The start date is after the end date.")
    return conds


def list_events(db: Session, *, actor: OperatorView | None, operator: str = "", action: str = "",
                session_id: int | None = None, application_id: int | None = None,
                date_from: date | datetime | None = None, date_to: date | datetime | None = None,
                page: int = 1, page_size: int = 50) -> AuditPage:
    """Events the actor may see, newest first, filtered and paginated.

    operator: part of the acting operator's email (case-insensitive);
    date_from/date_to: inclusive days (or exact datetimes)."""
    if actor is None:
        raise Forbidden("Sign in first.")
    page_size = max(1, min(int(page_size), MAX_PAGE_SIZE))
    page = max(1, int(page))
    conds = _filtered(db, actor, operator=operator, action=action, session_id=session_id,
                      application_id=application_id, date_from=date_from, date_to=date_to)
    total = db.exec(select(sa.func.count()).select_from(AuditEvent).where(*conds)).one()
    events = db.exec(select(AuditEvent).where(*conds).order_by(AuditEvent.at.desc(), AuditEvent.id.desc())  # type: ignore[attr-defined]
                     .offset((page - 1) * page_size).limit(page_size)).all()
    app_ids = {e.application_id for e in events if e.application_id is not None}
    names = dict(db.exec(select(Application.id, Application.name).where(Application.id.in_(app_ids))).all()  # type: ignore[union-attr]
                 ) if app_ids else {}
    rows = tuple(
        AuditRow(e.id, e.at, e.actor, e.operator_id, e.action, e.application_id,  # type: ignore[arg-type]
                 names.get(e.application_id, "") if e.application_id is not None else "",
                 e.session_id, e.target, e.ip, tuple((str(k), str(v)) for k, v in (e.details or {}).items()),
                 action_label(e.action))
        for e in events
    )
    return AuditPage(rows, int(total), page, page_size)


def action_names(db: Session, *, actor: OperatorView | None) -> list[str]:
    """The distinct actions among the events the actor may see (for a filter menu)."""
    if actor is None:
        raise Forbidden("Sign in first.")
    conds = _filtered(db, actor, operator="", action="", session_id=None, application_id=None,
                      date_from=None, date_to=None)
    return sorted(db.exec(select(AuditEvent.action).where(*conds).distinct()).all())
