"""Console HTTP routes next to the Reflex app: the application logo and the
CSV export of the sessions list (too large for a websocket message).

The logo is stored in the media store, never in a public folder: operators
of the application see it with their sign-in cookie, an end user with the
token of a session of that application (the capture page).
"""
from __future__ import annotations

from datetime import date

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from identity_app import routes
from identity_app.models import Permission
from identity_app.services import doorway
from identity_app.services.applications import settings as app_settings
from identity_app.services.sessions import search as session_search
from identity_app.services.applications.settings import Logo
from identity_app.services.doorway import Work
from identity_app.services.errors import DomainError, Forbidden, NotFound
from identity_app.services.access.permissions import require
from identity_app.services.sessions.links import find_by_token
from identity_app.storage import StorageError
from identity_app.web import callers
from identity_app.web.callers import NO_STORE, plain


def _app_id(request: Request) -> int | None:
    return routes.parse_id(request.path_params.get("app_id"))


def application_logo(request: Request) -> Response:  # sync: runs in Starlette's thread pool
    app_id = _app_id(request)
    if app_id is None:
        return plain("Not found", 404)
    token = request.query_params.get("session", "")

    def read(w: Work) -> Logo:
        if token:  # the capture page of a session of this application
            vs = find_by_token(w.db, token)
            if vs is None or vs.application_id != app_id:
                raise NotFound("Not found")
        else:
            require(w.db, w.operator, app_id, Permission.VIEW_SESSIONS)
        return app_settings.read_logo(w.db, w.store, application_id=app_id)

    try:
        logo = doorway.run(read, callers.anonymous(request) if token else callers.operator(request))
    except (NotFound, Forbidden, StorageError) as exc:
        return callers.refused(exc, forbidden="Sign in to see this logo.")
    # Private cache only: the response depends on who asks.
    return Response(logo.data, media_type=logo.content_type,
                    headers={"Cache-Control": "private, max-age=300", "X-Content-Type-Options": "nosniff"})


def sessions_csv(request: Request) -> Response:  # sync: runs in Starlette's thread pool
    app_id = _app_id(request)
    if app_id is None:
        return plain("Not found", 404)
    params = dict(request.query_params)
    try:
        text = doorway.run(lambda w: session_search.export_csv(
            w.db, actor=doorway.operator(w), application_id=app_id, query=session_search.query_from_params(params),
            ip=w.ip), callers.operator(request), signed_in=True)
    except DomainError as exc:  # no sign-in, not found, forbidden, a bad filter
        return callers.refused(exc, signed_out="Sign in to export sessions.")
    filename = f"sessions-{app_id}-{date.today().isoformat()}.csv"
    # A UTF-8 BOM so that spreadsheet programs read accented names right.
    return Response("\ufeff" + text, media_type="text/csv; charset=utf-8",
                    headers={**NO_STORE, "Content-Disposition": f'attachment; filename="{filename}"'})


ROUTES = [
    Route(routes.API_APPLICATION_LOGO, application_logo),
    Route(routes.API_SESSIONS_CSV, sessions_csv),
]
