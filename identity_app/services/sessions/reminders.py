"""Reminder emails for sessions whose person has not started yet.

Per application (frozen into each session's snapshot): how many reminders
(0 to 6) and how many days apart, counted from the creation or the last
reminder. Run periodically by the worker (identity_app/worker.py).
"""
from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Callable

from sqlmodel import Session, col, or_, select

from identity_app.models import Application, AuditAction, SessionState, VerificationSession, utcnow
from identity_app.services import audit
from identity_app.services.mailer import EmailError, SentEmail, send_email, session_tag
from identity_app.services.sessions.links import link_email, session_link

log = logging.getLogger(__name__)
MAX_REMINDERS = 6
BATCH = 500


def _plan(vs: VerificationSession, app: Application) -> tuple[int, int]:
    """(count, interval days) the session was created with; older snapshots fall back to the application."""
    prefs = (vs.config_snapshot or {}).get("preferences", {})
    count = int(prefs.get("reminder_count", app.reminder_count))
    interval = int(prefs.get("reminder_interval_days", app.reminder_interval_days))
    return min(max(count, 0), MAX_REMINDERS), max(interval, 1)


def due(vs: VerificationSession, app: Application, now: datetime) -> bool:
    count, interval = _plan(vs, app)
    if vs.state != SessionState.ONGOING or vs.started_at is not None or vs.expires_at <= now:
        return False
    if vs.reminders_sent >= count:
        return False
    return (vs.last_reminder_at or vs.created_at) + timedelta(days=interval) <= now


def send_due_reminders(db: Session, now: datetime | None = None,
                       send: Callable[..., SentEmail] = send_email) -> int:
    """Email every due reminder; returns how many were sent. The caller commits."""
    now = now or utcnow()
    vs_ = VerificationSession
    # Cheap SQL pre-filter (at least one day since the last contact); the per-session plan is checked in Python.
    stmt = (
        select(vs_, Application).join(Application, Application.id == vs_.application_id)
        .where(vs_.state == SessionState.ONGOING, col(vs_.started_at).is_(None), vs_.expires_at > now,
               vs_.reminders_sent < MAX_REMINDERS, Application.is_active,
               or_(col(vs_.last_reminder_at).is_(None), vs_.last_reminder_at <= now - timedelta(days=1)),
               vs_.created_at <= now - timedelta(days=1))
        .order_by(vs_.id)
    )
    sent = 0
    last_id = 0
    while True:
        batch = db.exec(stmt.where(vs_.id > last_id).limit(BATCH)).all()
        if not batch:
            return sent
        for vs, app in batch:
            last_id = vs.id  # type: ignore[assignment]
            if not due(vs, app, now):
                continue
            name = (vs.config_snapshot or {}).get("preferences", {}).get("application_name", app.name)
            subject, body = link_email(name, vs.user_name, session_link(vs.token), vs.expires_at, reminder=True)
            try:
                result = send(vs.user_email, subject, body, tag=session_tag(vs.id))
            except EmailError:
                log.warning("reminder for session %s not sent: email failed", vs.id)
                continue
            vs.reminders_sent += 1
            vs.last_reminder_at = now
            db.add(vs)
            audit.record(db, AuditAction.REMINDER_SENT, application_id=vs.application_id, session_id=vs.id,
                         number=vs.reminders_sent, transport=result.transport)
            sent += 1
        db.flush()
