"""Verification sessions: created from a name and an email, each with a link
(a 256-bit capability) and a snapshot of the application's configuration."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session, select

from identity_app import routes
from identity_app.crypto import new_token
from identity_app.models import Application, Permission, SessionState, VerificationSession, utcnow
from identity_app.services import audit
from identity_app.services.app_config import ChecksConfig
from identity_app.services.auth import OperatorView, normalise_email
from identity_app.services.errors import ValidationError
from identity_app.services.permissions import require
from identity_app.settings import get_settings


@dataclass(frozen=True)
class CreatedSession:
    id: int
    link: str
    token: str
    expires_at: datetime


def application_snapshot(app: Application) -> dict:
    """Everything a session needs from its application, frozen at creation."""
    return {
        "checks": ChecksConfig.from_dict(app.checks_config).to_dict(),
        "preferences": {
            "application_name": app.name,
            "primary_colour": app.primary_colour,
            "secondary_colour": app.secondary_colour,
            "locale": app.locale,
            "success_url": app.success_url,
            "error_url": app.error_url,
            "privacy_policy_url": app.privacy_policy_url,
            "session_lifetime_days": app.session_lifetime_days,
            "media_retention_days": app.media_retention_days,
            "has_logo": bool(app.logo_key),
        },
    }


def search_text(name: str, email: str, reference: str) -> str:
    return f"{name} {email} {reference}".lower()


def session_link(token: str) -> str:
    return routes.absolute(get_settings().public_base_url, routes.capture_path(token))


def create_session(db: Session, *, actor: OperatorView, application_id: int, user_name: str, user_email: str,
                   reference: str = "", ip: str = "") -> CreatedSession:
    require(db, actor, application_id, Permission.CREATE_SESSIONS)
    app = db.get(Application, application_id)
    assert app is not None
    if not app.is_active:
        raise ValidationError("This application is deactivated: activate it to create sessions.")
    name = (user_name or "").strip()
    if not name:
        raise ValidationError("Enter the person's name.")
    if len(name) > 200:
        raise ValidationError("The name is too long (200 characters at most).")
    email = normalise_email(user_email)
    reference = (reference or "").strip()
    if len(reference) > 200:
        raise ValidationError("The reference is too long (200 characters at most).")
    token = new_token()
    now = utcnow()
    vs = VerificationSession(
        application_id=application_id, token=token, user_name=name, user_email=email, reference=reference,
        search_text=search_text(name, email, reference), config_snapshot=application_snapshot(app),
        created_by_id=actor.id, created_at=now, expires_at=now + timedelta(days=app.session_lifetime_days),
    )
    db.add(vs)
    db.flush()
    assert vs.id is not None
    audit.record(db, "session.created", operator_id=actor.id, actor=actor.email, application_id=application_id,
                 session_id=vs.id, ip=ip)
    return CreatedSession(vs.id, session_link(token), token, vs.expires_at)


def find_by_token(db: Session, token: str) -> VerificationSession | None:
    """The session behind a link, or None (unknown links reveal nothing)."""
    if not token or len(token) > 64:
        return None
    return db.exec(select(VerificationSession).where(VerificationSession.token == token)).first()


def is_open(vs: VerificationSession) -> bool:
    return vs.state == SessionState.ONGOING and vs.expires_at > utcnow()
