"""State of the end user's capture flow at /s/[token].

Steps: welcome (consent) -> camera check -> document (front, back) ->
liveness (attempts) -> checking -> done; `closed` for links that cannot be
used. The browser's camera work lives in assets/capture.js; images go to the
capture API over HTTP and results come back here as call_script callbacks.
The link token stays backend-only (`_token`); the page already has it in its URL.
"""
from __future__ import annotations

import asyncio
import json

import reflex as rx

from identity_app import i18n
from identity_app.db import session_scope
from identity_app.services import capture, sessions
from identity_app.services.capture import CaptureRefused, LinkStatus
from identity_app.services.totp import qr_svg_data_uri


def _js(value: str) -> str:
    return json.dumps(value)


def _idv(call: str) -> str:
    """Run `idvCapture.<call>` once assets/capture.js has loaded (it loads asynchronously)."""
    return ("new Promise((resolve) => { const go = () => resolve(window.idvCapture." + call + ");"
            " if (window.idvCapture) { go(); return; }"
            " const timer = setInterval(() => { if (window.idvCapture) { clearInterval(timer); go(); } }, 50); })")


class CaptureState(rx.State):
    step: str = "loading"
    t: dict[str, str] = {}
    app_name: str = ""
    primary_colour: str = "#2563eb"
    privacy_url: str = ""
    consent_checked: bool = False
    error: str = ""
    doc_types: list[str] = []
    doc_type_labels: dict[str, str] = {}
    doc_type: str = "PASSPORT"
    country_needed: bool = False
    country: str = ""
    upload_allowed: bool = False
    side: str = "FRONT"
    camera_state: str = "checking"  # checking, ok, denied, absent, insecure
    link: str = ""
    qr: str = ""
    in_app: bool = False
    busy: bool = False
    liveness_message: str = ""
    liveness_passed: bool = False
    attempts_left: int = 0
    _token: str = ""
    _success_url: str = ""
    _needs_document: bool = True
    _needs_liveness: bool = True

    # ------------------------------------------------------------- loading

    def _apply(self, view: capture.CaptureView) -> None:
        t = i18n.texts(view.locale)
        self.t = {k: v.replace("{app}", view.application_name) for k, v in t.items()}
        self.app_name = view.application_name
        self.primary_colour = view.primary_colour
        self.privacy_url = view.privacy_policy_url
        self.doc_types = list(view.document_types)
        self.doc_type_labels = {d: t.get(d, d) for d in view.document_types}
        if self.doc_type not in self.doc_types and self.doc_types:
            self.doc_type = self.doc_types[0]
        self.country_needed = view.country_mode != "ALLOW_ALL"
        self.upload_allowed = view.upload_allowed
        self.liveness_passed = view.liveness_passed
        self.attempts_left = max(0, view.max_retries - view.liveness_attempts)
        self._success_url = view.success_url
        self._needs_document = view.document_enabled and not view.document_captured
        self._needs_liveness = view.liveness_enabled and not view.liveness_passed and self.attempts_left > 0

    @rx.event
    def load(self):
        token = self.router.page.params.get("token", "") or ""
        raw = (self.router.page.raw_path or "").split("?")[0].rstrip("/")
        if not token and raw.startswith("/s/"):  # params can lag behind a first load of a dynamic route
            token = raw.rsplit("/", 1)[-1]
        self._token = token
        headers = self.router.headers
        with session_scope() as db:
            view = capture.open_link(db, token=self._token, user_agent=headers.user_agent or "",
                                     ip=self.router.session.client_ip or "")
        self.error, self.busy, self.side = "", False, "FRONT"
        self.link = sessions.session_link(self._token) if view.status != LinkStatus.CLOSED else ""
        self.qr = qr_svg_data_uri(self.link) if self.link else ""
        self._apply(view)
        if not self.t:
            self.t = dict(i18n.EN)
        checks = [rx.call_script(_idv("isInApp()"), callback=CaptureState.set_in_app)]
        return checks + self._route(view)

    @rx.event
    def set_in_app(self, value: bool):
        self.in_app = bool(value)

    def _route(self, view: capture.CaptureView) -> list:
        if view.status == LinkStatus.CLOSED:
            self.step = "closed"
        elif view.status == LinkStatus.DONE:
            self.step = "done"
        elif view.status == LinkStatus.CHECKING:
            self.step = "checking"
            return [CaptureState.poll_status]
        elif not view.consent_given:
            self.step = "welcome"
        else:
            return self._next()
        return []

    def _next(self) -> list:
        if self._needs_document or self._needs_liveness:
            self.step = "camera"
            self.camera_state = "checking"
            return [rx.call_script(_idv("checkCamera()"), callback=CaptureState.camera_checked)]
        return self._finish()

    # ------------------------------------------------------------- consent

    @rx.event
    def set_consent(self, checked: bool):
        self.consent_checked = bool(checked)
        self.error = ""

    @rx.event
    def accept(self):
        if not self.consent_checked:
            self.error = self.t.get("consent_required", "")
            return
        try:
            with session_scope() as db:
                view = capture.give_consent(db, token=self._token, ip=self.router.session.client_ip or "")
        except CaptureRefused:
            self.step = "closed"
            return
        self.error = ""
        self._apply(view)
        return self._next()

    # ------------------------------------------------------------- camera

    @rx.event
    def camera_checked(self, result: str):
        state = json.loads(result or "{}").get("state", "absent") if isinstance(result, str) else "absent"
        self.camera_state = state
        if state == "ok":
            return self._enter_capture()
        self.step = "camera" if not self._needs_document else "document"

    @rx.event
    def retry_camera(self):
        self.camera_state = "checking"
        return rx.call_script(_idv("checkCamera()"), callback=CaptureState.camera_checked)

    def _enter_capture(self):
        if self._needs_document:
            self.step = "document"
            return rx.call_script(_idv(f"startDocument({_js(self._token)})"))
        if self._needs_liveness:
            self.step = "liveness"
            return None
        return self._finish()

    # ------------------------------------------------------------- document

    @rx.event
    def choose_doc_type(self, value: str):
        self.doc_type = value
        self.error = ""

    @rx.event
    def set_country(self, value: str):
        self.country = (value or "").strip().upper()[:3]
        self.error = ""

    def _doc_args(self) -> str:
        return ", ".join(_js(v) for v in (self._token, self.side, self.doc_type, self.country))

    @rx.event
    def take_photo(self):
        self.busy, self.error = True, ""
        return rx.call_script(_idv(f"captureDocument({self._doc_args()})"), callback=CaptureState.document_done)

    @rx.event
    def upload(self):
        self.busy, self.error = True, ""
        return rx.call_script(_idv(f"uploadDocument({self._doc_args()})"), callback=CaptureState.document_done)

    @rx.event
    def document_done(self, result: str):
        self.busy = False
        res = json.loads(result) if isinstance(result, str) and result else {}
        if not res.get("ok"):
            self.error = res.get("message") or self.t.get("ERROR", "")
            return
        self.error = ""
        if res.get("needs_back"):
            self.side = "BACK"
            if self.camera_state == "ok":
                return rx.call_script(_idv(f"startDocument({_js(self._token)})"))
            return
        self._needs_document = False
        self.side = "FRONT"
        if self._needs_liveness:
            self.step = "liveness" if self.camera_state == "ok" else "camera"
            return
        return self._finish()

    # ------------------------------------------------------------- liveness

    @rx.event
    def start_liveness(self):
        self.busy, self.error, self.liveness_message = True, "", ""
        return rx.call_script(_idv(f"runLiveness({_js(self._token)})"), callback=CaptureState.liveness_done)

    @rx.event
    def liveness_done(self, result: str):
        self.busy = False
        res = json.loads(result) if isinstance(result, str) and result else {}
        if not res.get("ok"):
            if res.get("code") == "NO_ATTEMPTS_LEFT":
                self._needs_liveness = False
                return self._finish()
            self.error = res.get("message") or self.t.get("ERROR", "")
            return
        self.attempts_left = int(res.get("attempts_left", 0))
        self.liveness_passed = bool(res.get("passed"))
        if self.liveness_passed:
            self.liveness_message = self.t.get("liveness_passed", "")
            self._needs_liveness = False
            return self._finish()
        self.liveness_message = res.get("message", "")
        self.step = "liveness_failed"

    @rx.event
    def retry_liveness(self):
        self.step = "liveness"
        self.liveness_message = ""

    @rx.event
    def give_up_liveness(self):
        self._needs_liveness = False
        return self._finish()

    # ------------------------------------------------------------- finish

    def _finish(self) -> list:
        try:
            with session_scope() as db:
                capture.finish_capture(db, token=self._token, ip=self.router.session.client_ip or "")
        except CaptureRefused as exc:
            self.error = i18n.message(self.t.get("lang"), exc.code)
            return []
        self.step = "checking"
        return [CaptureState.poll_status]

    @rx.event(background=True)
    async def poll_status(self):
        for _ in range(600):  # up to 20 minutes; the page can be reloaded at any time
            async with self:
                token = self._token
            with session_scope() as db:
                view = capture.status(db, token=token)
            if view.status in (LinkStatus.DONE, LinkStatus.CLOSED):
                async with self:
                    self.step = "done" if view.status == LinkStatus.DONE else "closed"
                    if view.status == LinkStatus.DONE and self._success_url:
                        return rx.redirect(self._success_url)
                return
            await asyncio.sleep(2)
