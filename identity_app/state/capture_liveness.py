"""The liveness step of the capture flow: attempts run by assets/capture.js against the capture API,
their result, a retry while attempts are left."""
from __future__ import annotations

import json

import reflex as rx

from identity_app.services.capture.flow import CaptureView
from identity_app.state.capture import CaptureState, idv


class CaptureLivenessState(CaptureState):
    liveness_message: str = ""
    liveness_passed: bool = False
    attempts_left: int = 0

    def _take(self, view: CaptureView) -> None:
        self.liveness_passed, self.attempts_left = view.liveness_passed, view.attempts_left

    def _start(self) -> rx.event.EventSpec:
        self.busy, self.error, self.liveness_message = True, "", ""
        return idv("runLiveness", self._token, callback=CaptureLivenessState.liveness_done)

    @rx.event
    def start_liveness(self):
        if self.busy:
            return
        return self._start()

    @rx.event
    async def liveness_done(self, result: str):
        self.busy = False
        res = json.loads(result) if isinstance(result, str) and result else {}
        if not res.get("ok"):
            if res.get("code") == "NO_ATTEMPTS_LEFT":
                self._needs_liveness = False
                return await self._finish()
            self.error = res.get("message") or self.t.get("ERROR", "")
            return
        self.attempts_left = int(res.get("attempts_left", 0))
        self.liveness_passed = bool(res.get("passed"))
        if self.liveness_passed:
            self.liveness_message = self.t.get("liveness_passed", "")
            self._needs_liveness = False
            return await self._finish()
        self.liveness_message = res.get("message", "")
        self.step = "liveness_failed"

    @rx.event
    def retry_liveness(self):
        """"Try again" starts the next attempt at once (no second press on "I'm ready")."""
        self.step = "liveness"
        return self._start()

    @rx.event
    async def give_up_liveness(self):
        self._needs_liveness = False
        return await self._finish()
