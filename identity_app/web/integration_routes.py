"""HTTP routes of the console's Integrations tab: where its page posts to make what it shows once
(a new API key, a webhook endpoint's signing secret, a rotated one, a Yoti SDK private key).

Reflex pickles its states to disk or Redis, and an event handler's return travels as a state
update, so no secret made here goes through the websocket: the page posts here with the sign-in
cookie, the JSON answer (no-store) carries the secret, and the page's script draws it into a
one-time box or downloads it as a file. What the script hands back to the state is the outcome
without the secret (state/integrations.py). The services decide who may (the manage permission),
check the input and audit every action.
"""
from __future__ import annotations

import json
from typing import Any, Callable

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from identity_app import routes
from identity_app.services import doorway
from identity_app.services.api import keys, sdk_keys, webhooks
from identity_app.services.doorway import Work
from identity_app.services.errors import DomainError, Forbidden, NotFound, NotSignedIn
from identity_app.web import callers
from identity_app.web.callers import NO_STORE

MAX_BODY = 8192


def _answer(ok: bool, status: int = 200, **fields: Any) -> Response:
    return JSONResponse({"ok": ok, **fields}, status_code=status, headers=NO_STORE)


def _made(request: Request, body: bytes, make: Callable[[Work, int, dict], dict]) -> Response:
    """Run `make(work, app_id, body)` for the signed-in operator (in a thread); its dict is the answer."""
    app_id = routes.parse_id(request.path_params.get("app_id"))
    if app_id is None:
        return _answer(False, 404, message="That application does not exist.")
    try:
        data = json.loads(body or b"{}") if len(body) <= MAX_BODY else None
    except ValueError:
        data = None
    if not isinstance(data, dict):
        return _answer(False, 400, message="Bad request.")
    try:
        made = doorway.run(lambda w: make(w, app_id, data), callers.operator(request), signed_in=True)
    except NotSignedIn:
        return _answer(False, 401, message="Your sign-in has ended: sign in again.")
    except DomainError as exc:  # not found, forbidden (no manage permission), bad input: its message
        status = 404 if isinstance(exc, NotFound) else 403 if isinstance(exc, Forbidden) else 400
        return _answer(False, status, message=str(exc))
    return _answer(True, **made)


def _strings(value: Any) -> list[str]:
    return [str(v) for v in value] if isinstance(value, list) else []


def _api_key(w: Work, app_id: int, body: dict) -> dict:
    made = keys.create_key(w.db, actor=doorway.operator(w), application_id=app_id, name=str(body.get("name", "")),
                           scopes=_strings(body.get("scopes")), ip=w.ip)
    return {"secret": made.token, "title": f"API key '{made.key.name}'",
            "message": f"API key '{made.key.name}' created."}


def _webhook(w: Work, app_id: int, body: dict) -> dict:
    made = webhooks.create_endpoint(w.db, actor=doorway.operator(w), application_id=app_id,
                                    url=str(body.get("url", "")), topics=_strings(body.get("topics")),
                                    description=str(body.get("description", "")),
                                    include_personal_data=body.get("include_personal_data") is True, ip=w.ip)
    return {"secret": made.secret, "title": "Signing secret of " + made.endpoint.url, "message": "Endpoint added."}


def _rotated(endpoint_id: int) -> Callable[[Work, int, dict], dict]:
    def rotate(w: Work, app_id: int, _: dict) -> dict:
        made = webhooks.rotate_secret(w.db, actor=doorway.operator(w), application_id=app_id,
                                      endpoint_id=endpoint_id, ip=w.ip)
        return {"secret": made.secret, "title": "New signing secret of " + made.endpoint.url,
                "message": "Secret rotated: for 24 hours deliveries carry signatures made with both secrets."}
    return rotate


def _sdk_key(w: Work, app_id: int, _: dict) -> dict:
    made = sdk_keys.create_sdk_key(w.db, actor=doorway.operator(w), application_id=app_id, ip=w.ip)
    sdk_id = made.key.sdk_id
    return {"secret": made.private_key_pem, "filename": f"{sdk_id}.pem", "sdk_id": sdk_id,
            "message": f"Key pair made for SDK id {sdk_id}: its private key was downloaded as {sdk_id}.pem. "
                       "Keep it safe: it is not kept here and cannot be downloaded again."}


def _route(path: str, make_for: Callable[[Request], Callable[[Work, int, dict], dict]]) -> Route:
    async def endpoint(request: Request) -> Response:
        if not callers.same_origin(request):
            return _answer(False, 403, message="Cross-site requests are refused.")
        body = await request.body()
        return await run_in_threadpool(_made, request, body, make_for(request))
    return Route(path, endpoint, methods=["POST"])


def _endpoint_id(request: Request) -> int:
    return routes.parse_id(request.path_params.get("endpoint_id")) or 0


ROUTES = [
    _route(routes.API_NEW_API_KEY, lambda _: _api_key),
    _route(routes.API_NEW_WEBHOOK, lambda _: _webhook),
    _route(routes.API_ROTATE_WEBHOOK_SECRET, lambda r: _rotated(_endpoint_id(r))),
    _route(routes.API_NEW_SDK_KEY, lambda _: _sdk_key),
]
