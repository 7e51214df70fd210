"""The Yoti-compatible endpoint, /idverify/v1 (Yoti's own path): the subset of Yoti's Identity
Verification API that its Doc Scan SDKs call, so a team switches by pointing the SDK's api_url here.
A small FastAPI app mounted beside /api/v1 (web/api.py).

Every request is admitted first, in its own unit of work (signature by a live SDK key, timestamp,
unused nonce, rate limit, audited: services/api/yoti_signing.py), then runs its use case
(services/api/yoti_compat.py) through the doorway as that key. Refusals are Yoti-shaped JSON
({"code", "message", "errors"}) with Yoti's statuses; the SDK raises DocScanException on them."""
from __future__ import annotations

import json
from typing import Any, Callable, TypeVar

from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse, RedirectResponse

from identity_app.services import doorway
from identity_app.services.api import yoti_compat as yoti
from identity_app.services.api import yoti_signing
from identity_app.services.api.keys import RateLimited
from identity_app.services.api.yoti_signing import SdkKeyActor
from identity_app.services.api.yoti_spec import SpecError
from identity_app.services.errors import (AuthenticationError, Conflict, DomainError, Forbidden, NotFound,
                                          ValidationError)
from identity_app.settings import get_settings
from identity_app.storage import StorageError
from identity_app.web.callers import NO_STORE, client_ip

PREFIX = "/idverify/v1"
MAX_BODY = 64 * 1024  # a session specification is a few kilobytes
T = TypeVar("T")


def _error(status: int, code: str, message: str, errors: list[dict[str, str]] | None = None,
           headers: dict[str, str] | None = None) -> JSONResponse:
    body: dict[str, Any] = {"code": code, "message": message}
    if errors:
        body["errors"] = errors
    return JSONResponse(body, status_code=status, headers={**NO_STORE, **(headers or {})})


def refusal(exc: Exception) -> JSONResponse:
    """A use case's error as Yoti answers it."""
    if isinstance(exc, RateLimited):
        return _error(429, "TOO_MANY_REQUESTS", str(exc), headers={"Retry-After": str(exc.retry_after_s)})
    if isinstance(exc, AuthenticationError):
        return _error(401, "UNAUTHORIZED", str(exc))
    if isinstance(exc, NotFound):
        return _error(404, "NOT_FOUND", "Not found")
    if isinstance(exc, Forbidden):
        return _error(403, "FORBIDDEN", str(exc))
    if isinstance(exc, BodyTooLarge):
        return _error(413, "PAYLOAD_TOO_LARGE", str(exc))
    if isinstance(exc, SpecError):
        return _error(400, "PAYLOAD_VALIDATION", "The session specification is not valid here.",
                      [{"property": exc.property, "message": str(exc)}])
    if isinstance(exc, Conflict):
        return _error(409, "CONFLICT", str(exc))
    if isinstance(exc, StorageError):
        return _error(503, "SERVICE_UNAVAILABLE", "The media store is unavailable.")
    return _error(400, "BAD_REQUEST", str(exc))


def signed_path(request: Request) -> str:
    """The path the SDK signed: what follows the API base it was given (…/idverify/v1), as sent."""
    raw = request.scope.get("raw_path") or request.scope.get("path", "").encode()
    path = raw.decode("latin-1")
    at = path.find(PREFIX)
    return path[at + len(PREFIX):] if at >= 0 else path


class YotiCall:
    """An admitted request: the SDK key that signed it, and the doorway's caller."""

    def __init__(self, actor: SdkKeyActor, caller: doorway.Caller, body: bytes) -> None:
        self.actor, self.caller, self.body = actor, caller, body

    async def run(self, use_case: Callable[[doorway.Work], T]) -> T:
        return await doorway.run_async(use_case, self.caller)


class BodyTooLarge(ValidationError):
    def __init__(self) -> None:
        super().__init__(f"The request body is larger than {MAX_BODY // 1024} KB.")


async def read_body(request: Request) -> bytes:
    """The body, read no further than MAX_BODY (a client cannot make us hold more)."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BODY:
        raise BodyTooLarge()
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY:
            raise BodyTooLarge()
        chunks.append(chunk)
    return b"".join(chunks)


async def admit(request: Request) -> YotiCall:
    body = await read_body(request)
    signed = yoti_signing.SignedRequest(method=request.method, path=signed_path(request),
                                        query=request.scope.get("query_string", b"").decode("latin-1"),
                                        body=body, digest=request.headers.get(yoti_signing.DIGEST_HEADER, ""))
    caller = doorway.Caller(ip=client_ip(request), user_agent=request.headers.get("user-agent", "")[:300])
    limit = get_settings().api_requests_per_minute
    actor = await doorway.run_async(
        lambda w: yoti_signing.admit(w.db, signed, limit_per_minute=limit, ip=w.ip), caller)
    return YotiCall(actor, caller, body)


def session_id_of(text: str) -> int:
    found = yoti.parse_id(text)
    if found is None:
        raise NotFound("That session does not exist.")
    return found


def build() -> FastAPI:
    app = FastAPI(title="Yoti-compatible Doc Scan API", openapi_url=None, docs_url=None, redoc_url=None)

    @app.exception_handler(DomainError)
    async def domain_error(_: Request, exc: DomainError) -> JSONResponse:
        return refusal(exc)

    @app.exception_handler(StorageError)
    async def storage_error(_: Request, exc: StorageError) -> JSONResponse:
        return refusal(exc)

    @app.post("/sessions")
    async def create_session(request: Request) -> JSONResponse:
        call = await admit(request)
        try:
            spec = json.loads(call.body or b"null")
        except ValueError:
            raise SpecError("body", "must be JSON") from None
        made = await call.run(lambda w: yoti.create_session(w.db, actor=call.actor, spec=spec, ip=w.ip))
        return JSONResponse(made.to_dict(), status_code=201, headers=NO_STORE)

    @app.get("/sessions/{session_id}")
    async def get_session(session_id: str, request: Request) -> JSONResponse:
        call = await admit(request)
        sid = session_id_of(session_id)
        body = await call.run(lambda w: yoti.session_result(w.db, actor=call.actor, session_id=sid, ip=w.ip))
        return JSONResponse(body, headers=NO_STORE)

    @app.delete("/sessions/{session_id}")
    async def delete_session(session_id: str, request: Request) -> Response:
        call = await admit(request)
        sid = session_id_of(session_id)
        await call.run(lambda w: yoti.delete_session(w.db, w.store, actor=call.actor, session_id=sid, ip=w.ip))
        return Response(status_code=204, headers=NO_STORE)

    @app.get("/sessions/{session_id}/media/{media_id}/content")
    async def media_content(session_id: str, media_id: str, request: Request) -> Response:
        call = await admit(request)
        sid = session_id_of(session_id)
        media = await call.run(lambda w: yoti.media_content(w.db, w.store, actor=call.actor, session_id=sid,
                                                            media_id=media_id[:40], ip=w.ip))
        return Response(media.data, media_type=media.content_type, headers=NO_STORE)

    @app.delete("/sessions/{session_id}/media/{media_id}/content")
    async def delete_media(session_id: str, media_id: str, request: Request) -> Response:
        call = await admit(request)
        sid = session_id_of(session_id)
        await call.run(lambda w: yoti.delete_media(w.db, w.store, actor=call.actor, session_id=sid,
                                                   media_id=media_id[:40], ip=w.ip))
        return Response(status_code=204, headers=NO_STORE)

    @app.get("/supported-documents")
    async def supported_documents(request: Request) -> JSONResponse:
        call = await admit(request)
        body = await call.run(lambda w: yoti.supported_documents(w.db, actor=call.actor))
        return JSONResponse(body, headers=NO_STORE)

    @app.get("/web/index.html")
    async def capture_page(request: Request) -> Response:
        """Yoti's iframe URL for the person (sessionID and sessionToken): our capture page. The
        token is the credential, as in our own links; no signature (a browser opens it)."""
        sid = session_id_of(request.query_params.get("sessionID", ""))
        token = request.query_params.get("sessionToken", "")
        link = await doorway.run_async(lambda w: yoti.capture_link(w.db, session_id=sid, token=token),
                                       doorway.Caller(ip=client_ip(request)))
        return RedirectResponse(link, status_code=303, headers={**NO_STORE, "Referrer-Policy": "no-referrer"})

    return app
