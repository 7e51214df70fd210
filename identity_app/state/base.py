"""What every console page state shares: who is signed in, and one call through the doorway.

The sign-in token lives in an HttpOnly cookie that only HTTP routes set
(web/auth_routes.py). No state holds it: the middleware (web/guard.py) hands the
websocket the cookie's SHA-256, which is also all the database keeps, and every
call through the doorway (services/doorway.py) looks the sign-in up by that hash.
`require_operator` is the on_load guard of every console page.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Generic, TypeVar

import reflex as rx

from identity_app import routes
from identity_app.services import doorway
from identity_app.services.access import auth
from identity_app.services.doorway import Caller, Work
from identity_app.services.errors import DomainError, NotSignedIn
from identity_app.state.browser import load_in_full
from identity_app.storage import StorageError
from identity_app.web import cookies

T = TypeVar("T")


def who_asks(w: Work) -> tuple[auth.OperatorView | None, bool]:
    """The signed-in operator (None: nobody), and whether the owner was set up at all."""
    return w.operator, auth.owner_exists(w.db)


def then(action: Callable[[Work], Any] | None, reload: Callable[[Work], T]) -> Callable[[Work], tuple[Any, T]]:
    """One unit of work: an action (if any), then the page's data as it now stands."""
    return lambda w: (action(w) if action else None, reload(w))


@dataclass(frozen=True)
class Done(Generic[T]):
    """What a call through the doorway gave: `ok` and its value, or the error already shown."""

    ok: bool
    value: Any = None


class ConsoleState(rx.State):
    operator_name: str = ""
    operator_email: str = ""
    is_owner: bool = False

    @property
    def client_ip(self) -> str:
        return self.router.session.client_ip or ""

    def _cookie_hash(self, cookie: cookies.SecretCookie) -> str:
        """The hash of one of the browser's secret cookies ("" when absent)."""
        return str(self.router.headers.raw_headers.get(cookie.header, ""))

    def _caller(self) -> Caller:
        return Caller(sign_in=self._cookie_hash(cookies.SESSION), ip=self.client_ip,
                      user_agent=(self.router.headers.user_agent or "")[:400])

    def _route_id(self, name: str) -> int:
        """A numeric route parameter such as `app_id`; 0 when absent, not a number or out of range."""
        return routes.parse_id(self.router.page.params.get(name, "")) or 0

    def _show_operator(self, op: auth.OperatorView | None) -> None:
        self.operator_name, self.operator_email = (op.name, op.email) if op else ("", "")
        self.is_owner = op.is_owner if op else False

    @rx.event
    async def require_operator(self):
        op, has_owner = await doorway.run_async(who_asks, self._caller())
        self._show_operator(op)
        if op is None:
            return rx.redirect(routes.SIGN_IN if has_owner else routes.SETUP)

    @rx.event
    async def sign_out(self):
        await doorway.run_async(lambda w: auth.sign_out(w.db, token_hash=w.caller.sign_in, ip=w.ip), self._caller())
        self._show_operator(None)
        return load_in_full(routes.API_AUTH_SIGNED_OUT)  # clears the cookies, then the sign-in page


class PageFeedback(rx.State, mixin=True):
    """A console page's own message vars and its one call through the doorway. `feedback_at`
    names the control whose action the messages answer ("": the page's load), so a page shows
    them beside that control rather than at its top, out of view (components/layout.feedback)."""

    error: str = ""
    notice: str = ""
    feedback_at: str = ""

    async def _call(self, use_case: Callable[[Work], T], notice: str = "", at: str = "") -> Done:
        """Run one use case for the signed-in operator, off the event loop. A domain or storage
        error becomes this page's error message; no sign-in ends in the sign-in page (the app's
        exception handler turns NotSignedIn into that redirect)."""
        self.feedback_at = at
        try:
            value = await doorway.run_async(use_case, self._caller(), signed_in=True)  # type: ignore[attr-defined]
        except (DomainError, StorageError) as exc:
            if isinstance(exc, NotSignedIn):
                raise
            self.error, self.notice = str(exc), ""
            return Done(False)
        self.error, self.notice = "", notice
        return Done(True, value)
