"""The audit trail: one row per security-relevant action."""
from __future__ import annotations

from typing import Any

from sqlmodel import Session

from identity_app.models import AuditEvent


class Action:
    OWNER_CREATED = "owner.created"
    SIGN_IN = "auth.sign_in"
    SIGN_IN_FAILED = "auth.sign_in_failed"
    TOTP_FAILED = "auth.totp_failed"
    TOTP_ENROLLED = "auth.totp_enrolled"
    TOTP_RESET = "auth.totp_reset"
    RECOVERY_CODE_USED = "auth.recovery_code_used"
    LOCKOUT = "auth.lockout"
    SIGN_OUT = "auth.sign_out"
    INVITATION_SENT = "user.invited"
    INVITATION_ACCEPTED = "user.invitation_accepted"
    PERMISSIONS_CHANGED = "user.permissions_changed"
    MEMBER_REMOVED = "user.removed"
    APPLICATION_CREATED = "application.created"
    APPLICATION_UPDATED = "application.updated"


def record(
    db: Session,
    action: str,
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

    Callers pass identifiers and counts, never the personal data an action
    touched, so the audit log never becomes a copy of what was deleted.
    """
    event = AuditEvent(
        action=action,
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
