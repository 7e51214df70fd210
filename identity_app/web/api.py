"""Backend HTTP routes, mounted on Reflex's server (same port in production).

Media is never served from a public folder: this route checks the sign-in
cookie and the viewer's permission on every request.
"""
from __future__ import annotations

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Mount, Route

from identity_app import routes
from identity_app.web import capture_routes, console_routes, integration_routes
from identity_app.services import doorway
from identity_app.services.errors import Forbidden, NotFound, NotSignedIn
from identity_app.services.capture.media import read_media
from identity_app.storage import StorageError
from identity_app.web import auth_routes, callers, csp_reports, ops_routes, report_routes, yoti_compat
from identity_app.web.api_v1 import app as api_v1
from identity_app.web.api_v1.errors import problem
from identity_app.web.callers import NO_STORE, plain


async def health(_: Request) -> Response:
    return JSONResponse({"status": "ok"})


def media(request: Request) -> Response:
    # Sync on purpose: Starlette runs it in a thread, so database, storage and
    # decryption work never blocks the event loop.
    media_id = routes.parse_id(request.path_params.get("media_id"))
    if media_id is None:
        return plain("Not found", 404)
    try:
        content = doorway.run(lambda w: read_media(w.db, w.store, actor=doorway.operator(w), media_id=media_id,
                                                   ip=w.ip), callers.operator(request), signed_in=True)
    except (NotSignedIn, NotFound, Forbidden, StorageError) as exc:
        return callers.refused(exc, signed_out="Sign in to view media.")
    headers = dict(NO_STORE)
    data, media_type = content.data, content.content_type
    if request.query_params.get("portrait") == "1":
        # The document's portrait, cropped on the server for side-by-side review.
        from identity_app.services.capture.media_views import portrait_crop

        crop = portrait_crop(data)
        if crop is not None:
            data, media_type = crop, "image/jpeg"
    if request.query_params.get("download") == "1":
        headers["Content-Disposition"] = f'attachment; filename="media-{media_id}"'
    return Response(data, media_type=media_type, headers=headers)


def not_found(request: Request, exc: Exception) -> Response:
    """A path no route matches. Under the REST API, a problem, as its document says every 404 is: a
    session id holding a newline matched no route (the mount's pattern stops at a newline) and got
    Starlette's plain text. Elsewhere Starlette's own answer, as before."""
    path = request.url.path
    if path == api_v1.PREFIX or path.startswith(api_v1.PREFIX + "/"):
        return problem(404, "Not Found", "No such resource for this API key.", request)
    detail = exc.detail if isinstance(exc, HTTPException) else "Not Found"
    return PlainTextResponse(detail, status_code=404, headers=getattr(exc, "headers", None))


def api_app() -> Starlette:
    return Starlette(exception_handlers={404: not_found}, routes=[
        Route(routes.API_HEALTH, health),
        *ops_routes.ROUTES,  # /metrics (loopback or IDV_METRICS_TOKEN) and /api/ready
        Route(routes.API_MEDIA, media),
        *report_routes.ROUTES,  # a session's PDF report, checked and audited like media
        *console_routes.ROUTES,  # application logo, sessions CSV export
        *integration_routes.ROUTES,  # the secrets the Integrations tab shows once
        *auth_routes.ROUTES,  # sign-in cookies, the enrolment key and recovery codes, invitation links
        *csp_reports.ROUTES,  # what browsers report the page policy blocked
        # Capture flow (the link token is the credential); see capture_routes.py.
        Route("/api/capture/{token}/quality", capture_routes.quality, methods=["POST"]),
        Route("/api/capture/{token}/document", capture_routes.document, methods=["POST"]),
        Route("/api/capture/{token}/liveness", capture_routes.liveness_start, methods=["POST"]),
        Route("/api/capture/{token}/liveness/{resource_id}/frames", capture_routes.liveness_frames, methods=["POST"]),
        Route("/api/capture/{token}/liveness/{resource_id}/finish", capture_routes.liveness_finish, methods=["POST"]),
        Route("/api/capture/{token}/liveness/{resource_id}", capture_routes.liveness_result),
        # The REST API for a team's backend (API keys, OpenAPI at /api/v1/openapi.json): web/api_v1/.
        Mount(api_v1.PREFIX, app=api_v1.build()),
        # Yoti's Doc Scan API as its SDKs call it (request signing with an SDK key): web/yoti_compat.py.
        Mount(yoti_compat.PREFIX, app=yoti_compat.build()),
    ], middleware=[Middleware(ops_routes.RefusalCounter)])  # counts capture refusals by code
