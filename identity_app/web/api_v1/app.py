"""The REST API, /api/v1: a FastAPI app mounted on Reflex's backend (web/api.py). Every operation
admits its API key (live, within the rate limit, audited: doorway.admit_api_key), checks the
scope it needs, then runs the console's own services through the doorway as that key."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Callable, Optional

from fastapi import Depends, FastAPI, Header, Path, Query, Request, Response, Security
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from identity_app.models import ApiScope
from identity_app.services import doorway
from identity_app.services.access.auth import ApiKeyActor
from identity_app.services.api import sessions as api_sessions
from identity_app.services.capture.media import read_media
from identity_app.services.sessions import decisions, deletion, links
from identity_app.services.sessions.detail import get_session_detail
from identity_app.services.sessions.search import SearchQuery
from identity_app.web.api_v1 import docs_page, errors, schemas
from identity_app.web.api_v1.errors import ScopeMissing, documented
from identity_app.web.callers import NO_STORE, client_ip

PREFIX = "/api/v1"
MAX_ID = 2**31 - 1  # ids are 32-bit integers in the database
Id = Annotated[int, Path(ge=1, le=MAX_ID)]

bearer = HTTPBearer(auto_error=False, description="An API key from the application's Integrations tab: "
                                                  "`Authorization: Bearer idv_...`")


@dataclass(frozen=True)
class ApiCall:
    actor: ApiKeyActor
    caller: doorway.Caller

    def run(self, use_case: Callable[[doorway.Work], object]) -> object:
        return doorway.run(use_case, self.caller, signed_in=True)


def key_with(scope: ApiScope) -> Callable[..., ApiCall]:
    def admit(request: Request, credentials: Optional[HTTPAuthorizationCredentials] = Security(bearer)) -> ApiCall:
        caller = doorway.Caller(api_key=credentials.credentials if credentials else "", ip=client_ip(request),
                                user_agent=request.headers.get("user-agent", "")[:300])
        actor = doorway.admit_api_key(caller, method=request.method, path=request.url.path)
        if scope.value not in actor.scopes:
            raise ScopeMissing(scope.value)
        return ApiCall(actor, caller)

    return admit


def build() -> FastAPI:
    app = FastAPI(title="Identity verification API", version="1.0.0", openapi_url="/openapi.json",
                  docs_url=None, redoc_url=None, servers=[{"url": PREFIX}],
                  generate_unique_id_function=lambda route: route.name,
                  description="Create verification sessions, read their checks' reports, fetch and delete "
                              "media, record decisions. Authenticate with an application's API key. Errors "
                              "are RFC 9457 problem details; lists page with a cursor; creation takes an "
                              "Idempotency-Key. Webhooks are described in the README.")
    errors.install(app)
    app.get("/docs", include_in_schema=False)(docs_page.render)

    @app.post("/sessions", status_code=201, response_model=schemas.CreatedSession, tags=["sessions"],
              responses=documented(400, 401, 403, 409, 422, 429), summary="Create a session")
    def create_session(body: schemas.CreateSession, response: Response,
                       call: ApiCall = Depends(key_with(ApiScope.SESSIONS_CREATE)),
                       idempotency_key: Annotated[Optional[str], Header(max_length=200)] = None,
                       ) -> schemas.CreatedSession:
        """A session and its capture link. The same Idempotency-Key with the same body within 24 hours
        returns the first answer (with `Idempotent-Replayed: true`) instead of a second session."""
        made = call.run(lambda w: api_sessions.create(
            w.db, actor=call.actor, user_name=body.user_name, user_email=body.user_email, reference=body.reference,
            overrides=body.overrides(), idempotency_key=idempotency_key, body=body.model_dump(mode="json"),
            ip=w.ip))
        assert isinstance(made, api_sessions.NewSession)
        response.headers.update(NO_STORE)
        if made.replayed:
            response.headers["Idempotent-Replayed"] = "true"
        return schemas.CreatedSession(id=made.id, link=made.link, expires_at=made.expires_at)

    @app.get("/sessions", response_model=schemas.SessionList, tags=["sessions"],
             responses=documented(401, 403, 422, 429), summary="List and search sessions")
    def list_sessions(filters: Annotated[schemas.SessionFilters, Query()],
                      call: ApiCall = Depends(key_with(ApiScope.RESULTS_READ))) -> schemas.SessionList:
        """Newest first, `limit` at a time; `next_cursor` fetches the next page. An unknown parameter
        is refused (a misspelt filter would otherwise list everything)."""
        f = filters
        query = SearchQuery(text=f.q, states=(f.state,) if f.state else (), decision=f.decision or "")
        page = call.run(lambda w: api_sessions.page(w.db, actor=call.actor, query=query, cursor=f.cursor,
                                                    limit=f.limit))
        assert isinstance(page, api_sessions.CursorPage)
        return schemas.SessionList(data=[schemas.SessionSummary.of(r) for r in page.rows], next_cursor=page.next_cursor)

    @app.get("/sessions/{session_id}", response_model=schemas.SessionBody, tags=["sessions"],
             responses=documented(401, 403, 404, 429), summary="Get a session with its checks' reports")
    def get_session(session_id: Id, call: ApiCall = Depends(key_with(ApiScope.RESULTS_READ))) -> schemas.SessionBody:
        detail = call.run(lambda w: get_session_detail(w.db, actor=call.actor, session_id=session_id, ip=w.ip))
        return schemas.SessionBody.of(detail)  # type: ignore[arg-type]

    @app.delete("/sessions/{session_id}", response_model=schemas.SessionDeleted, tags=["sessions"],
                responses=documented(401, 403, 404, 429, 503), summary="Delete a session and everything of it")
    def delete_session(session_id: Id, call: ApiCall = Depends(key_with(ApiScope.DELETE))) -> schemas.SessionDeleted:
        gone = call.run(lambda w: deletion.delete_session(w.db, w.store, actor=call.actor, session_id=session_id,
                                                          confirmation=deletion.CONFIRMATION_WORD, ip=w.ip))
        assert isinstance(gone, deletion.SessionDeleted)
        return schemas.SessionDeleted(id=gone.session_id, media_items=gone.media_items, checks=gone.checks,
                                      decisions=gone.decisions)

    @app.delete("/sessions/{session_id}/media", response_model=schemas.SessionDeleted, tags=["media"],
                responses=documented(401, 403, 404, 429, 503), summary="Delete every media item of a session")
    def delete_session_media(session_id: Id,
                             call: ApiCall = Depends(key_with(ApiScope.DELETE))) -> schemas.SessionDeleted:
        """The images go; the session, its checks' recommendations and its decision stay."""
        count = call.run(lambda w: deletion.delete_session_media(w.db, w.store, actor=call.actor,
                                                                 session_id=session_id, ip=w.ip))
        return schemas.SessionDeleted(id=session_id, media_items=int(count), checks=0, decisions=0)  # type: ignore[call-overload]

    @app.post("/sessions/{session_id}/email", status_code=202, response_model=schemas.LinkEmailed, tags=["sessions"],
              responses=documented(401, 403, 404, 409, 429), summary="Email the capture link to the person")
    def email_link(session_id: Id, call: ApiCall = Depends(key_with(ApiScope.SESSIONS_CREATE))) -> schemas.LinkEmailed:
        transport = call.run(lambda w: links.send_link_email(w.db, actor=call.actor, session_id=session_id, ip=w.ip))
        return schemas.LinkEmailed(id=session_id, transport=str(transport))

    @app.post("/sessions/{session_id}/decisions", status_code=201, response_model=schemas.DecisionBody,
              tags=["sessions"], responses=documented(400, 401, 403, 404, 409, 422, 429), summary="Record a decision")
    def decide(session_id: Id, body: schemas.RecordDecision,
               call: ApiCall = Depends(key_with(ApiScope.DECISIONS_WRITE))) -> schemas.DecisionBody:
        """APPROVE or REJECT a COMPLETED session, with a note saying why."""
        d = call.run(lambda w: decisions.decide(w.db, actor=call.actor, session_id=session_id, value=body.value,
                                                note=body.note, ip=w.ip))
        return schemas.DecisionBody(id=d.id, value=d.value, decided_by=d.decided_by,  # type: ignore[attr-defined]
                                    decided_at=d.decided_at)  # type: ignore[attr-defined]

    @app.get("/media/{media_id}/content", tags=["media"], response_class=Response,
             responses={200: {"description": "The image", "content": {
                 "image/jpeg": {"schema": {"type": "string", "format": "binary"}},
                 "image/png": {"schema": {"type": "string", "format": "binary"}},
                 "image/webp": {"schema": {"type": "string", "format": "binary"}}}},
                 **documented(401, 403, 404, 429, 503)}, summary="Get a media item's content")
    def media_content(media_id: Id, call: ApiCall = Depends(key_with(ApiScope.MEDIA_READ))) -> Response:
        content = call.run(lambda w: read_media(w.db, w.store, actor=call.actor, media_id=media_id, ip=w.ip))
        return Response(content.data, media_type=content.content_type, headers=NO_STORE)  # type: ignore[attr-defined]

    @app.delete("/media/{media_id}", response_model=schemas.MediaDeleted, tags=["media"],
                responses=documented(401, 403, 404, 429, 503), summary="Delete one media item")
    def delete_media(media_id: Id, call: ApiCall = Depends(key_with(ApiScope.DELETE))) -> schemas.MediaDeleted:
        session_id = call.run(lambda w: deletion.delete_media_item(w.db, w.store, actor=call.actor,
                                                                   media_id=media_id, ip=w.ip))
        return schemas.MediaDeleted(id=media_id, session_id=int(session_id))  # type: ignore[call-overload]

    _document_problems(app)
    return app


def _document_problems(app: FastAPI) -> None:
    """Refusals are documented as what they are, application/problem+json with the Problem schema
    (FastAPI would list them, and its own 422, as application/json)."""
    generate = app.openapi

    def openapi() -> dict:
        if app.openapi_schema is not None:
            return app.openapi_schema
        doc = generate()
        problem = {"schema": {"$ref": "#/components/schemas/Problem"}}
        for item in doc.get("paths", {}).values():
            for op in item.values():
                for code, response in op.get("responses", {}).items():
                    if code.startswith(("4", "5")):
                        response["content"] = {errors.PROBLEM: problem}
                        if code == "422":
                            response["description"] = "Invalid request"
        for name in ("HTTPValidationError", "ValidationError"):
            doc.get("components", {}).get("schemas", {}).pop(name, None)
        app.openapi_schema = doc
        return doc

    app.openapi = openapi  # type: ignore[method-assign]
