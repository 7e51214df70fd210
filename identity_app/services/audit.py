"""The audit trail: one row per security-relevant action."""
from __future__ import annotations

from typing import Any

from sqlmodel import Session

from identity_app.models import AuditAction, AuditEvent


def record(
    db: Session,
    action: AuditAction,
    *,
    operator_id: int | None = None,
    actor: str = "",
    application_id: int | None = None,
    session_id: int | None = None,
    target: str = "",
    ip: str = "",
    **details: Any,
) -> AuditEvent:
    """Add an audit event to the unit of work (committed with it).

    `action` is an AuditAction (models.py), stored as its value; a plain string is
    refused, so every action the log can hold is named in one place.

    Callers pass identifiers and counts, never the personal data an action
    touched, so the audit log never becomes a copy of what was deleted.
    """
    if not isinstance(action, AuditAction):
        raise TypeError(f"audit.record takes an AuditAction, not {action!r}")
    event = AuditEvent(
        action=action.value,
        operator_id=operator_id,
        actor=actor or ("system" if operator_id is None else ""),
        application_id=application_id,
        session_id=session_id,
        target=target,
        ip=ip[:64],
        details=details,
    )
    db.add(event)
    return event
