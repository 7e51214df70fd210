"""Expire sessions whose link lifetime passed before their checks completed.

Run periodically by the worker (identity_app/worker.py). A session whose
capture was submitted keeps a grace period for its checks to finish; one
waiting for a person's review never expires (the reviewer completes it).
"""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlmodel import Session, col, or_, select

from identity_app.models import AuditAction, Check, ReviewState, SessionState, VerificationSession, utcnow
from identity_app.services import audit

CHECKS_GRACE = timedelta(hours=24)
BATCH = 1000


def expire_sessions(db: Session, now: datetime | None = None) -> int:
    """Mark ONGOING sessions past their expiry as EXPIRED; returns how many. The caller commits."""
    now = now or utcnow()
    vs_ = VerificationSession
    stmt = (
        select(vs_).where(
            vs_.state == SessionState.ONGOING, vs_.expires_at <= now,
            or_(col(vs_.capture_finished_at).is_(None), vs_.capture_finished_at <= now - CHECKS_GRACE),
            ~select(Check.id).where(Check.session_id == vs_.id,
                                    Check.review_state == ReviewState.PENDING).exists(),
        ).order_by(vs_.id).limit(BATCH)
    )
    count = 0
    while True:
        batch = db.exec(stmt).all()
        if not batch:
            return count
        for vs in batch:
            vs.state = SessionState.EXPIRED
            db.add(vs)
            audit.record(db, AuditAction.SESSION_EXPIRED, application_id=vs.application_id, session_id=vs.id)
        db.flush()
        count += len(batch)
