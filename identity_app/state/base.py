"""The signed-in operator, shared by every console page.

The sign-in token lives in a cookie (the media route needs it too); the
server keeps only its hash. `require_operator` is the on_load guard of
every console page.
"""
from __future__ import annotations

import reflex as rx

from identity_app import routes
from identity_app.db import session_scope
from identity_app.services import auth
from identity_app.services.auth import OperatorView

COOKIE_NAME = "idv_session"


class SessionState(rx.State):
    session_token: str = rx.Cookie("", name=COOKIE_NAME, same_site="strict", max_age=24 * 3600)
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

    def route_id(self, name: str) -> int:
        """A numeric route parameter such as `app_id`; 0 when absent or not a number."""
        value = str(self.router.page.params.get(name, "0"))
        return int(value) if value.isdigit() else 0

    def current_operator(self) -> OperatorView | None:
        with session_scope() as db:
            op = auth.authenticate(db, self.session_token)
        self._operator_id = op.id if op else 0
        self.operator_name = op.name if op else ""
        self.operator_email = op.email if op else ""
        self.is_owner = op.is_owner if op else False
        return op

    @rx.event
    def require_operator(self):
        if self.current_operator() is None:
            with session_scope() as db:
                has_owner = auth.owner_exists(db)
            return rx.redirect(routes.SIGN_IN if has_owner else routes.SETUP)

    @rx.event
    def sign_out(self):
        with session_scope() as db:
            auth.sign_out(db, token=self.session_token, ip=self.client_ip)
        self.session_token = ""
        self.operator_name = self.operator_email = ""
        self._operator_id = 0
        return [rx.remove_cookie(COOKIE_NAME), rx.redirect(routes.SIGN_IN)]
