"""A session's PDF report over HTTP (too large for a websocket message, and a file to keep).

Checked like /api/media/<id> on every request: the sign-in cookie, then view sessions on the
session's application (another application's session is 404, as a missing one); every download
is an audit event. The PDF is built in memory and sent with no-store.
"""
from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from identity_app import routes
from identity_app.services import doorway
from identity_app.services.errors import Forbidden, NotFound, NotSignedIn
from identity_app.services.sessions import report_pdf
from identity_app.services.console_words import readable
from identity_app.storage import StorageError
from identity_app.web import callers
from identity_app.web.callers import NO_STORE, plain


def session_report(request: Request) -> Response:  # sync: Starlette runs it in its thread pool
    session_id = routes.parse_id(request.path_params.get("session_id"))
    if session_id is None:
        return plain("Not found", 404)
    try:
        report = doorway.run(lambda w: report_pdf.session_report(
            w.db, w.store, actor=doorway.operator(w), session_id=session_id, sub_check_label=readable, ip=w.ip),
            callers.operator(request), signed_in=True)
    except (NotSignedIn, NotFound, Forbidden, StorageError) as exc:
        return callers.refused(exc, signed_out="Sign in to download this report.")
    return Response(report.pdf, media_type="application/pdf",
                    headers={**NO_STORE, "Content-Disposition": f'attachment; filename="{report.filename}"'})


ROUTES = [Route(routes.API_SESSION_REPORT, session_report)]
