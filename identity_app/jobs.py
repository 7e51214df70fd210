"""Work for the check worker, asked for inside a unit of work and sent once it commits.

A job must see what it was asked about, so a service never enqueues directly: it
calls `later(db, job)` and the job goes to the queue when that database session
commits (never when it rolls back). Only this module talks to the queue
(identity_app/worker.py); no edge imports the worker.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from enum import Enum

from sqlalchemy import event
from sqlmodel import Session

log = logging.getLogger(__name__)
_PENDING = "identity_app.jobs"


class JobKind(str, Enum):
    SESSION_CHECKS = "SESSION_CHECKS"        # a capture finished: run the session's checks
    LIVENESS_DECISION = "LIVENESS_DECISION"  # an attempt finished: decide it now
    DOCUMENT_READING = "DOCUMENT_READING"    # a photo was stored: read it while the user goes on
    WEBHOOK_DELIVERY = "WEBHOOK_DELIVERY"    # an event for a receiver (services/api/webhooks.py)


@dataclass(frozen=True)
class Job:
    kind: JobKind
    id: int                     # the session, or the resource (attempt, document)
    session_id: int | None = None

    @property
    def best_effort(self) -> bool:
        """A reading made early is only a head start: the session's checks read the document anyway;
        a webhook delivery not enqueued is picked up by the worker's sweep of due deliveries."""
        return self.kind in (JobKind.DOCUMENT_READING, JobKind.WEBHOOK_DELIVERY)


def later(db: Session, job: Job) -> None:
    """Send `job` once `db` commits."""
    pending: list[Job] = db.info.setdefault(_PENDING, [])
    # Listening stays on for the session's life (removing a listener while SQLAlchemy dispatches
    # is refused); `once` listeners would not do: a fired one stays registered and registering the
    # function again is ignored, so a session that commits several times (the check run writes
    # each report in its own commit) sent only its first commit's jobs.
    if not event.contains(db, "after_commit", _after_commit):
        event.listen(db, "after_commit", _after_commit)
        event.listen(db, "after_rollback", _after_rollback)
    if job not in pending:
        pending.append(job)


def _after_rollback(db: Session) -> None:
    db.info.pop(_PENDING, None)


def _after_commit(db: Session) -> None:
    jobs = db.info.pop(_PENDING, [])
    for job in jobs:
        try:
            send(job)
        except Exception:  # noqa: BLE001 - the work is committed; the worker's sweep takes lost jobs up
            if not job.best_effort:
                raise
            log.warning("could not enqueue %s for %s", job.kind.value, job.id)


def send(job: Job) -> None:
    from identity_app import worker

    if job.kind == JobKind.SESSION_CHECKS:
        worker.enqueue_session_checks(job.id)
    elif job.kind == JobKind.LIVENESS_DECISION:
        worker.enqueue_liveness(job.id)
    elif job.kind == JobKind.DOCUMENT_READING:
        worker.enqueue_document_reading(job.id, job.session_id)
    elif job.kind == JobKind.WEBHOOK_DELIVERY:
        worker.deliver_webhook(job.id)


def queue_depth() -> int:
    """Jobs waiting in the queue (every kind, scheduled retries included): /metrics and /api/ready.
    Raises whatever the queue raises when it does not answer."""
    from identity_app import worker

    return int(worker.huey.pending_count()) + int(worker.huey.scheduled_count())
