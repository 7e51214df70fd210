"""The secret cookies of the console and how the rest of the app sees them.

Each secret cookie is HttpOnly and set only by an HTTP route (web/auth_routes.py),
never by JavaScript and never from Reflex state. The middleware (web/guard.py)
passes its SHA-256 on as an `x-idv-*` header: the database keeps only that hash,
so the Reflex states (whose store is pickled to disk or Redis) see a value that
opens nothing, while the raw cookie stays in the browser.
"""
from __future__ import annotations

from dataclasses import dataclass

from identity_app.crypto import hash_token


@dataclass(frozen=True)
class SecretCookie:
    name: str       # the cookie the browser holds
    header: str     # the request header carrying its hash (lower case, as ASGI gives it)
    same_site: str  # "strict" except where a link from an email must carry it


SESSION = SecretCookie("idv_session", "x-idv-session", "strict")    # an ACTIVE sign-in (24 h at most)
PENDING = SecretCookie("idv_pending", "x-idv-pending", "strict")    # password right, waiting for the code
DEVICE = SecretCookie("idv_device", "x-idv-device", "strict")       # a browser that completed a sign-in
INVITE = SecretCookie("idv_invite", "x-idv-invite", "lax")          # an invitation link being accepted

ALL = (SESSION, PENDING, DEVICE, INVITE)
HEADER_PREFIX = "x-idv-"


def parse(cookie_header: str) -> dict[str, str]:
    """Cookie header to {name: value}, read the way browsers write it (the first of a
    repeated name wins); a malformed pair is skipped, never an error."""
    found: dict[str, str] = {}
    for part in (cookie_header or "").split(";"):
        name, sep, value = part.partition("=")
        name = name.strip()
        if sep and name and name not in found:
            found[name] = value.strip().strip('"')
    return found


def hashes_of(cookie_header: str) -> dict[str, str]:
    """{header name: hash} for the secret cookies present in a Cookie header."""
    values = parse(cookie_header)
    return {c.header: hash_token(values[c.name]) for c in ALL if values.get(c.name)}


def without_secrets(cookie_header: str) -> str:
    """The Cookie header minus the secret cookies (what the websocket may keep)."""
    names = {c.name for c in ALL}
    kept = [part.strip() for part in (cookie_header or "").split(";")
            if part.strip() and part.split("=", 1)[0].strip() not in names]
    return "; ".join(kept)


def set_cookie_header(cookie: SecretCookie, value: str, *, max_age: int, secure: bool) -> str:
    """A Set-Cookie value: HttpOnly, Path=/, SameSite, Secure behind https."""
    parts = [f"{cookie.name}={value}", "Path=/", f"Max-Age={max(0, int(max_age))}", "HttpOnly",
             f"SameSite={cookie.same_site.capitalize()}"]
    if secure:
        parts.append("Secure")
    return "; ".join(parts)


def clear_cookie_header(cookie: SecretCookie, *, secure: bool) -> str:
    return set_cookie_header(cookie, "", max_age=0, secure=secure)
