"""When a session is COMPLETED: one rule, used by the worker once a session's checks are
written (verification.run_session_checks) and by the review that was the last one waiting
(review.record_review)."""
from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, select

from identity_app.models import (AuditAction, Check, CheckState, ReviewState, SessionState, Task, TaskState,
                                 VerificationSession, utcnow)
from identity_app.services import audit
from identity_app.services.api import events



def complete_if_ready(db: Session, session_id: int, now: datetime | None = None) -> bool:
    """Mark an ongoing session COMPLETED when the capture is finished, every
    check is DONE, no task is pending and no review is waiting. Returns True
    when this call completed it; safe to call any number of times."""
    vs = db.get(VerificationSession, session_id)
    if vs is None or vs.state != SessionState.ONGOING or vs.capture_finished_at is None:
        return False
    checks = db.exec(select(Check).where(Check.session_id == session_id)).all()
    tasks = db.exec(select(Task).where(Task.session_id == session_id)).all()
    if not checks or any(c.state != CheckState.DONE or c.review_state == ReviewState.PENDING for c in checks):
        return False
    if any(t.state == TaskState.PENDING for t in tasks):
        return False
    vs.state = SessionState.COMPLETED
    vs.completed_at = now or utcnow()
    db.add(vs)
    audit.record(db, AuditAction.SESSION_COMPLETED, application_id=vs.application_id, session_id=vs.id,
                 target=f"session:{vs.id}", checks=len(checks))
    db.flush()
    events.session_completed(db, vs, [{"check_id": c.id, "check_type": c.type,
                                       "recommendation": c.recommendation} for c in checks])
    return True
