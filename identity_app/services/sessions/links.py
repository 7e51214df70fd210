"""Verification sessions: created from a name and an email, each with a link
(a 256-bit capability) and a snapshot of the application's configuration."""
from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session, select

from identity_app import routes
from identity_app.crypto import new_token
from identity_app.models import Application, AuditAction, Permission, SessionState, VerificationSession, utcnow
from identity_app.services import audit
from identity_app.services.api import events
from identity_app.services.applications.checks_config import ChecksConfig
from identity_app.services.applications.overrides import SessionOverrides, apply_checks, apply_preferences
from identity_app.services.access.auth import OperatorView, normalise_email
from identity_app.services.errors import Conflict, ValidationError
from identity_app.services.mailer import EmailError, send_email, session_tag
from identity_app.services.access.permissions import require, session_for
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
            "reminder_count": app.reminder_count,
            "reminder_interval_days": app.reminder_interval_days,
        },
    }


# Letters that Unicode does not decompose into a base letter and a mark.
_FOLD_LETTERS = str.maketrans({"ø": "o", "ł": "l", "đ": "d", "ð": "d", "þ": "th", "æ": "ae", "œ": "oe",
                               "ı": "i", "ħ": "h", "ŧ": "t"})


def fold(text: str) -> str:
    """Lower case without accents, as people type a name they read: 'Müller' -> 'muller',
    'Zoë' -> 'zoe', 'Łukasz Ørsted' -> 'lukasz orsted'. The search text is stored folded and
    a search is folded the same way, so 'muller' finds Müller on SQLite and PostgreSQL alike
    (no collation or extension needed), and ordering by it sorts Élodie among the e's."""
    decomposed = unicodedata.normalize("NFKD", (text or "").casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c)).translate(_FOLD_LETTERS)


def search_text(name: str, email: str, reference: str) -> str:
    """Folded "name email reference": searched by part of a word, and ordered by for the name sort."""
    return fold(f"{name} {email} {reference}")[:800]


def session_link(token: str) -> str:
    return routes.absolute(get_settings().public_base_url, routes.capture_path(token))


@dataclass(frozen=True)
class Person:
    """The name, email and reference a session is created from (not verified)."""

    name: str
    email: str
    reference: str


def _printable(value: str, label: str) -> str:
    """Control characters (NUL, escapes, line breaks) have no place in a name or an email; PostgreSQL
    refuses NUL outright, and the others would forge lines in emails and exports."""
    if any(unicodedata.category(c) == "Cc" for c in value or ""):
        raise ValidationError(f"The {label} contains characters that are not allowed.")
    return value


def clean_person(user_name: str, user_email: str, reference: str = "") -> Person:
    user_name, user_email = _printable(user_name, "name"), _printable(user_email, "email")
    reference = _printable(reference, "reference")
    name = (user_name or "").strip()
    if not name:
        raise ValidationError("Enter the person's name.")
    if len(name) > 200:
        raise ValidationError("The name is too long (200 characters at most).")
    email = normalise_email(user_email)
    if any(c.isspace() for c in email) or "." not in email.rsplit("@", 1)[-1]:
        raise ValidationError("Enter a valid email address.")
    reference = (reference or "").strip()
    if len(reference) > 200:
        raise ValidationError("The reference is too long (200 characters at most).")
    return Person(name, email, reference)


def active_application(db: Session, actor: OperatorView, application_id: int) -> Application:
    require(db, actor, application_id, Permission.CREATE_SESSIONS)
    app = db.get(Application, application_id)
    assert app is not None
    if not app.is_active:
        raise Conflict("This application is deactivated: activate it to create sessions.")
    return app


def new_session_row(app: Application, person: Person, *, created_by_id: int | None, now: datetime,
                    snapshot: dict | None = None, created_via: str = "") -> VerificationSession:
    """A session row (not yet added); bulk creation shares the snapshot dict."""
    snapshot = snapshot if snapshot is not None else application_snapshot(app)
    lifetime = int(snapshot.get("preferences", {}).get("session_lifetime_days", app.session_lifetime_days))
    return VerificationSession(
        application_id=app.id, token=new_token(), user_name=person.name, user_email=person.email,
        reference=person.reference, search_text=search_text(person.name, person.email, person.reference),
        config_snapshot=snapshot, created_by_id=created_by_id, created_via=created_via, created_at=now,
        expires_at=now + timedelta(days=lifetime),
    )


def snapshot_with(app: Application, overrides: SessionOverrides | None) -> dict:
    """The application's snapshot, narrowed by what the request asked (services/applications/overrides.py)."""
    snapshot = application_snapshot(app)
    if overrides is not None:
        snapshot["checks"] = apply_checks(ChecksConfig.from_dict(snapshot["checks"]), overrides).to_dict()
        snapshot["preferences"] = apply_preferences(snapshot["preferences"], overrides)
    return snapshot


def create_session(db: Session, *, actor: OperatorView, application_id: int, user_name: str, user_email: str,
                   reference: str = "", ip: str = "", overrides: SessionOverrides | None = None) -> CreatedSession:
    app = active_application(db, actor, application_id)
    person = clean_person(user_name, user_email, reference)
    vs = new_session_row(app, person, created_by_id=actor.id, now=utcnow(), snapshot=snapshot_with(app, overrides),
                         created_via=actor.via)
    db.add(vs)
    db.flush()
    assert vs.id is not None
    audit.record(db, AuditAction.SESSION_CREATED, operator_id=actor.id, actor=actor.email,
                 application_id=application_id, session_id=vs.id, ip=ip)
    events.session_created(db, vs)
    return CreatedSession(vs.id, session_link(vs.token), vs.token, vs.expires_at)


def find_by_token(db: Session, token: str) -> VerificationSession | None:
    """The session behind a link, or None (unknown links reveal nothing)."""
    if not token or len(token) > 64:
        return None
    return db.exec(select(VerificationSession).where(VerificationSession.token == token)).first()


def is_open(vs: VerificationSession) -> bool:
    return vs.state == SessionState.ONGOING and vs.expires_at > utcnow()


# --- console views of one session --------------------------------------------

@dataclass(frozen=True)
class SessionLink:
    session_id: int
    link: str
    qr_svg_data_uri: str
    expires_at: datetime
    state: str        # API name
    state_label: str  # console name
    user_name: str
    user_email: str


def get_link(db: Session, *, actor: OperatorView, session_id: int) -> SessionLink:
    """The link of a session with its QR code (for the desktop-to-phone hand-off)."""
    from identity_app.services.access.totp import qr_svg_data_uri

    vs = session_for(db, actor, session_id, Permission.VIEW_SESSIONS)
    assert vs.id is not None
    link = session_link(vs.token)
    return SessionLink(vs.id, link, qr_svg_data_uri(link), vs.expires_at, vs.state.value, vs.state.label,
                       vs.user_name, vs.user_email)


def link_email(app_name: str, user_name: str, link: str, expires_at: datetime, reminder: bool = False) -> tuple[str, str]:
    """Subject and body of the email carrying a session link."""
    subject = (f"Reminder: verify your identity for {app_name}" if reminder
               else f"Verify your identity for {app_name}")
    body = (
        f"Hello {user_name},\n\n"
        f"{app_name} asks you to verify your identity. It takes a few minutes: you will photograph an "
        f"identity document and take a short video selfie.\n\n"
        f"Open this link on a phone or a computer with a camera:\n{link}\n\n"
        f"The link is personal and works until {expires_at.strftime('%d %B %Y, %H:%M')} UTC.\n"
    )
    return subject, body


def send_link_email(db: Session, *, actor: OperatorView, session_id: int, ip: str = "") -> str:
    """Email the link to the session's person; returns the transport used (smtp or outbox)."""
    vs = session_for(db, actor, session_id, Permission.CREATE_SESSIONS)
    if not is_open(vs):
        raise Conflict("This session is not open any more: create a new one.")
    app = db.get(Application, vs.application_id)
    assert app is not None and vs.id is not None
    subject, body = link_email(vs.config_snapshot.get("preferences", {}).get("application_name", app.name),
                               vs.user_name, session_link(vs.token), vs.expires_at)
    try:
        sent = send_email(vs.user_email, subject, body, tag=session_tag(vs.id))
    except EmailError as exc:
        raise ValidationError(str(exc)) from None
    audit.record(db, AuditAction.SESSION_LINK_EMAILED, operator_id=actor.id, actor=actor.email,
                 application_id=vs.application_id, session_id=vs.id, ip=ip, transport=sent.transport)
    return sent.transport
