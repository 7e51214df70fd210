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
from identity_app.db import session_scope
from identity_app.models import Permission
from identity_app.services import app_settings, auth, session_search
from identity_app.services.errors import DomainError, Forbidden, NotFound
from identity_app.services.permissions import require
from identity_app.services.sessions import find_by_token
from identity_app.web import cookies
from identity_app.storage import StorageError, get_media_store

NO_STORE = {"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"}


def _app_id(request: Request) -> int | None:
    return routes.parse_id(request.path_params.get("app_id"))


def application_logo(request: Request) -> Response:  # sync: runs in Starlette's thread pool
    app_id = _app_id(request)
    if app_id is None:
        return Response("Not found", status_code=404, headers=NO_STORE)
    token = request.query_params.get("session", "")
    try:
        with session_scope() as db:
            if token:
                vs = find_by_token(db, token)
                if vs is None or vs.application_id != app_id:
                    raise NotFound("Not found")
            else:
                actor = auth.authenticate(db, request.cookies.get(cookies.SESSION.name))
                require(db, actor, app_id, Permission.VIEW_SESSIONS)
            logo = app_settings.read_logo(db, get_media_store(), application_id=app_id)
    except NotFound:
        return Response("Not found", status_code=404, headers=NO_STORE)
    except Forbidden:
        return Response("Sign in to see this logo.", status_code=403, headers=NO_STORE)
    except StorageError:
        return Response("The media store is unavailable.", status_code=503, headers=NO_STORE)
    # Private cache only: the response depends on who asks.
    return Response(logo.data, media_type=logo.content_type,
                    headers={"Cache-Control": "private, max-age=300", "X-Content-Type-Options": "nosniff"})


def sessions_csv(request: Request) -> Response:  # sync: runs in Starlette's thread pool
    app_id = _app_id(request)
    if app_id is None:
        return Response("Not found", status_code=404, headers=NO_STORE)
    try:
        with session_scope() as db:
            actor = auth.authenticate(db, request.cookies.get(cookies.SESSION.name))
            if actor is None:
                return Response("Sign in to export sessions.", status_code=401, headers=NO_STORE)
            query = session_search.query_from_params(dict(request.query_params))
            text = session_search.export_csv(db, actor=actor, application_id=app_id, query=query,
                                             ip=request.client.host if request.client else "")
    except NotFound:
        return Response("Not found", status_code=404, headers=NO_STORE)
    except Forbidden as exc:
        return Response(str(exc), status_code=403, headers=NO_STORE)
    except DomainError as exc:
        return Response(str(exc), status_code=400, headers=NO_STORE)
    filename = f"sessions-{app_id}-{date.today().isoformat()}.csv"
    # A UTF-8 BOM so that spreadsheet programs read accented names right.
    return Response("\ufeff" + text, media_type="text/csv; charset=utf-8",
                    headers={**NO_STORE, "Content-Disposition": f'attachment; filename="{filename}"'})


ROUTES = [
    Route("/api/applications/{app_id}/logo", application_logo),
    Route("/api/applications/{app_id}/sessions.csv", sessions_csv),
]
