"""The session page's link actions: email the link again, or regenerate it.

Regenerating gives the session a new 256-bit token: the old link stops working at
once (the capture page finds no session behind it) and the new one is shown and can
be emailed. Both need the 'Create sessions' permission, both are audited, and only an
open session (in progress, not expired) has a link worth sending.
"""
from __future__ import annotations

from sqlmodel import Session

from identity_app.crypto import new_token
from identity_app.models import AuditAction, Permission, VerificationSession
from identity_app.services import audit
from identity_app.services.access.auth import OperatorView
from identity_app.services.access.permissions import session_for
from identity_app.services.errors import Conflict
from identity_app.services.sessions import links


def link_usable(vs: VerificationSession) -> bool:
    """The link still has work to do: the session is open and its capture not finished."""
    return links.is_open(vs) and vs.capture_finished_at is None


def _usable(db: Session, actor: OperatorView | None, session_id: int) -> VerificationSession:
    vs = session_for(db, actor, session_id, Permission.CREATE_SESSIONS)
    if not link_usable(vs):
        raise Conflict("This session's capture is finished or closed: its link has no more use.")
    return vs


def resend_link(db: Session, *, actor: OperatorView | None, session_id: int, ip: str = "") -> str:
    """Email the session's current link to its person; the transport used (smtp or outbox)."""
    _usable(db, actor, session_id)
    return links.send_link_email(db, actor=actor, session_id=session_id, ip=ip)  # type: ignore[arg-type]


def regenerate_link(db: Session, *, actor: OperatorView | None, session_id: int, ip: str = "") -> str:
    """A new link for the session (the old one stops working); returns the new link."""
    vs = _usable(db, actor, session_id)
    assert actor is not None and vs.id is not None
    vs.token = new_token()
    db.add(vs)
    audit.record(db, AuditAction.SESSION_LINK_REGENERATED, operator_id=actor.id, actor=actor.email,
                 application_id=vs.application_id, session_id=vs.id, target=f"session:{vs.id}", ip=ip)
    db.flush()
    return links.session_link(vs.token)
