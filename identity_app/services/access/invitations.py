"""Invitations: an application manager adds a user by email; a single-use link
valid for 7 days lets them create their account (password, then TOTP).

The pending invitations of an application are listed for its managers, who can
revoke one or send it again (a new link: the old one stops working). A second
invitation for an email already invited is refused with a message saying so;
a link that cannot be used (revoked, replaced, accepted, expired, or its email
has an account by now) says so as the page opens, before any password is typed."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session, select

from identity_app import routes
from identity_app.crypto import hash_token, new_token
from identity_app.models import Application, AuditAction, Invitation, Membership, Operator, Permission, utcnow
from identity_app.services import audit
from identity_app.services.access.auth import OperatorView, normalise_email
from identity_app.services.errors import Conflict, NotFound, ValidationError
from identity_app.services.mailer import send_email
from identity_app.services.access.passwords import hash_password
from identity_app.services.access.permissions import PERMISSION_LABELS, clean_permissions, require
from identity_app.settings import get_settings

INVITATION_LIFETIME = timedelta(days=7)
INVALID_LINK = "This invitation link is not valid any more. Ask for a new invitation."
HAS_ACCOUNT = "An account with this email already exists. Sign in instead."


@dataclass(frozen=True)
class InvitationSent:
    email: str
    link: str            # shown to the inviter (the embedded default has no real email)
    expires_at: datetime | None
    existing_user: bool  # True: an account existed and was simply added
    email_transport: str


@dataclass(frozen=True)
class PendingInvitation:
    id: int
    email: str
    permissions: tuple[str, ...]  # their labels, in words
    invited_by: str
    sent_at: datetime
    expires_at: datetime


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
    pending = _pending(db, application_id).where(Invitation.email == email)
    if (already := db.exec(pending).first()) is not None:
        raise Conflict(f"{email} was already invited on {already.created_at:%d %b %Y} (the link expires "
                       f"{already.expires_at:%d %b %Y}). Send that invitation again or revoke it below.")
    token = new_token()
    inv = Invitation(application_id=application_id, email=email, token_hash=hash_token(token), permissions=perms,
                     invited_by_id=actor.id, expires_at=utcnow() + INVITATION_LIFETIME)
    db.add(inv)
    db.flush()
    sent = _send(db, inv, app, actor, token)
    audit.record(db, AuditAction.INVITATION_SENT, operator_id=actor.id, actor=actor.email,
                 application_id=application_id, target=f"invitation:{inv.id}", ip=ip, permissions=perms)
    return sent


def _send(db: Session, inv: Invitation, app: Application, actor: OperatorView, token: str = "") -> InvitationSent:
    """Email the invitation's link; without `token`, a new link (any earlier link stops working),
    valid 7 days from now."""
    if not token:
        token = new_token()
        inv.token_hash, inv.expires_at = hash_token(token), utcnow() + INVITATION_LIFETIME
    db.add(inv)
    link = routes.absolute(get_settings().public_base_url, routes.invitation_path(token))
    sent = send_email(
        inv.email, f"Invitation to {app.name}",
        f"{actor.name} invited you to verify identities in {app.name}.\n\n"
        f"Create your account (the link works once, for 7 days):\n{link}\n\n"
        "You will set a password and two-factor authentication with an authenticator app.\n",
    )
    return InvitationSent(inv.email, link, inv.expires_at, False, sent.transport)


def _pending(db: Session, application_id: int):
    return select(Invitation).where(Invitation.application_id == application_id, Invitation.accepted_at == None,  # noqa: E711
                                    Invitation.revoked_at == None, Invitation.expires_at > utcnow())  # noqa: E711


def list_invitations(db: Session, *, actor: OperatorView, application_id: int) -> tuple[PendingInvitation, ...]:
    """The application's invitations not yet accepted, revoked or expired, newest first."""
    require(db, actor, application_id, Permission.MANAGE_APPLICATION)
    rows = db.exec(_pending(db, application_id).order_by(Invitation.id.desc())).all()  # type: ignore[union-attr]
    inviters = {o.id: o.email for o in db.exec(select(Operator).where(
        Operator.id.in_({r.invited_by_id for r in rows if r.invited_by_id}))).all()} if rows else {}  # type: ignore[union-attr]
    return tuple(PendingInvitation(r.id, r.email, tuple(PERMISSION_LABELS[Permission(p)] for p in r.permissions),
                                   inviters.get(r.invited_by_id, ""), r.created_at, r.expires_at)  # type: ignore[arg-type]
                 for r in rows)


def _pending_one(db: Session, actor: OperatorView, application_id: int, invitation_id: int) -> Invitation:
    require(db, actor, application_id, Permission.MANAGE_APPLICATION)
    inv = db.exec(_pending(db, application_id).where(Invitation.id == invitation_id)).first()
    if inv is None:
        raise NotFound("This invitation is not pending any more (accepted, revoked or expired).")
    return inv


def revoke_invitation(db: Session, *, actor: OperatorView, application_id: int, invitation_id: int,
                      ip: str = "") -> str:
    """Its link stops working at once; returns the email it was for."""
    inv = _pending_one(db, actor, application_id, invitation_id)
    inv.revoked_at = utcnow()
    db.add(inv)
    audit.record(db, AuditAction.INVITATION_REVOKED, operator_id=actor.id, actor=actor.email,
                 application_id=application_id, target=f"invitation:{inv.id}", ip=ip)
    return inv.email


def resend_invitation(db: Session, *, actor: OperatorView, application_id: int, invitation_id: int,
                      ip: str = "") -> InvitationSent:
    """Email the invitation again with a new link, valid 7 days from now (the old link stops working)."""
    inv = _pending_one(db, actor, application_id, invitation_id)
    app = db.get(Application, application_id)
    assert app is not None
    sent = _send(db, inv, app, actor)
    audit.record(db, AuditAction.INVITATION_RESENT, operator_id=actor.id, actor=actor.email,
                 application_id=application_id, target=f"invitation:{inv.id}", ip=ip)
    return sent


# The link's token reaches the pages only as the hash of the invitation cookie
# (web/auth_routes.py turns the emailed link into that cookie), hence `token_hash`.


def _valid(db: Session, token_hash: str) -> Invitation:
    inv = db.exec(select(Invitation).where(Invitation.token_hash == (token_hash or "-"))).first()
    if inv is None or inv.accepted_at or inv.revoked_at or inv.expires_at <= utcnow():
        raise NotFound(INVALID_LINK)
    if db.exec(select(Operator.id).where(Operator.email == inv.email)).first() is not None:
        raise NotFound(HAS_ACCOUNT)  # invited before the account was made: said before a password is typed
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
    op = Operator(email=inv.email, name=name[:200], password_hash=hash_password(password))
    db.add(op)
    db.flush()
    db.add(Membership(application_id=inv.application_id, operator_id=op.id, permissions=list(inv.permissions)))
    inv.accepted_at = utcnow()
    db.add(inv)
    audit.record(db, AuditAction.INVITATION_ACCEPTED, operator_id=op.id, actor=op.email,
                 application_id=inv.application_id, target=f"invitation:{inv.id}", ip=ip)
    return OperatorView.of(op)
