"""Route constants and builders: no component or service assembles a URL by hand."""
from __future__ import annotations

from urllib.parse import quote

SETUP = "/setup"
SIGN_IN = "/signin"
TOTP = "/signin/code"
ENROL = "/signin/enrol"
RECOVERY_CODES = "/signin/recovery-codes"
INVITATION = "/invitation/[token]"
HOME = "/"
APPLICATION = "/applications/[app_id]"
APPLICATION_USERS = "/applications/[app_id]/users"

# Backend (API) routes, served by the same port in production.
API_MEDIA = "/api/media/{media_id}"
API_HEALTH = "/api/health"


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
    return f"/api/media/{media_id}{query}"
