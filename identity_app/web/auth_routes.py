"""HTTP routes of the console's sign-in: the only places a secret cookie is set or cleared,
and where the pages fetch the secrets they must show (the TOTP key at enrolment, the
recovery codes once), so that none of them ever passes through Reflex state.

The sign-in pages run on the websocket; when a step succeeds, the page receives the
new token once (an event payload, never a state var) and posts it here, which checks
it and answers with the HttpOnly cookie. The page then loads the next page in full,
so the new websocket connects with the cookie.
"""
from __future__ import annotations

import json

from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from identity_app import routes
from identity_app.crypto import hash_token
from identity_app.services import doorway
from identity_app.services.access import auth, invitations
from identity_app.services.errors import DomainError
from identity_app.settings import get_settings
from identity_app.web import callers, cookies

NO_STORE = {"Cache-Control": "no-store"}
MAX_BODY = 4096


def _secure() -> bool:
    return get_settings().public_base_url.lower().startswith("https://")


async def adopt_cookie(request: Request) -> Response:
    """POST {kind: "pending" | "session", token}: the token becomes an HttpOnly cookie."""
    if not callers.same_origin(request):
        return Response("Cross-site requests are refused.", status_code=403, headers=NO_STORE)
    body = await request.body()
    try:
        data = json.loads(body) if len(body) <= MAX_BODY else None
        kind, token = str(data["kind"]), str(data["token"])
    except (ValueError, TypeError, KeyError):
        return Response("Bad request", status_code=400, headers=NO_STORE)
    device_hash = request.headers.get(cookies.DEVICE.header, "")

    def adopt(w: doorway.Work) -> tuple[auth.CookieGrant, str | None]:
        granted = auth.grant_cookie(w.db, kind=kind, token=token)
        trusted = auth.trust_device(w.db, operator_id=granted.operator_id, device_hash=device_hash) \
            if kind == "session" else None
        return granted, trusted

    try:
        grant, device = await doorway.run_async(adopt)
    except DomainError as exc:
        return JSONResponse({"ok": False, "message": str(exc)}, status_code=401, headers=NO_STORE)
    response = Response(status_code=204, headers=NO_STORE)
    secure = _secure()
    if kind == "pending":
        response.headers.append("set-cookie", cookies.set_cookie_header(cookies.PENDING, token, max_age=grant.max_age,
                                                                       secure=secure))
        response.headers.append("set-cookie", cookies.clear_cookie_header(cookies.INVITE, secure=secure))
    else:
        response.headers.append("set-cookie", cookies.set_cookie_header(cookies.SESSION, token, max_age=grant.max_age,
                                                                       secure=secure))
        response.headers.append("set-cookie", cookies.clear_cookie_header(cookies.PENDING, secure=secure))
        if device:
            response.headers.append("set-cookie", cookies.set_cookie_header(
                cookies.DEVICE, device, max_age=DEVICE_MAX_AGE, secure=secure))
    return response


DEVICE_MAX_AGE = 180 * 24 * 3600


def signed_out(_: Request) -> Response:
    """Clears the sign-in cookies (the sign-in itself was ended by the page's event)."""
    response = RedirectResponse(routes.SIGN_IN, status_code=303, headers=NO_STORE)
    for cookie in (cookies.SESSION, cookies.PENDING):
        response.headers.append("set-cookie", cookies.clear_cookie_header(cookie, secure=_secure()))
    return response


def enrolment(request: Request) -> Response:  # sync: Starlette runs it in a thread
    """The TOTP key and its QR code for the pending sign-in (the enrolment page draws them)."""
    pending = request.headers.get(cookies.PENDING.header, "")
    try:
        e = doorway.run(lambda w: auth.start_enrolment(w.db, token_hash=pending))
    except DomainError as exc:
        return JSONResponse({"ok": False, "message": str(exc)}, status_code=401, headers=NO_STORE)
    return JSONResponse({"ok": True, "secret": e.secret, "qr": e.qr_svg_data_uri}, headers=NO_STORE)


def recovery_codes(request: Request) -> Response:  # sync
    signed_in = request.headers.get(cookies.SESSION.header, "")
    codes = doorway.run(lambda w: auth.recovery_codes(w.db, token_hash=signed_in))
    return JSONResponse({"ok": bool(codes), "codes": list(codes)}, headers=NO_STORE)


def invitation_link(request: Request) -> Response:  # sync
    """An emailed invitation link: its token becomes an HttpOnly cookie and the browser goes
    on to the invitation page, whose URL (kept in the UI state) no longer holds the token."""
    token = str(request.path_params.get("token", ""))
    response = RedirectResponse(routes.INVITATION, status_code=303, headers=NO_STORE)
    valid = doorway.run(lambda w: invitations.invitation_expiry(w.db, token_hash=hash_token(token))) if token else None
    if valid is None:
        response.headers.append("set-cookie", cookies.clear_cookie_header(cookies.INVITE, secure=_secure()))
        return response
    response.headers.append("set-cookie", cookies.set_cookie_header(cookies.INVITE, token, max_age=valid,
                                                                   secure=_secure()))
    return response


ROUTES = [
    Route(routes.API_AUTH_COOKIE, adopt_cookie, methods=["POST"]),
    Route(routes.API_AUTH_SIGNED_OUT, signed_out),
    Route(routes.API_AUTH_ENROLMENT, enrolment),
    Route(routes.API_AUTH_RECOVERY_CODES, recovery_codes),
    Route(routes.INVITATION_LINK, invitation_link),
]
