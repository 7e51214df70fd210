"""Route constants and builders: no component or service assembles a URL by hand.

A builder formats its arguments into the path (f-strings, str.format), so a page may
pass its state's id var instead of an int: Reflex fills the link in, in the browser."""
from __future__ import annotations

from urllib.parse import quote

SETUP = "/setup"
SIGN_IN = "/signin"
TOTP = "/signin/code"
ENROL = "/signin/enrol"
RECOVERY_CODES = "/signin/recovery-codes"
INVITATION = "/invitation"
INVITATION_LINK = "/invitation/{token}"  # the emailed link: an HTTP route that sets the invitation cookie
HOME = "/"
APPLICATION = "/applications/[app_id]"
APPLICATION_USERS = "/applications/[app_id]/users"

# Backend (API) routes, served by the same port in production.
API_MEDIA = "/api/media/{media_id}"
API_HEALTH = "/api/health"
# Sign-in cookies and the secrets the sign-in pages show (web/auth_routes.py).
API_AUTH_COOKIE = "/api/auth/cookie"
API_AUTH_SIGNED_OUT = "/api/auth/signed-out"
API_AUTH_ENROLMENT = "/api/auth/enrolment"
API_AUTH_RECOVERY_CODES = "/api/auth/recovery-codes"

# The largest id a route accepts: ids are 32-bit on PostgreSQL, so anything above is no row of ours.
MAX_ID = 2**31 - 1


def parse_id(value: object) -> int | None:
    """A route's numeric id (1 .. MAX_ID), or None for anything else (huge, negative, not digits)."""
    text = str(value or "")
    if not (text.isascii() and text.isdigit()) or len(text) > 10:
        return None
    number = int(text)
    return number if 1 <= number <= MAX_ID else None


def invitation_path(token: str) -> str:
    return f"/invitation/{quote(token, safe='')}"


def application_path(app_id: int) -> str:
    return f"/applications/{app_id}"


def application_users_path(app_id: int) -> str:
    return f"/applications/{app_id}/users"


def absolute(base_url: str, path: str) -> str:
    return base_url.rstrip("/") + path


CAPTURE = "/s/[token]"


def capture_path(token: str) -> str:
    return f"/s/{quote(token, safe='')}"


# Session detail, manual review queue, audit log.
SESSION_DETAIL = "/applications/[app_id]/sessions/[session_id]"
REVIEW_QUEUE = "/applications/[app_id]/review"
AUDIT_LOG = "/audit"


def session_detail_path(app_id: int, session_id: int) -> str:
    return f"/applications/{app_id}/sessions/{session_id}"


def review_queue_path(app_id: int) -> str:
    return f"/applications/{app_id}/review"


def media_path(media_id: int, *, portrait: bool = False, download: bool = False) -> str:
    """The authenticated media route (never a public folder)."""
    query = "?portrait=1" if portrait else ("?download=1" if download else "")
    return API_MEDIA.format(media_id=media_id) + query


# Application settings, sessions list export, logo (console helper).
APPLICATION_SETTINGS = "/applications/[app_id]/settings"
API_APPLICATION_LOGO = "/api/applications/{app_id}/logo"
API_SESSIONS_CSV = "/api/applications/{app_id}/sessions.csv"


def application_settings_path(app_id: int) -> str:
    return f"/applications/{app_id}/settings"


# An application's API keys, webhooks and Yoti SDK keys (console).
APPLICATION_INTEGRATIONS = "/applications/[app_id]/integrations"


def application_integrations_path(app_id: int) -> str:
    return f"/applications/{app_id}/integrations"


# Where the Integrations tab's page posts to make a secret it shows once (web/integration_routes.py).
API_NEW_API_KEY = "/api/applications/{app_id}/api-keys"
API_NEW_WEBHOOK = "/api/applications/{app_id}/webhooks"
API_ROTATE_WEBHOOK_SECRET = "/api/applications/{app_id}/webhooks/{endpoint_id}/secret"
API_NEW_SDK_KEY = "/api/applications/{app_id}/sdk-keys"


def application_logo_path(app_id: int, session_token: str = "") -> str:
    """The logo route; the capture page passes its session token, the console its sign-in cookie."""
    query = f"?session={quote(session_token, safe='')}" if session_token else ""
    return API_APPLICATION_LOGO.format(app_id=app_id) + query


def sessions_csv_path(app_id: int, query: str = "") -> str:
    return API_SESSIONS_CSV.format(app_id=app_id) + (f"?{query}" if query else "")


# An application's dashboard (console) and a session's PDF report (web/report_routes.py).
APPLICATION_DASHBOARD = "/applications/[app_id]/dashboard"
API_SESSION_REPORT = "/api/sessions/{session_id}/report.pdf"


def application_dashboard_path(app_id: int) -> str:
    return f"/applications/{app_id}/dashboard"


def session_report_path(session_id: int) -> str:
    """The session's PDF report: checked and audited like media on every request."""
    return API_SESSION_REPORT.format(session_id=session_id)
