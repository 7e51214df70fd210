"""Invitations: an application manager adds a user by email; a single-use link
valid for 7 days lets them create their account (password, then TOTP)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session, select

from identity_app import routes
from identity_app.crypto import hash_token, new_token
from identity_app.models import Application, AuditAction, Invitation, Membership, Operator, Permission, utcnow
from identity_app.services import audit
from identity_app.services.access.auth import OperatorView, normalise_email
from identity_app.services.errors import NotFound, ValidationError
from identity_app.services.mailer import send_email
from identity_app.services.access.passwords import hash_password
from identity_app.services.access.permissions import clean_permissions, require
from identity_app.settings import get_settings

INVITATION_LIFETIME = timedelta(days=7)
INVALID_LINK = "This invitation link is not valid any more. Ask for a new invitation."


@dataclass(frozen=True)
class InvitationSent:
    email: str
    link: str            # shown to the inviter (the embedded default has no real email)
    expires_at: datetime | None
    existing_user: bool  # True: an account existed and was simply added
    email_transport: str


@dataclass(frozen=True)
class InvitationInfo:
    email: str
    application_name: str
    expires_at: datetime


def invite(db: Session, *, actor: OperatorView, application_id: int, email: str,
           permissions: list[str] | None = None, ip: str = "") -> InvitationSent:
    require(db, actor, application_id, Permission.MANAGE_APPLICATION)
    email = normalise_email(email)
    perms = clean_permissions(permissions or [])
    app = db.get(Application, application_id)
    assert app is not None
    base = get_settings().public_base_url
    existing = db.exec(select(Operator).where(Operator.email == email)).first()
    if existing is not None:
        m = db.exec(select(Membership).where(Membership.application_id == application_id,
                                             Membership.operator_id == existing.id)).first()
        if m is not None:
            raise ValidationError(f"{email} is already a member of this application.")
        db.add(Membership(application_id=application_id, operator_id=existing.id, permissions=perms))
        link = routes.absolute(base, routes.application_path(application_id))
        sent = send_email(email, f"You now have access to {app.name}",
                          f"{actor.name} added you to {app.name}.\n\nSign in: {link}\n")
        audit.record(db, AuditAction.INVITATION_SENT, operator_id=actor.id, actor=actor.email,
                     application_id=application_id, target=f"operator:{existing.id}", ip=ip,
                     permissions=perms, existing_user=True)
        return InvitationSent(email, link, None, True, sent.transport)
    token = new_token()
    expires = utcnow() + INVITATION_LIFETIME
    inv = Invitation(application_id=application_id, email=email, token_hash=hash_token(token),
                     permissions=perms, invited_by_id=actor.id, expires_at=expires)
    db.add(inv)
    db.flush()
    link = routes.absolute(base, routes.invitation_path(token))
    sent = send_email(
        email, f"Invitation to {app.name}",
        f"{actor.name} invited you to verify identities in {app.name}.\n\n"
        f"Create your account (the link works once, for 7 days):\n{link}\n\n"
        "You will set a password and two-factor authentication with an authenticator app.\n",
    )
    audit.record(db, AuditAction.INVITATION_SENT, operator_id=actor.id, actor=actor.email,
                 application_id=application_id, target=f"invitation:{inv.id}", ip=ip, permissions=perms)
    return InvitationSent(email, link, expires, False, sent.transport)


# The link's token reaches the pages only as the hash of the invitation cookie
# (web/auth_routes.py turns the emailed link into that cookie), hence `token_hash`.


def _valid(db: Session, token_hash: str) -> Invitation:
    inv = db.exec(select(Invitation).where(Invitation.token_hash == (token_hash or "-"))).first()
    if inv is None or inv.accepted_at or inv.revoked_at or inv.expires_at <= utcnow():
        raise NotFound(INVALID_LINK)
    return inv


def invitation_expiry(db: Session, *, token_hash: str) -> int | None:
    """Seconds the invitation stays valid, or None when it is not valid."""
    try:
        inv = _valid(db, token_hash)
    except NotFound:
        return None
    return int((inv.expires_at - utcnow()).total_seconds())


def invitation_info(db: Session, *, token_hash: str) -> InvitationInfo:
    inv = _valid(db, token_hash)
    app = db.get(Application, inv.application_id)
    return InvitationInfo(inv.email, app.name if app else "", inv.expires_at)


def accept_invitation(db: Session, *, token_hash: str, name: str, password: str, ip: str = "") -> OperatorView:
    inv = _valid(db, token_hash)
    name = (name or "").strip()
    if not name:
        raise ValidationError("Enter your name.")
    if db.exec(select(Operator).where(Operator.email == inv.email)).first() is not None:
        raise ValidationError("An account with this email already exists. Sign in instead.")
    op = Operator(email=inv.email, name=name[:200], password_hash=hash_password(password))
    db.add(op)
    db.flush()
    db.add(Membership(application_id=inv.application_id, operator_id=op.id, permissions=list(inv.permissions)))
    inv.accepted_at = utcnow()
    db.add(inv)
    audit.record(db, AuditAction.INVITATION_ACCEPTED, operator_id=op.id, actor=op.email,
                 application_id=inv.application_id, target=f"invitation:{inv.id}", ip=ip)
    return OperatorView.of(op)
