"""What happened to a session, told to the application's webhooks: the services call these where
it happens, in the same unit of work, so an event goes out only if what it tells was committed.

Payloads carry ids, states and recommendations; the person's name and email go only to endpoints
that asked for personal data. A session's reference (the team's own id for the person) is an id."""
from __future__ import annotations

from typing import Any, Iterable

from sqlmodel import Session

from identity_app.models import VerificationSession, WebhookTopic
from identity_app.services.api import yoti_notifications
from identity_app.services.api.webhooks import Event, emit


def _session_event(vs: VerificationSession, **data: Any) -> Event:
    assert vs.id is not None
    return Event(vs.id, {"state": vs.state.value, "reference": vs.reference, **data},
                 personal={"user_name": vs.user_name, "user_email": vs.user_email})


def _tell(db: Session, vs: VerificationSession, topic: WebhookTopic, **data: Any) -> None:
    emit(db, application_id=vs.application_id, topic=topic, events=[_session_event(vs, **data)])
    # A session made through the Yoti-compatible API may have its own notification endpoint.
    yoti_notifications.tell(db, vs, topic, data)


def sessions_created(db: Session, sessions: Iterable[VerificationSession]) -> None:
    by_app: dict[int, list[Event]] = {}
    for vs in sessions:
        by_app.setdefault(vs.application_id, []).append(
            _session_event(vs, expires_at=vs.expires_at.isoformat()))
    for application_id, events in by_app.items():
        emit(db, application_id=application_id, topic=WebhookTopic.SESSION_CREATED, events=events)


def session_created(db: Session, vs: VerificationSession) -> None:
    sessions_created(db, [vs])


def session_completed(db: Session, vs: VerificationSession, checks: list[dict[str, Any]]) -> None:
    """`checks`: each check's id, type and recommendation (the report itself is read through the API)."""
    _tell(db, vs, WebhookTopic.SESSION_COMPLETED, checks=checks)


def session_expired(db: Session, vs: VerificationSession) -> None:
    _tell(db, vs, WebhookTopic.SESSION_EXPIRED)


def session_deleted(db: Session, *, application_id: int, session_id: int) -> None:
    emit(db, application_id=application_id, topic=WebhookTopic.SESSION_DELETED,
         events=[Event(session_id, {"state": "DELETED"})])


def decision_recorded(db: Session, vs: VerificationSession, *, decision_id: int, value: str) -> None:
    """The decision's value, never its note (a reviewer's words may name the person)."""
    _tell(db, vs, WebhookTopic.DECISION_RECORDED, decision_id=decision_id, decision=value)


def check_completed(db: Session, vs: VerificationSession, *, check_id: int, check_type: str,
                    recommendation: str | None, reason: str | None) -> None:
    _tell(db, vs, WebhookTopic.CHECK_COMPLETED, check_id=check_id, check_type=check_type,
          recommendation=recommendation, reason=reason)


def task_completed(db: Session, vs: VerificationSession, *, task_id: int, task_type: str) -> None:
    _tell(db, vs, WebhookTopic.TASK_COMPLETED, task_id=task_id, task_type=task_type)


def resource_updated(db: Session, vs: VerificationSession, *, resource_id: int, resource_type: str) -> None:
    _tell(db, vs, WebhookTopic.RESOURCE_UPDATED, resource_id=resource_id, resource_type=resource_type)
