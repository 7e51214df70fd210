"""Yoti compatibility: a session's own notification endpoint, as Yoti's session specification sets
it (`notifications`: endpoint, topics, auth token). The events the services emit anyway
(services/api/events.py) also become deliveries to it, named with Yoti's topics and shaped as
Yoti's notifications ({"session_id", "topic", and the check, task or resource id}), sent by the
worker like any webhook delivery with the team's auth token as the `Authorization` header."""
from __future__ import annotations

import uuid
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sqlmodel import Session

from identity_app import jobs
from identity_app.models import VerificationSession, WebhookDelivery, WebhookTopic, utcnow

SNAPSHOT_KEY = "yoti_notifications"  # in the session's config snapshot: endpoint, topics, auth_enc


class YotiTopic(StrEnum):
    """The notification topics we can send (Yoti's names)."""

    RESOURCE_UPDATE = "RESOURCE_UPDATE"
    TASK_COMPLETION = "TASK_COMPLETION"
    CHECK_COMPLETION = "CHECK_COMPLETION"
    SESSION_COMPLETION = "SESSION_COMPLETION"
    CLIENT_SESSION_TOKEN_DELETED = "CLIENT_SESSION_TOKEN_DELETED"


# Our event -> Yoti's topic and the id its notification names. An expired session's link stops
# working: that is Yoti's client session token going away. Creation, decisions and deletion have
# no Yoti topic (a deleted session's notifications are forgotten with it).
TOPICS: dict[WebhookTopic, tuple[YotiTopic, str | None]] = {
    WebhookTopic.RESOURCE_UPDATED: (YotiTopic.RESOURCE_UPDATE, "resource_id"),
    WebhookTopic.TASK_COMPLETED: (YotiTopic.TASK_COMPLETION, "task_id"),
    WebhookTopic.CHECK_COMPLETED: (YotiTopic.CHECK_COMPLETION, "check_id"),
    WebhookTopic.SESSION_COMPLETED: (YotiTopic.SESSION_COMPLETION, None),
    WebhookTopic.SESSION_EXPIRED: (YotiTopic.CLIENT_SESSION_TOKEN_DELETED, None),
}


@dataclass(frozen=True)
class NotificationTarget:
    """What a session's snapshot keeps: the endpoint, the topics, the sealed Authorization header."""

    endpoint: str
    topics: tuple[str, ...]
    auth_enc: str | None

    def to_dict(self) -> dict[str, Any]:
        return {"endpoint": self.endpoint, "topics": list(self.topics), "auth_enc": self.auth_enc}

    @classmethod
    def of(cls, vs: VerificationSession) -> "NotificationTarget | None":
        raw = (vs.config_snapshot or {}).get(SNAPSHOT_KEY)
        if not raw or not raw.get("endpoint"):
            return None
        return cls(str(raw["endpoint"]), tuple(raw.get("topics") or ()), raw.get("auth_enc"))


def payload(session_id: int, topic: YotiTopic, id_name: str | None, data: dict[str, Any]) -> dict[str, Any]:
    """Yoti's notification body: ids as strings, the topic in lower case as Yoti sends it."""
    body: dict[str, Any] = {"session_id": str(session_id), "topic": topic.value.lower()}
    if id_name and data.get(id_name) is not None:
        body[id_name] = str(data[id_name])
    return body


def tell(db: Session, vs: VerificationSession, topic: WebhookTopic, data: dict[str, Any]) -> bool:
    """A delivery to the session's notification endpoint when it subscribed to this event's Yoti
    topic (in the same unit of work as the event; sent once it commits). True if one was made."""
    target = NotificationTarget.of(vs)
    if target is None or topic not in TOPICS or vs.id is None:
        return False
    yoti_topic, id_name = TOPICS[topic]
    if yoti_topic.value not in target.topics:
        return False
    now = utcnow()
    delivery = WebhookDelivery(application_id=vs.application_id, endpoint_id=None, session_id=vs.id,
                               message_id=f"msg_{uuid.uuid4().hex}", topic=yoti_topic.value, url=target.endpoint,
                               auth_enc=target.auth_enc, payload=payload(vs.id, yoti_topic, id_name, data),
                               next_attempt_at=now, created_at=now)
    db.add(delivery)
    db.flush()
    assert delivery.id is not None
    jobs.later(db, jobs.Job(jobs.JobKind.WEBHOOK_DELIVERY, delivery.id))
    return True
