"""Opening a capture link (the page's on_load), the welcome step's consent and the camera check."""
from __future__ import annotations

import json

import reflex as rx

from identity_app.services.capture import flow as capture
from identity_app.services.sessions import links as sessions
from identity_app.services.capture.flow import CaptureRefused, CaptureView, LinkStatus
from identity_app.services.access.totp import qr_svg_data_uri
from identity_app.state.capture import CaptureState, idv


class CaptureStartState(CaptureState):
    privacy_url: str = ""
    consent_checked: bool = False
    link: str = ""
    qr: str = ""
    in_app: bool = False

    def _take(self, view: CaptureView) -> None:
        self.privacy_url = view.privacy_policy_url

    @rx.event
    async def load(self):
        token = self.router.page.params.get("token", "") or ""
        raw = (self.router.page.raw_path or "").split("?")[0].rstrip("/")
        if not token and raw.startswith("/s/"):  # params can lag behind a first load of a dynamic route
            token = raw.rsplit("/", 1)[-1]
        self._token = token
        view = await self._run(lambda w: capture.open_link(w.db, token=token, user_agent=w.caller.user_agent, ip=w.ip))
        self.error, self.busy = "", False
        self.link = sessions.session_link(token) if view.status != LinkStatus.CLOSED else ""
        self.qr = ""  # drawn when the hand-off is shown (camera_checked): 14 kB less before the first paint
        await self._show(view)
        return [self._html_lang(), idv("isInApp", callback=CaptureStartState.set_in_app)] + await self._route(view)

    @rx.event
    def set_in_app(self, value: bool):
        self.in_app = bool(value)

    async def _route(self, view: CaptureView) -> list:
        if view.status in (LinkStatus.CLOSED, LinkStatus.DONE):
            self.step = "closed" if view.status == LinkStatus.CLOSED else "done"
        elif view.status == LinkStatus.CHECKING:
            self.step = "checking"
            return [CaptureState.poll_status]
        elif not view.consent_given:
            self.step = "welcome"
        else:
            return await self._next()
        return []

    async def _next(self) -> list:
        if self._needs_document or self._needs_liveness:
            self.step, self.camera_state = "camera", "checking"
            return [idv("checkCamera", callback=CaptureStartState.camera_checked)]
        return await self._finish()

    @rx.event
    def set_consent(self, checked: bool):
        self.consent_checked, self.error = bool(checked), ""

    @rx.event
    async def accept(self):
        if not self.consent_checked:
            self.error = self.t.get("consent_required", "")
            return
        token = self._token
        try:
            view = await self._run(lambda w: capture.give_consent(w.db, token=token, ip=w.ip))
        except CaptureRefused:
            self.step = "closed"
            return
        self.error = ""
        await self._show(view)
        return await self._next()

    @rx.event
    async def camera_checked(self, result: str):
        state = json.loads(result or "{}").get("state", "absent") if isinstance(result, str) else "absent"
        self.camera_state = state
        if state != "ok":
            self.qr = self.qr or (qr_svg_data_uri(self.link) if self.link else "")  # the phone hand-off
            self.step = "camera" if not self._needs_document else "document"
        elif self._needs_document:
            self.step = "document"
            return idv("startDocument", self._token)
        elif self._needs_liveness:
            self.step = "liveness"
            return idv("previewSelfie")
        else:
            return await self._finish()

    @rx.event
    def retry_camera(self):
        self.camera_state = "checking"
        return idv("checkCamera", callback=CaptureStartState.camera_checked)
