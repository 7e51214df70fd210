"""What the HTTP routes share: who is asking (the Caller they hand the doorway, services/doorway.py)
and their plain answers."""
from __future__ import annotations

from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import Response

from identity_app.crypto import hash_token
from identity_app.services.doorway import Caller
from identity_app.services.errors import Forbidden, NotFound, NotSignedIn
from identity_app.settings import get_settings
from identity_app.storage import StorageError
from identity_app.web import cookies

NO_STORE = {"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"}


def client_ip(request: Request) -> str:
    return request.client.host if request.client else ""


def anonymous(request: Request) -> Caller:
    """A caller without a console sign-in: the capture flow, whose link token is its credential."""
    return Caller(ip=client_ip(request), user_agent=request.headers.get("user-agent", ""))


def operator(request: Request) -> Caller:
    """A console caller. The route hashes the sign-in cookie itself, as the guard does for the states:
    the database keeps the hash only, and a hash sent as the cookie is hashed again and opens nothing."""
    token = request.cookies.get(cookies.SESSION.name, "")
    return Caller(sign_in=hash_token(token) if token else "", ip=client_ip(request),
                  user_agent=request.headers.get("user-agent", ""))


def same_origin(request: Request) -> bool:
    """A browser's POST from our own pages (a non-browser client sends neither header)."""
    site = request.headers.get("sec-fetch-site")
    if site is not None:
        return site in ("same-origin", "none")
    origin = request.headers.get("origin")
    if origin is None:
        return True
    own = {urlsplit(get_settings().public_base_url)._replace(path="").geturl().rstrip("/"),
           f"{request.url.scheme}://{request.headers.get('host', '')}"}
    return origin.rstrip("/") in own


def plain(text: str, status: int) -> Response:
    return Response(text, status_code=status, headers=NO_STORE)


def refused(exc: Exception, *, signed_out: str = "Sign in first.", forbidden: str = "") -> Response:
    """The plain answer to a use case's error: no sign-in 401, not found 404 (saying nothing more),
    forbidden 403 (its message unless `forbidden` is given), no media store 503, any other 400."""
    if isinstance(exc, NotSignedIn):
        return plain(signed_out, 401)
    if isinstance(exc, NotFound):
        return plain("Not found", 404)
    if isinstance(exc, Forbidden):
        return plain(forbidden or str(exc), 403)
    if isinstance(exc, StorageError):
        return plain("The media store is unavailable.", 503)
    return plain(str(exc), 400)
