"""Editing an application: details, requested checks, preferences, logo, activation.

Every change needs MANAGE_APPLICATION and is audited with the names of the
fields that changed (never their values: a redirect URL or a description may
be sensitive, and the audit log is not a copy of the configuration).
Sessions already created keep their snapshot (services/sessions/links.py).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlparse

from sqlmodel import Session

from identity_app.models import Application, AuditAction, Permission, utcnow
from identity_app.services import audit
from identity_app.services.applications.checks_config import ChecksConfig
from identity_app.services.access.auth import OperatorView
from identity_app.services.errors import NotFound, ValidationError
from identity_app.services.access.permissions import require
from identity_app.storage import MediaNotFound, MediaStore, new_media_key

COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")
MAX_LOGO_BYTES = 2 * 1024 * 1024
MAX_LOGO_SIDE = 512  # the capture page shows it small: keep the stored copy small
MAX_REMINDERS = 6


def supported_locales() -> tuple[str, ...]:
    """English plus the languages the capture flow speaks."""
    try:
        from identity_app import i18n  # written by the capture flow

        found = getattr(i18n, "LANGUAGES", None) or getattr(i18n, "SUPPORTED_LOCALES", None)
        if found:
            codes = tuple(found.keys()) if isinstance(found, dict) else tuple(found)
            return tuple(dict.fromkeys(("en", *codes)))
    except ImportError:
        pass
    return ("en", "fr", "de")


@dataclass(frozen=True)
class Preferences:
    primary_colour: str = "#2563eb"
    secondary_colour: str = "#0f172a"
    locale: str = "en"
    success_url: str = ""
    error_url: str = ""
    privacy_policy_url: str = ""
    session_lifetime_days: int = 7
    media_retention_days: int = 90
    reminder_count: int = 0
    reminder_interval_days: int = 2


@dataclass(frozen=True)
class ApplicationSettings:
    id: int
    name: str
    description: str
    is_active: bool
    has_logo: bool
    checks: ChecksConfig
    preferences: Preferences


def _app(db: Session, actor: OperatorView | None, application_id: int, permission: Permission) -> Application:
    require(db, actor, application_id, permission)
    app = db.get(Application, application_id)
    if app is None:
        raise NotFound("That application does not exist.")
    return app


def _view(app: Application) -> ApplicationSettings:
    assert app.id is not None
    prefs = Preferences(
        app.primary_colour, app.secondary_colour, app.locale, app.success_url, app.error_url,
        app.privacy_policy_url, app.session_lifetime_days, app.media_retention_days, app.reminder_count,
        app.reminder_interval_days,
    )
    return ApplicationSettings(app.id, app.name, app.description, app.is_active, bool(app.logo_key),
                               ChecksConfig.from_dict(app.checks_config), prefs)


def _audit(db: Session, actor: OperatorView, app: Application, ip: str, **details) -> None:
    app.updated_at = utcnow()
    db.add(app)
    audit.record(db, AuditAction.APPLICATION_UPDATED, operator_id=actor.id, actor=actor.email,
                 application_id=app.id, ip=ip, **details)


def get_settings(db: Session, *, actor: OperatorView, application_id: int) -> ApplicationSettings:
    """Anyone who can view the application's sessions may read its settings."""
    return _view(_app(db, actor, application_id, Permission.VIEW_SESSIONS))


def update_details(db: Session, *, actor: OperatorView, application_id: int, name: str, description: str = "",
                   ip: str = "") -> ApplicationSettings:
    app = _app(db, actor, application_id, Permission.MANAGE_APPLICATION)
    name = (name or "").strip()
    if not name:
        raise ValidationError("Give the application a name.")
    if len(name) > 200:
        raise ValidationError("The name is too long (200 characters at most).")
    description = (description or "").strip()
    if len(description) > 2000:
        raise ValidationError("The description is too long (2,000 characters at most).")
    changed = [f for f, v in (("name", name), ("description", description)) if getattr(app, f) != v]
    app.name, app.description = name, description
    if changed:
        _audit(db, actor, app, ip, section="details", fields=changed)
    return _view(app)


def update_checks(db: Session, *, actor: OperatorView, application_id: int, checks: ChecksConfig | dict,
                  ip: str = "") -> ApplicationSettings:
    """Validate and store the requested checks; applies to sessions created from now on."""
    app = _app(db, actor, application_id, Permission.MANAGE_APPLICATION)
    raw = checks.to_dict() if isinstance(checks, ChecksConfig) else checks
    cfg = ChecksConfig.from_dict(raw)
    before = ChecksConfig.from_dict(app.checks_config).to_dict()
    after = cfg.to_dict()
    app.checks_config = after
    changed = sorted(k for k in after if before.get(k) != after[k])
    if changed:
        _audit(db, actor, app, ip, section="checks", fields=changed)
    return _view(app)


def url_or_empty(value: str, label: str) -> str:
    """A web address (http or https) or nothing; ValidationError naming `label` otherwise."""
    value = (value or "").strip()
    if not value:
        return ""
    if any(ord(c) < 32 or 127 <= ord(c) < 160 for c in value):
        raise ValidationError(f"The {label} contains characters that are not allowed.")
    try:
        parsed = urlparse(value)
    except ValueError:  # "http://[": an IPv6 bracket never closed (the API answered 500)
        parsed = None
    if parsed is None or parsed.scheme not in ("http", "https") or not parsed.netloc or len(value) > 2000:
        raise ValidationError(f"The {label} must be a web address starting with http:// or https://.")
    return value


def _int(value: object, label: str, low: int, high: int) -> int:
    try:
        number = int(str(value).strip())
    except ValueError:
        raise ValidationError(f"The {label} must be a whole number.") from None
    if not low <= number <= high:
        raise ValidationError(f"The {label} must be between {low} and {high}.")
    return number


def clean_preferences(prefs: Preferences) -> Preferences:
    for label, colour in (("primary colour", prefs.primary_colour), ("secondary colour", prefs.secondary_colour)):
        if not COLOUR.match((colour or "").strip()):
            raise ValidationError(f"The {label} must be a colour such as #2563eb.")
    locales = supported_locales()
    if prefs.locale not in locales:
        raise ValidationError(f"The language must be one of: {', '.join(locales)}.")
    return Preferences(
        primary_colour=prefs.primary_colour.strip().lower(),
        secondary_colour=prefs.secondary_colour.strip().lower(),
        locale=prefs.locale,
        success_url=url_or_empty(prefs.success_url, "success redirect URL"),
        error_url=url_or_empty(prefs.error_url, "error redirect URL"),
        privacy_policy_url=url_or_empty(prefs.privacy_policy_url, "privacy policy URL"),
        session_lifetime_days=_int(prefs.session_lifetime_days, "session link lifetime (days)", 1, 90),
        media_retention_days=_int(prefs.media_retention_days, "media retention (days)", 1, 3650),
        reminder_count=_int(prefs.reminder_count, "number of reminders", 0, MAX_REMINDERS),
        reminder_interval_days=_int(prefs.reminder_interval_days, "days between reminders", 1, 30),
    )


def update_preferences(db: Session, *, actor: OperatorView, application_id: int, preferences: Preferences,
                       ip: str = "") -> ApplicationSettings:
    app = _app(db, actor, application_id, Permission.MANAGE_APPLICATION)
    prefs = clean_preferences(preferences)
    changed = []
    for field, value in prefs.__dict__.items():
        if getattr(app, field) != value:
            setattr(app, field, value)
            changed.append(field)
    if changed:
        _audit(db, actor, app, ip, section="preferences", fields=changed)
    return _view(app)


def set_active(db: Session, *, actor: OperatorView, application_id: int, active: bool,
               ip: str = "") -> ApplicationSettings:
    app = _app(db, actor, application_id, Permission.MANAGE_APPLICATION)
    if app.is_active != active:
        app.is_active = active
        audit.record(db, AuditAction.APPLICATION_ACTIVATED if active else AuditAction.APPLICATION_DEACTIVATED,
                     operator_id=actor.id, actor=actor.email, application_id=app.id, ip=ip)
        app.updated_at = utcnow()
        db.add(app)
    return _view(app)


# --- logo --------------------------------------------------------------------


LOGO_LIMITS_ASPECT = 16.0  # a wordmark may be long; photos of documents stay under 8:1


def _reencode(data: bytes) -> tuple[bytes, str]:
    """Type checked by content, pixels only (no metadata), at most 512 px; decoded in the image pool,
    under the same header limits (side, area, aspect) as every other upload."""
    from identity_app import image_pool
    from identity_app.checks import image_work
    from identity_app.checks.image_io import ImageDecodeError, ImageLimits, check_header
    from identity_app.settings import get_settings as process_settings

    limits = ImageLimits(max_bytes=MAX_LOGO_BYTES, max_pixels=25_000_000,
                         max_side=process_settings().upload_max_side, max_aspect=LOGO_LIMITS_ASPECT)
    try:
        check_header(data, limits)
        result = image_pool.run(image_work.logo, data, limits, MAX_LOGO_SIDE, timeout=30.0)
    except ImageDecodeError as exc:
        if exc.reason.value == "FILE_TOO_LARGE":
            raise ValidationError("The logo is too large (2 MB at most).") from None
        if exc.reason.value in ("TOO_MANY_PIXELS", "BAD_DIMENSIONS"):
            raise ValidationError("The logo is too large in pixels or too long: use an image of at most "
                                  f"{limits.max_pixels // 1_000_000} megapixels, {limits.max_side} px on its longer "
                                  f"side and no longer than {limits.max_aspect:g}:1.") from None
        raise ValidationError("The logo must be a PNG, JPEG or WebP image.") from None
    except image_pool.PoolBusy:
        raise ValidationError("The server is busy processing images: try again in a moment.") from None
    except image_pool.ImageWorkFailed:
        raise ValidationError("This image could not be processed: try another file.") from None
    return bytes(result["data"]), str(result["content_type"])


def upload_logo(db: Session, store: MediaStore, *, actor: OperatorView, application_id: int, data: bytes,
                ip: str = "") -> ApplicationSettings:
    """Store the logo in the media store under applications/<id> (never a public folder)."""
    app = _app(db, actor, application_id, Permission.MANAGE_APPLICATION)
    clean, content_type = _reencode(data)
    key = new_media_key(f"applications/{app.id}")
    store.put(key, clean)
    old = app.logo_key
    app.logo_key = key
    _audit(db, actor, app, ip, section="logo", fields=["logo"], content_type=content_type, size=len(clean))
    db.flush()
    if old:
        store.delete(old)
    return _view(app)


def remove_logo(db: Session, store: MediaStore, *, actor: OperatorView, application_id: int,
                ip: str = "") -> ApplicationSettings:
    app = _app(db, actor, application_id, Permission.MANAGE_APPLICATION)
    if app.logo_key:
        store.delete(app.logo_key)
        app.logo_key = None
        _audit(db, actor, app, ip, section="logo", fields=["logo"], removed=True)
    return _view(app)


@dataclass(frozen=True)
class Logo:
    content_type: str
    data: bytes


def read_logo(db: Session, store: MediaStore, *, application_id: int) -> Logo:
    """The logo bytes; the API route decides who may see them (operator or session link)."""
    app = db.get(Application, application_id)
    if app is None or not app.logo_key:
        raise NotFound("This application has no logo.")
    try:
        data = store.get(app.logo_key)
    except MediaNotFound:
        raise NotFound("This application has no logo.") from None
    return Logo("image/jpeg" if data[:3] == b"\xff\xd8\xff" else "image/png", data)


__all__ = ["ApplicationSettings", "Preferences", "Logo", "get_settings", "update_details", "update_checks",
           "update_preferences", "set_active", "upload_logo", "remove_logo", "read_logo", "supported_locales",
           "clean_preferences"]
