"""Every refusal of the REST API as `application/problem+json` (RFC 9457), with the status a
client can act on. A key that lacks a scope gets 403; anything of another application is simply
not found (a key learns nothing about what it cannot see)."""
from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import IntegrityError
from starlette.exceptions import HTTPException

from identity_app.services.api.keys import RateLimited
from identity_app.services.api.sessions import IdempotencyConflict
from identity_app.services.errors import (AuthenticationError, Conflict, DomainError, Forbidden, NotFound,
                                          ValidationError)
from identity_app.storage import StorageError

log = logging.getLogger(__name__)
PROBLEM = "application/problem+json"


class ScopeMissing(DomainError):
    def __init__(self, scope: str) -> None:
        super().__init__(f"This API key does not have the {scope} scope.")


def problem(status: int, title: str, detail: str, request: Request | None = None,
            headers: dict[str, str] | None = None) -> JSONResponse:
    body = {"type": "about:blank", "title": title, "status": status, "detail": detail}
    if request is not None:
        body["instance"] = request.url.path
    return JSONResponse(body, status_code=status, media_type=PROBLEM,
                        headers={"Cache-Control": "no-store", **(headers or {})})


def _domain(request: Request, exc: Exception) -> JSONResponse:
    if isinstance(exc, RateLimited):
        return problem(429, "Too Many Requests", str(exc), request, {"Retry-After": str(exc.retry_after_s)})
    if isinstance(exc, AuthenticationError):
        return problem(401, "Unauthorized", "Send a live API key as 'Authorization: Bearer idv_...'.", request,
                       {"WWW-Authenticate": 'Bearer realm="api"'})
    if isinstance(exc, ScopeMissing):
        return problem(403, "Forbidden", str(exc), request)
    if isinstance(exc, (NotFound, Forbidden)):
        return problem(404, "Not Found", "No such resource for this API key.", request)
    if isinstance(exc, (Conflict, IdempotencyConflict)):
        return problem(409 if isinstance(exc, Conflict) else 422, "Conflict" if isinstance(exc, Conflict)
                       else "Unprocessable Content", str(exc), request)
    if isinstance(exc, ValidationError):
        return problem(422, "Unprocessable Content", str(exc), request)
    return problem(400, "Bad Request", str(exc), request)


def _plain(error: dict) -> str:
    # The patterns are regular expressions nobody should have to read in an error message.
    if error.get("type") != "string_pattern_mismatch":
        return str(error.get("msg", "invalid"))
    field = str((error.get("loc") or ("",))[-1])
    if field.endswith("email"):
        return "is not an email address"
    if field.endswith("url"):
        return "is not an http(s) URL"
    if field == "cursor":
        return "is not a cursor this API gave"
    return "is blank or contains characters that are not allowed (control characters)"


def _invalid(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    parts = []
    for e in exc.errors()[:5]:
        where = ".".join(str(x) for x in e.get("loc", ()) if x != "body")
        msg = _plain(e)
        parts.append(f"{where}: {msg}" if where else str(msg))
    return problem(422, "Unprocessable Content", "; ".join(parts) or "The request is not valid.", request)


def _http(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, HTTPException)
    from http import HTTPStatus

    title = HTTPStatus(exc.status_code).phrase
    return problem(exc.status_code, title, str(exc.detail) if exc.detail else title, request,
                   dict(exc.headers or {}))


def _integrity(request: Request, exc: Exception) -> JSONResponse:
    # Two requests with one Idempotency-Key at once: the second loses on the unique constraint.
    return problem(409, "Conflict", "A request with this Idempotency-Key is being processed. Retry it.", request)


def _storage(request: Request, exc: Exception) -> JSONResponse:
    return problem(503, "Service Unavailable", "The media store is unavailable.", request, {"Retry-After": "30"})


def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    log.exception("API error on %s %s", request.method, request.url.path)
    return problem(500, "Internal Server Error", "Something went wrong on our side.", request)


def install(app: FastAPI) -> None:
    app.add_exception_handler(DomainError, _domain)
    app.add_exception_handler(RequestValidationError, _invalid)
    app.add_exception_handler(HTTPException, _http)
    app.add_exception_handler(IntegrityError, _integrity)
    app.add_exception_handler(StorageError, _storage)
    app.add_exception_handler(Exception, _unexpected)


def documented(*statuses: int) -> dict:
    """The problem responses an operation declares in the OpenAPI document."""
    from identity_app.web.api_v1.schemas import Problem

    names = {400: "The body is not JSON", 401: "No live API key", 403: "The key lacks the scope", 404: "Not found",
             409: "Conflict", 422: "Invalid request", 429: "Too many requests (see Retry-After)",
             503: "Media store unavailable"}
    return {s: {"description": names[s], "model": Problem} for s in statuses}
