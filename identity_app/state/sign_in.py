"""Owner setup, password step, TOTP step, enrolment and invitation acceptance.

No secret is ever a var here: a step that succeeds hands its new token to the
browser as an HttpOnly cookie (`go_with_cookie`), the steps after it find the
sign-in by that cookie's hash, and the TOTP key and recovery codes are fetched
by the page over HTTP and drawn by the browser (`_DRAW_*`).
"""
from __future__ import annotations

import json

import reflex as rx

from identity_app import routes
from identity_app.db import session_scope
from identity_app.services import auth, invitations
from identity_app.services.auth import SignedIn
from identity_app.services.errors import DomainError, SignInExpired
from identity_app.state.base import ConsoleState, go_with_cookie
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
    invitation_email: str = ""
    invitation_application: str = ""
    invitation_valid: bool = False

    def _signed_in(self, signed: SignedIn):
        self.error = ""
        return go_with_cookie("session", signed.token,
                              routes.RECOVERY_CODES if signed.recovery_codes else routes.HOME)

    # --- first run ----------------------------------------------------------
    @rx.event
    def load_setup(self):
        self.error = ""
        with session_scope() as db:
            if auth.owner_exists(db):
                return rx.redirect(routes.HOME if self._current_operator() else routes.SIGN_IN)

    @rx.event
    def submit_setup(self, form: dict):
        if form.get("password") != form.get("password_confirm"):
            self.error = "The two passwords are not the same."
            return
        try:
            with session_scope() as db:
                auth.create_owner(db, name=form.get("name", ""), email=form.get("email", ""),
                                  password=form.get("password", ""), ip=self.client_ip)
                step = auth.sign_in_password(db, email=form.get("email", ""), password=form.get("password", ""),
                                             ip=self.client_ip, user_agent=self.user_agent)
        except DomainError as exc:
            self.error = str(exc)
            return
        self.error = ""
        return go_with_cookie("pending", step.token, routes.ENROL)

    # --- password step ------------------------------------------------------
    @rx.event
    def load_sign_in(self):
        self.error = ""
        if self._current_operator() is not None:
            return rx.redirect(routes.HOME)
        with session_scope() as db:
            if not auth.owner_exists(db):
                return rx.redirect(routes.SETUP)

    @rx.event
    def submit_password(self, form: dict):
        try:
            with session_scope() as db:
                step = auth.sign_in_password(db, email=form.get("email", ""), password=form.get("password", ""),
                                             ip=self.client_ip, user_agent=self.user_agent,
                                             device_hash=self._cookie_hash(cookies.DEVICE))
        except DomainError as exc:
            self.error = str(exc)
            return
        self.error = self.info = ""
        return go_with_cookie("pending", step.token, routes.ENROL if step.needs_enrolment else routes.TOTP)

    # --- TOTP step ----------------------------------------------------------
    def _pending_or_restart(self):
        try:
            with session_scope() as db:
                auth.pending_operator(db, self._cookie_hash(cookies.PENDING))
        except DomainError as exc:
            self.info = str(exc)
            return rx.redirect(routes.SIGN_IN)
        return None

    @rx.event
    def load_code(self):
        self.error = ""
        return self._pending_or_restart()

    def _second_factor(self, step, code: str):
        """Run a code-checking step (TOTP or enrolment); expired sign-ins start again."""
        try:
            with session_scope() as db:
                signed = step(db, token_hash=self._cookie_hash(cookies.PENDING), code=code, ip=self.client_ip,
                              device_hash=self._cookie_hash(cookies.DEVICE))
        except SignInExpired as exc:
            self.info, self.error = str(exc), ""
            return rx.redirect(routes.SIGN_IN)
        except DomainError as exc:
            self.error = str(exc)
            return
        return self._signed_in(signed)

    @rx.event
    def submit_code(self, form: dict):
        return self._second_factor(auth.verify_second_factor, form.get("code", ""))

    # --- enrolment ----------------------------------------------------------
    @rx.event
    def load_enrol(self):
        self.error = ""
        return self._pending_or_restart() or rx.call_script(_DRAW_ENROLMENT)

    @rx.event
    def submit_enrol(self, form: dict):
        return self._second_factor(auth.confirm_enrolment, form.get("code", ""))

    @rx.event
    def load_recovery_codes(self):
        if self._current_operator() is None:
            return rx.redirect(routes.SIGN_IN)
        return rx.call_script(_DRAW_RECOVERY_CODES)

    @rx.event
    def recovery_codes_saved(self):
        with session_scope() as db:
            auth.forget_recovery_codes(db, token_hash=self._cookie_hash(cookies.SESSION))
        return rx.redirect(routes.HOME)

    # --- invitation ---------------------------------------------------------
    @rx.event
    def load_invitation(self):
        self.error = ""
        try:
            with session_scope() as db:
                info = invitations.invitation_info(db, token_hash=self._cookie_hash(cookies.INVITE))
        except DomainError as exc:
            self.invitation_valid = False
            self.error = str(exc)
            return
        self.invitation_valid = True
        self.invitation_email, self.invitation_application = info.email, info.application_name

    @rx.event
    def submit_invitation(self, form: dict):
        if form.get("password") != form.get("password_confirm"):
            self.error = "The two passwords are not the same."
            return
        try:
            with session_scope() as db:
                op = invitations.accept_invitation(db, token_hash=self._cookie_hash(cookies.INVITE),
                                                   name=form.get("name", ""), password=form.get("password", ""),
                                                   ip=self.client_ip)
                step = auth.sign_in_password(db, email=op.email, password=form.get("password", ""),
                                             ip=self.client_ip, user_agent=self.user_agent)
        except DomainError as exc:
            self.error = str(exc)
            return
        self.invitation_valid = False
        self.invitation_email = self.invitation_application = ""
        return go_with_cookie("pending", step.token, routes.ENROL)
