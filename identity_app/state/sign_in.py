"""Signing in: the password step, the TOTP step, enrolment and the recovery codes shown once.

No secret is ever a var here: a step that succeeds hands its new token to the
browser as an HttpOnly cookie (`go_with_cookie`), the steps after it find the
sign-in by that cookie's hash, and the TOTP key and recovery codes are fetched
by the page over HTTP and drawn by the browser (`_DRAW_*`). Each step is one
unit of work through the doorway, for a caller not signed in yet (`_step`).
New accounts (owner setup, invitations) are state/new_account.py.
"""
from __future__ import annotations

import json
from typing import Callable

import reflex as rx

from identity_app import routes
from identity_app.services import doorway
from identity_app.services.access import auth
from identity_app.services.access.auth import SignedIn
from identity_app.services.doorway import Work
from identity_app.services.errors import DomainError, SignInExpired
from identity_app.state.base import ConsoleState, Done, who_asks
from identity_app.state.browser import go_with_cookie
from identity_app.web import cookies

# The page draws what only the browser may hold; a failed fetch starts the sign-in again.
_DRAW_ENROLMENT = (
    "fetch(%s,{credentials:'same-origin'}).then((r)=>r.json()).then((d)=>{"
    "if(!d.ok){window.location.assign(%s);return;}"
    "document.getElementById('totp-secret').textContent=d.secret;"
    "const img=document.getElementById('totp-qr');img.src=d.qr;img.style.visibility='visible';})"
) % (json.dumps(routes.API_AUTH_ENROLMENT), json.dumps(routes.SIGN_IN))
_DRAW_RECOVERY_CODES = (
    "fetch(%s,{credentials:'same-origin'}).then((r)=>r.json()).then((d)=>{"
    "const box=document.getElementById('recovery-codes');box.replaceChildren();"
    "for(const c of d.codes){const el=document.createElement('code');el.textContent=c;"
    "el.style.display='block';el.style.fontSize='1.1rem';box.appendChild(el);}})"
) % json.dumps(routes.API_AUTH_RECOVERY_CODES)


class SignInState(ConsoleState):
    error: str = ""
    info: str = ""

    async def _step(self, use_case: Callable[[Work], object], restart_on: type[DomainError] = SignInExpired) -> Done:
        """Run one step. Its domain error is this page's message; one that ends the sign-in
        (`restart_on`) is told on the sign-in page, where Done's value sends the browser."""
        try:
            value = await doorway.run_async(use_case, self._caller())
        except restart_on as exc:
            self.info, self.error = str(exc), ""
            return Done(False, rx.redirect(routes.SIGN_IN))
        except DomainError as exc:
            self.error = str(exc)
            return Done(False)
        self.error = ""
        return Done(True, value)

    def _signed_in(self, signed: SignedIn):
        return go_with_cookie("session", signed.token, routes.RECOVERY_CODES if signed.recovery_codes else routes.HOME)

    # --- password step ------------------------------------------------------
    @rx.event
    async def load_sign_in(self):
        self.error = ""
        op, has_owner = await doorway.run_async(who_asks, self._caller())
        if op is not None or not has_owner:
            return rx.redirect(routes.HOME if op else routes.SETUP)

    @rx.event
    async def submit_password(self, form: dict):
        email, password, device = form.get("email", ""), form.get("password", ""), self._cookie_hash(cookies.DEVICE)
        done = await self._step(lambda w: auth.sign_in_password(w.db, email=email, password=password, ip=w.ip,
                                                                user_agent=w.caller.user_agent, device_hash=device))
        if done.ok:
            self.info = ""
            step = done.value
            return go_with_cookie("pending", step.token, routes.ENROL if step.needs_enrolment else routes.TOTP)

    # --- TOTP step and enrolment ----------------------------------------------
    async def _pending_or_restart(self):
        self.error, pending = "", self._cookie_hash(cookies.PENDING)
        done = await self._step(lambda w: auth.pending_operator(w.db, pending), restart_on=DomainError)
        return None if done.ok else done.value

    async def _second_factor(self, step, code: str):
        """Run a code-checking step (TOTP or enrolment); expired sign-ins start again."""
        pending, device = self._cookie_hash(cookies.PENDING), self._cookie_hash(cookies.DEVICE)
        done = await self._step(lambda w: step(w.db, token_hash=pending, code=code, ip=w.ip, device_hash=device))
        return self._signed_in(done.value) if done.ok else done.value

    @rx.event
    async def load_code(self):
        return await self._pending_or_restart()

    @rx.event
    async def submit_code(self, form: dict):
        return await self._second_factor(auth.verify_second_factor, form.get("code", ""))

    @rx.event
    async def load_enrol(self):
        return await self._pending_or_restart() or rx.call_script(_DRAW_ENROLMENT)

    @rx.event
    async def submit_enrol(self, form: dict):
        return await self._second_factor(auth.confirm_enrolment, form.get("code", ""))

    @rx.event
    async def load_recovery_codes(self):
        op, _ = await doorway.run_async(who_asks, self._caller())
        return rx.call_script(_DRAW_RECOVERY_CODES) if op else rx.redirect(routes.SIGN_IN)

    @rx.event
    async def recovery_codes_saved(self):
        await doorway.run_async(lambda w: auth.forget_recovery_codes(w.db, token_hash=w.caller.sign_in), self._caller())
        return rx.redirect(routes.HOME)
