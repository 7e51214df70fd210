"""When a session expires: one rule (`is_due`), used by the scheduled job
(`expire_sessions`, run by the worker every 5 minutes), by the capture link
(`expire_if_due` when the link is opened or used) and by the session detail
(which shows EXPIRED before the job has marked it).

A session expires when its link lifetime passed before it completed. A session
whose capture was submitted keeps a grace period for its checks to finish; one
waiting for a person's review never expires (the reviewer completes it).
"""
from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from identity_app.models import AuditAction, Check, ReviewState, SessionState, VerificationSession, utcnow
from identity_app.services import audit
from identity_app.services.api import events

CHECKS_GRACE = timedelta(hours=24)
BATCH = 1000


def is_due(vs: VerificationSession, now: datetime, review_pending: Callable[[], bool]) -> bool:
    """The expiry rule: still ONGOING, its link lifetime passed, its capture not submitted (or
    submitted more than CHECKS_GRACE ago, and its checks still not done), and no review pending.

    `review_pending` is asked last, only when everything else says due (it may query)."""
    return (vs.state == SessionState.ONGOING and vs.expires_at <= now
            and (vs.capture_finished_at is None or vs.capture_finished_at <= now - CHECKS_GRACE)
            and not review_pending())


def _review_pending(db: Session, session_id: int | None) -> bool:
    return db.exec(select(Check.id).where(Check.session_id == session_id,
                                          Check.review_state == ReviewState.PENDING)).first() is not None


def _expire(db: Session, vs: VerificationSession) -> None:
    vs.state = SessionState.EXPIRED
    db.add(vs)
    audit.record(db, AuditAction.SESSION_EXPIRED, application_id=vs.application_id, session_id=vs.id)
    events.session_expired(db, vs)


def expire_if_due(db: Session, vs: VerificationSession, now: datetime | None = None) -> bool:
    """Mark one session EXPIRED (audited) if the rule says so; True when it did. The caller commits."""
    if not is_due(vs, now or utcnow(), lambda: _review_pending(db, vs.id)):
        return False
    _expire(db, vs)
    return True


def expire_sessions(db: Session, now: datetime | None = None) -> int:
    """The scheduled job: every session the rule says is due becomes EXPIRED; returns how many.
    The caller commits."""
    now = now or utcnow()
    vs_ = VerificationSession
    # Only sessions whose lifetime passed can be due; the rule decides among them.
    candidates = select(vs_).where(vs_.state == SessionState.ONGOING, vs_.expires_at <= now)
    count, after = 0, 0
    while True:
        batch = db.exec(candidates.where(col(vs_.id) > after).order_by(vs_.id).limit(BATCH)).all()
        if not batch:
            return count
        ids = [vs.id for vs in batch]
        waiting = set(db.exec(select(Check.session_id).where(col(Check.session_id).in_(ids),
                                                             Check.review_state == ReviewState.PENDING)).all())
        for vs in batch:
            if is_due(vs, now, lambda: vs.id in waiting):  # noqa: B023 (called at once)
                _expire(db, vs)
                count += 1
        db.flush()
        after = batch[-1].id  # type: ignore[assignment]
