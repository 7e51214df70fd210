"""New console accounts: the owner's first-run setup, and an invitation accepted.

Each makes the account and takes its password step in one unit of work, then hands
the pending sign-in to the browser as an HttpOnly cookie and goes on to enrolment
(state/sign_in.py, whose messages and step runner these pages share). The
invitation's token is the browser's HttpOnly cookie too: this state sees its hash.
"""
from __future__ import annotations

from typing import Callable

import reflex as rx

from identity_app import routes
from identity_app.services import doorway
from identity_app.services.access import auth, invitations
from identity_app.services.access.auth import OperatorView
from identity_app.services.doorway import Work
from identity_app.state.base import who_asks
from identity_app.state.browser import go_with_cookie
from identity_app.state.sign_in import SignInState
from identity_app.web import cookies


class NewAccountState(SignInState):
    invitation_email: str = ""
    invitation_application: str = ""
    invitation_valid: bool = False

    async def _new_account(self, form: dict, create: Callable[[Work, str], OperatorView]):
        """The account `create(w, password)` makes from the form, and its password step."""
        if form.get("password") != form.get("password_confirm"):
            self.error = "The two passwords are not the same."
            return None
        password = form.get("password", "")
        done = await self._step(lambda w: auth.sign_in_password(w.db, email=create(w, password).email,
                                                                password=password, ip=w.ip,
                                                                user_agent=w.caller.user_agent))
        return go_with_cookie("pending", done.value.token, routes.ENROL) if done.ok else None

    @rx.event
    async def load_setup(self):
        self.error = ""
        op, has_owner = await doorway.run_async(who_asks, self._caller())
        if has_owner:
            return rx.redirect(routes.HOME if op else routes.SIGN_IN)

    @rx.event
    async def submit_setup(self, form: dict):
        name, email = form.get("name", ""), form.get("email", "")
        return await self._new_account(form, lambda w, password: auth.create_owner(
            w.db, name=name, email=email, password=password, ip=w.ip))

    @rx.event
    async def load_invitation(self):
        invite = self._cookie_hash(cookies.INVITE)
        done = await self._step(lambda w: invitations.invitation_info(w.db, token_hash=invite))
        info = done.value if done.ok else None
        self.invitation_valid = info is not None
        self.invitation_email, self.invitation_application = (info.email, info.application_name) if info else ("", "")

    @rx.event
    async def submit_invitation(self, form: dict):
        invite, name = self._cookie_hash(cookies.INVITE), form.get("name", "")
        go_on = await self._new_account(form, lambda w, password: invitations.accept_invitation(
            w.db, token_hash=invite, name=name, password=password, ip=w.ip))
        if go_on is not None:
            self.invitation_valid, self.invitation_email, self.invitation_application = False, "", ""
        return go_on
