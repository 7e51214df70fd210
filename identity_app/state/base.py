"""The signed-in operator, shared by every console page.

The sign-in token lives in an HttpOnly cookie that only HTTP routes set
(web/auth_routes.py). This state never holds it: the middleware (web/guard.py)
hands the websocket the cookie's SHA-256, which is also all the database keeps,
and `_current_operator` looks the sign-in up by that hash on every event.
`require_operator` is the on_load guard of every console page.
"""
from __future__ import annotations

import json

import reflex as rx

from identity_app import routes
from identity_app.db import session_scope
from identity_app.services import auth
from identity_app.services.auth import OperatorView
from identity_app.web import cookies


def go_with_cookie(kind: str, token: str, next_path: str) -> rx.event.EventSpec:
    """Hand a fresh sign-in token to the browser as an HttpOnly cookie, then load `next_path`
    in full (the new websocket connects with the cookie). The token travels once, as this
    event's payload; it is never a state var."""
    js = ("fetch({url},{{method:'POST',credentials:'same-origin',headers:{{'Content-Type':'application/json'}},"
          "body:JSON.stringify({{kind:{kind},token:{token}}})}})"
          ".then((r)=>window.location.assign(r.ok?{next}:{signin}))"
          ".catch(()=>window.location.assign({signin}))").format(
        url=json.dumps(routes.API_AUTH_COOKIE), kind=json.dumps(kind), token=json.dumps(token),
        next=json.dumps(next_path), signin=json.dumps(routes.SIGN_IN))
    return rx.call_script(js)


def load_in_full(path: str) -> rx.event.EventSpec:
    """A full page load (an HTTP route, or a page that must connect with new cookies)."""
    return rx.call_script(f"window.location.assign({json.dumps(path)})")


class SessionState(rx.State):
    operator_name: str = ""
    operator_email: str = ""
    is_owner: bool = False
    _operator_id: int = 0

    @property
    def client_ip(self) -> str:
        return self.router.session.client_ip or ""

    @property
    def user_agent(self) -> str:
        return (self.router.headers.user_agent or "")[:400]

    def _cookie_hash(self, cookie: cookies.SecretCookie) -> str:
        """The hash of one of the browser's secret cookies ("" when absent)."""
        return str(self.router.headers.raw_headers.get(cookie.header, ""))

    def _route_id(self, name: str) -> int:
        """A numeric route parameter such as `app_id`; 0 when absent, not a number or out of range."""
        return routes.parse_id(self.router.page.params.get(name, "")) or 0

    def _current_operator(self) -> OperatorView | None:
        with session_scope() as db:
            op = auth.authenticate_hash(db, self._cookie_hash(cookies.SESSION))
        self._operator_id = op.id if op else 0
        self.operator_name = op.name if op else ""
        self.operator_email = op.email if op else ""
        self.is_owner = op.is_owner if op else False
        return op

    @rx.event
    def require_operator(self):
        if self._current_operator() is None:
            with session_scope() as db:
                has_owner = auth.owner_exists(db)
            return rx.redirect(routes.SIGN_IN if has_owner else routes.SETUP)

    @rx.event
    def sign_out(self):
        with session_scope() as db:
            auth.sign_out(db, token_hash=self._cookie_hash(cookies.SESSION), ip=self.client_ip)
        self.operator_name = self.operator_email = ""
        self._operator_id = 0
        return load_in_full(routes.API_AUTH_SIGNED_OUT)  # clears the cookies, then the sign-in page
