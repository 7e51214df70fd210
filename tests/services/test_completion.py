"""The one completion rule (services/review/completion.py), as the worker and the last review call it:
COMPLETED once the capture is finished, every check is DONE, no task is pending and no review waits."""
from __future__ import annotations

from sqlmodel import select

from identity_app.checks.report import CheckType
from identity_app.models import (AuditAction, AuditEvent, Check, CheckState, ReviewState, SessionState, Task,
                                 TaskState, TaskType, utcnow)
from identity_app.services.review import completion
from tests.services.session_factory import make_session


def test_a_session_completes_only_when_nothing_is_left_to_do_or_to_review(db):
    vs = make_session(db)
    assert not completion.complete_if_ready(db, vs.id)  # nothing captured yet
    face = Check(session_id=vs.id, type=CheckType.ID_DOCUMENT_FACE_MATCH, state=CheckState.PENDING)
    task = Task(session_id=vs.id, type=TaskType.ID_DOCUMENT_TEXT_DATA_EXTRACTION, state=TaskState.PENDING)
    vs.capture_finished_at = utcnow()
    db.add_all([vs, face, task])
    db.flush()
    assert not completion.complete_if_ready(db, vs.id)  # a check is still running
    face.state, face.review_state = CheckState.DONE, ReviewState.PENDING
    db.add(face)
    db.flush()
    assert not completion.complete_if_ready(db, vs.id)  # a review waits (and the task runs)
    face.review_state = ReviewState.DONE
    db.add(face)
    db.flush()
    assert not completion.complete_if_ready(db, vs.id)  # the text task is still pending
    task.state = TaskState.FAILED  # a failed task is finished work
    db.add(task)
    db.flush()
    assert completion.complete_if_ready(db, vs.id)
    db.commit()
    db.refresh(vs)
    assert vs.state == SessionState.COMPLETED and vs.completed_at is not None
    assert not completion.complete_if_ready(db, vs.id)  # once
    events = db.exec(select(AuditEvent).where(AuditEvent.session_id == vs.id,
                                              AuditEvent.action == AuditAction.SESSION_COMPLETED)).all()
    assert len(events) == 1 and events[0].actor == "system" and events[0].details == {"checks": 1}


def test_an_expired_session_never_completes(db):
    vs = make_session(db)
    vs.capture_finished_at, vs.state = utcnow(), SessionState.EXPIRED
    db.add_all([vs, Check(session_id=vs.id, type=CheckType.LIVENESS, state=CheckState.DONE)])
    db.commit()
    assert not completion.complete_if_ready(db, vs.id)
