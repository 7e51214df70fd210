"""Owner setup, password step, TOTP step, enrolment and invitation acceptance."""
from __future__ import annotations

import reflex as rx

from identity_app import routes
from identity_app.db import session_scope
from identity_app.services import auth, invitations
from identity_app.services.auth import SignedIn
from identity_app.services.errors import DomainError, SignInExpired
from identity_app.state.base import SessionState


class SignInState(SessionState):
    error: str = ""
    info: str = ""
    # Shown during enrolment only (the person must see them to scan/type them).
    enrol_secret: str = ""
    enrol_qr: str = ""
    # Shown once, right after enrolment.
    recovery_codes: list[str] = []
    invitation_email: str = ""
    invitation_application: str = ""
    invitation_valid: bool = False
    _pending_token: str = ""

    def _done(self, signed: SignedIn):
        self.session_token = signed.token
        self._pending_token = ""
        self.enrol_secret = self.enrol_qr = ""
        self.error = ""
        if signed.recovery_codes:
            self.recovery_codes = list(signed.recovery_codes)
            return rx.redirect(routes.RECOVERY_CODES)
        return rx.redirect(routes.HOME)

    # --- first run ----------------------------------------------------------
    @rx.event
    def load_setup(self):
        self.error = ""
        with session_scope() as db:
            if auth.owner_exists(db):
                return rx.redirect(routes.HOME if self.current_operator() else routes.SIGN_IN)

    @rx.event
    def submit_setup(self, form: dict):
        if form.get("password") != form.get("password_confirm"):
            self.error = "The two passwords are not the same."
            return
        try:
            with session_scope() as db:
                auth.create_owner(db, name=form.get("name", ""), email=form.get("email", ""),
                                  password=form.get("password", ""), ip=self.client_ip)
            with session_scope() as db:
                step = auth.sign_in_password(db, email=form.get("email", ""), password=form.get("password", ""),
                                             ip=self.client_ip, user_agent=self.user_agent)
        except DomainError as exc:
            self.error = str(exc)
            return
        self._pending_token = step.token
        self.error = ""
        return rx.redirect(routes.ENROL)

    # --- password step ------------------------------------------------------
    @rx.event
    def load_sign_in(self):
        self.error = ""
        if self.current_operator() is not None:
            return rx.redirect(routes.HOME)
        with session_scope() as db:
            if not auth.owner_exists(db):
                return rx.redirect(routes.SETUP)

    @rx.event
    def submit_password(self, form: dict):
        try:
            with session_scope() as db:
                step = auth.sign_in_password(db, email=form.get("email", ""), password=form.get("password", ""),
                                             ip=self.client_ip, user_agent=self.user_agent)
        except DomainError as exc:
            self.error = str(exc)
            return
        self._pending_token = step.token
        self.error = ""
        return rx.redirect(routes.ENROL if step.needs_enrolment else routes.TOTP)

    # --- TOTP step ----------------------------------------------------------
    @rx.event
    def load_code(self):
        self.error = ""
        try:
            with session_scope() as db:
                auth.pending_operator(db, self._pending_token)
        except DomainError as exc:
            self.info = str(exc)
            return rx.redirect(routes.SIGN_IN)

    def _second_factor(self, step, code: str):
        """Run a code-checking step (TOTP or enrolment); expired sign-ins start again."""
        try:
            with session_scope() as db:
                signed = step(db, token=self._pending_token, code=code, ip=self.client_ip)
        except SignInExpired as exc:
            self.info = str(exc)
            return rx.redirect(routes.SIGN_IN)
        except DomainError as exc:
            self.error = str(exc)
            return
        return self._done(signed)

    @rx.event
    def submit_code(self, form: dict):
        return self._second_factor(auth.verify_second_factor, form.get("code", ""))

    # --- enrolment ----------------------------------------------------------
    @rx.event
    def load_enrol(self):
        self.error = ""
        try:
            with session_scope() as db:
                e = auth.start_enrolment(db, token=self._pending_token)
        except DomainError as exc:
            self.info = str(exc)
            return rx.redirect(routes.SIGN_IN)
        self.enrol_secret, self.enrol_qr = e.secret, e.qr_svg_data_uri

    @rx.event
    def submit_enrol(self, form: dict):
        return self._second_factor(auth.confirm_enrolment, form.get("code", ""))

    @rx.event
    def load_recovery_codes(self):
        if not self.recovery_codes or self.current_operator() is None:
            return rx.redirect(routes.HOME)

    @rx.event
    def recovery_codes_saved(self):
        self.recovery_codes = []
        return rx.redirect(routes.HOME)

    # --- invitation ---------------------------------------------------------
    @rx.event
    def load_invitation(self):
        self.error = ""
        token = self.router.page.params.get("token", "")
        try:
            with session_scope() as db:
                info = invitations.invitation_info(db, token=token)
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
        token = self.router.page.params.get("token", "")
        try:
            with session_scope() as db:
                op = invitations.accept_invitation(db, token=token, name=form.get("name", ""),
                                                   password=form.get("password", ""), ip=self.client_ip)
            with session_scope() as db:
                step = auth.sign_in_password(db, email=op.email, password=form.get("password", ""),
                                             ip=self.client_ip, user_agent=self.user_agent)
        except DomainError as exc:
            self.error = str(exc)
            return
        self._pending_token = step.token
        self.invitation_valid = False
        return rx.redirect(routes.ENROL)
