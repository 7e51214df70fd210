"""Where a session stands, in words: whom an IN PROGRESS session waits for, or why an EXPIRED one
ended. IN PROGRESS alone did not say whether the person had even opened the link. The session page's
banner shows the words, the session list the kind."""
from __future__ import annotations

from datetime import datetime

from identity_app.models import SessionState


def progress_note(state: SessionState, started_at: datetime | None, capture_finished_at: datetime | None,
                  pending_reviews: int) -> tuple[str, str]:
    """(kind, words): kind is WAITING_FOR_PERSON, CAPTURING, CHECKING, REVIEW, or "" when the session
    waits for nobody (COMPLETED, EXPIRED)."""
    if state is SessionState.EXPIRED:
        if started_at is None:
            return "", "The link expired before the person opened it."
        if capture_finished_at is None:
            return "", "The link expired before the person finished the capture."
        return "", ""
    if state is SessionState.COMPLETED:
        return "", ""
    if started_at is None:
        return "WAITING_FOR_PERSON", "Waiting for the person to open the link."
    if capture_finished_at is None:
        return "CAPTURING", "The person opened the link and has not finished the capture yet."
    if pending_reviews:
        checks = "check waits" if pending_reviews == 1 else "checks wait"
        return "REVIEW", f"{pending_reviews} {checks} for manual review."
    return "CHECKING", "The person finished the capture; the checks are running."
