"""The one ASGI middleware around the whole backend: pages, API routes and the websocket.

1. Secret cookies never reach Reflex state. Every request gets the SHA-256 of
   each secret cookie as an `x-idv-*` header (web/cookies.py); such headers sent
   by a client are dropped first, so nobody can claim a hash they do not hold.
   The websocket handshake (`/_event`) also loses the secret cookies themselves,
   because Reflex copies the handshake's headers into the state it pickles.
2. Headers a browser enforces on every response: CSP (inline scripts allowed
   only by hash), no framing, no referrer, no MIME sniffing, HSTS behind https;
   and the built frontend's caching and preload headers (web/static_headers.py).
3. Reflex's upload endpoint only for a signed-in operator, with a body limit
   checked before anything is read; its public file folder is never served
   (identity documents never go there: they use the capture API and storage).
"""
from __future__ import annotations

import asyncio
import base64
import hashlib
import re
from functools import lru_cache
from pathlib import Path
from typing import Any, Awaitable, Callable

from identity_app.web import cookies
from identity_app.web.csp_reports import REPORT_PATH
from identity_app.web.static_headers import static_headers

Scope = dict[str, Any]
Message = dict[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

EVENT_PATH = "/_event"
UPLOAD_PATH = "/_upload"
# The logo and the bulk CSV are 2 MB at most; a little above that the handlers still
# answer with their own clear message, far above it the body is refused unread.
UPLOAD_BODY_LIMIT = 4 * 1024 * 1024
# A refused upload is read to its end (and dropped) up to this size before the answer: a server
# that closes with unread bytes resets the connection, and the client loses the answer with it
# (a browser shows a network error instead of "too large" or "sign in"). Beyond it, or after
# DRAIN_SECONDS, the answer goes at once.
DRAIN_LIMIT = 3 * UPLOAD_BODY_LIMIT
DRAIN_SECONDS = 10.0

_INLINE_SCRIPT = re.compile(rb"<script(?![^>]*\ssrc=)[^>]*>(.*?)</script>", re.S | re.I)


def script_hashes(html: bytes) -> set[str]:
    """CSP source expressions ('sha256-...') of the inline scripts of one page."""
    return {"'sha256-" + base64.b64encode(hashlib.sha256(body).digest()).decode() + "'"
            for body in _INLINE_SCRIPT.findall(html) if body.strip()}


@lru_cache(maxsize=4)
def _hashes_of_build(folder: str, stamp: tuple) -> tuple[str, ...]:
    found: set[str] = set()
    for page in Path(folder).rglob("*.html"):
        found |= script_hashes(page.read_bytes())
    return tuple(sorted(found))


def build_script_hashes() -> tuple[str, ...]:
    """The inline scripts of the compiled pages (React Router's hydration data and
    the theme script), hashed once per build: the union is allowed on every page."""
    try:
        from reflex.utils import prerequisites
        from reflex_base import constants

        folder = prerequisites.get_web_dir() / constants.Dirs.STATIC
    except Exception:  # noqa: BLE001 - outside a Reflex app (tests of the API alone)
        return ()
    if not folder.is_dir():
        return ()
    pages = sorted(folder.glob("*.html"))
    stamp = tuple((p.name, p.stat().st_mtime_ns) for p in pages)
    return _hashes_of_build(str(folder), stamp)


def page_csp(hashes: tuple[str, ...] | set[str]) -> str:
    # 'unsafe-eval': Reflex runs rx.call_script / call_function payloads and their
    # callbacks with eval() (reflex_base/.templates/web/utils/state.js); the capture
    # flow and the sign-in pages need them. Inline <script> stays forbidden.
    # style 'unsafe-inline': Radix and emotion write style attributes and <style> tags.
    return "; ".join([
        "default-src 'self'",
        "script-src 'self' 'unsafe-eval' " + " ".join(sorted(hashes)),
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data: blob:",
        "font-src 'self' data:",
        "connect-src 'self'",
        "media-src 'self' blob:",
        "worker-src 'self' blob:",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
        f"report-uri {REPORT_PATH}",
    ])


OTHER_CSP = "default-src 'none'; frame-ancestors 'none'"


def _allows_origin(message: Message) -> bool:
    return any(k.lower() == b"access-control-allow-origin" for k, _ in message.get("headers", []))


def security_headers(content_type: str, *, https: bool) -> list[tuple[bytes, bytes]]:
    html = content_type.startswith("text/html")
    headers = {
        "content-security-policy": page_csp(build_script_hashes()) if html else OTHER_CSP,
        "x-frame-options": "DENY",
        "x-content-type-options": "nosniff",
        # Capture links carry their token in the path: no page ever sends a Referer.
        "referrer-policy": "no-referrer",
        "cross-origin-opener-policy": "same-origin",
        "permissions-policy": "camera=(self), microphone=(), geolocation=(), payment=(), usb=()",
    }
    if https:
        headers["strict-transport-security"] = "max-age=31536000; includeSubDomains"
    return [(k.encode(), v.encode()) for k, v in headers.items()]


def rewrite_headers(raw: list[tuple[bytes, bytes]], *, websocket_event: bool) -> list[tuple[bytes, bytes]]:
    """Drop client-sent x-idv-* headers, add the hashes of the secret cookies, and
    on the websocket remove the secret cookies themselves."""
    kept: list[tuple[bytes, bytes]] = []
    cookie_values: list[str] = []
    for name, value in raw:
        lower = name.lower()
        if lower.startswith(cookies.HEADER_PREFIX.encode()):
            continue
        if lower == b"cookie":
            cookie_values.append(value.decode("latin-1"))
            continue
        kept.append((name, value))
    cookie_header = "; ".join(cookie_values)
    for header, digest in cookies.hashes_of(cookie_header).items():
        kept.append((header.encode(), digest.encode()))
    if websocket_event:
        cookie_header = cookies.without_secrets(cookie_header)
    if cookie_header:
        kept.append((b"cookie", cookie_header.encode("latin-1")))
    return kept


def header(scope: Scope, name: bytes) -> str:
    for key, value in scope.get("headers", []):
        if key.lower() == name:
            return value.decode("latin-1")
    return ""


async def _drain(receive: Receive, budget: int) -> None:
    """Read and drop the rest of a request body: `budget` bytes, DRAIN_SECONDS at most."""
    async def read() -> None:
        left = budget
        while left >= 0:
            message = await receive()
            if message["type"] != "http.request":
                return
            left -= len(message.get("body", b""))
            if not message.get("more_body", False):
                return

    try:
        await asyncio.wait_for(read(), DRAIN_SECONDS)
    except asyncio.TimeoutError:
        pass


async def _refuse_upload(scope: Scope, receive: Receive, send: Send, status: int, text: str) -> None:
    declared = header(scope, b"content-length")
    if declared.isdigit() and int(declared) <= DRAIN_LIMIT:
        await _drain(receive, int(declared))
    await _plain(send, status, text)


async def _plain(send: Send, status: int, text: str) -> None:
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"text/plain; charset=utf-8"), (b"cache-control", b"no-store")]})
    await send({"type": "http.response.body", "body": text.encode()})


def _signed_in(session_hash: str) -> bool:
    """A live console sign-in behind this hash (the one the guard computed from the cookie)."""
    from identity_app.services.doorway import Caller, run

    return bool(session_hash) and run(lambda w: w.operator is not None, Caller(sign_in=session_hash))


class WebGuard:
    """ASGI middleware; `https` decides HSTS (the public URL's scheme)."""

    def __init__(self, app: ASGIApp, *, https: bool = False, upload_limit: int = UPLOAD_BODY_LIMIT) -> None:
        self.app, self.https, self.upload_limit = app, https, upload_limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        path = scope.get("path", "")
        scope = dict(scope, headers=rewrite_headers(list(scope.get("headers", [])),
                                                    websocket_event=path.startswith(EVENT_PATH)))
        if scope["type"] == "websocket":
            await self.app(scope, receive, send)
            return
        send = self._with_headers(send, path)
        if path == UPLOAD_PATH or path.startswith(UPLOAD_PATH + "/"):
            await self._upload(scope, receive, send)
            return
        await self.app(scope, receive, send)

    def _with_headers(self, send: Send, path: str = "") -> Send:
        async def wrapped(message: Message) -> None:
            if message["type"] == "http.response.start" and message.get("status") != 304:
                # (A 304's headers replace the cached page's: it must not carry a policy of its own.)
                headers = [(k, v) for k, v in message.get("headers", [])
                           if k.lower() != b"access-control-allow-credentials" or _allows_origin(message)]
                present = {k.lower() for k, _ in headers}
                content_type = next((v.decode("latin-1") for k, v in headers if k.lower() == b"content-type"), "")
                extra = [(k, v) for k, v in security_headers(content_type, https=self.https)
                         + static_headers(path, content_type, message.get("status", 200)) if k not in present]
                message = dict(message, headers=headers + extra)
            await send(message)
        return wrapped

    async def _upload(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope.get("method") != "POST" or path_of(scope) != UPLOAD_PATH:
            await _plain(send, 404, "Not found")  # the public upload folder is never served
            return
        if not await asyncio.to_thread(_signed_in, header(scope, cookies.SESSION.header.encode())):
            await _refuse_upload(scope, receive, send, 401, "Sign in to upload files.")
            return
        declared = header(scope, b"content-length")
        if not declared.isdigit():
            await _plain(send, 411, "The upload must declare its length.")
            return
        if int(declared) > self.upload_limit:
            await _refuse_upload(scope, receive, send, 413,
                                 f"The upload is too large ({self.upload_limit // (1024 * 1024)} MB at most).")
            return
        limited = _BodyLimit(receive, send, self.upload_limit)
        await self.app(scope, limited.receive, limited.send)


def path_of(scope: Scope) -> str:
    return scope.get("path", "").rstrip("/") or "/"


class _BodyLimit:
    """Stops reading past `limit` bytes (a body longer than it declared) and answers 413."""

    def __init__(self, receive: Receive, send: Send, limit: int) -> None:
        self._receive, self._send, self.limit = receive, send, limit
        self.size, self.exceeded, self.started = 0, False, False

    async def receive(self) -> Message:
        if self.exceeded:
            return {"type": "http.disconnect"}
        message = await self._receive()
        if message["type"] == "http.request":
            self.size += len(message.get("body", b""))
            if self.size > self.limit:
                self.exceeded = True
                if not self.started:
                    self.started = True
                    if message.get("more_body", False):
                        await _drain(self._receive, DRAIN_LIMIT - self.size)
                    await _plain(self._send, 413, "The upload is too large.")
                return {"type": "http.disconnect"}
        return message

    async def send(self, message: Message) -> None:
        if self.exceeded:
            return  # the 413 is already sent
        if message["type"] == "http.response.start":
            self.started = True
        await self._send(message)
