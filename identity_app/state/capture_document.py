"""The document step of the capture flow: the type and country asked for, each side's photo
(camera or upload, sent by assets/capture.js to the capture API) and its answer."""
from __future__ import annotations

import json

import reflex as rx

from identity_app.services.capture.flow import CaptureView
from identity_app.state.capture import CaptureState, idv


class CaptureDocumentState(CaptureState):
    doc_types: list[str] = []
    doc_type_labels: dict[str, str] = {}
    doc_type: str = "PASSPORT"
    country_needed: bool = False
    country: str = ""
    upload_allowed: bool = False
    side: str = "FRONT"

    def _take(self, view: CaptureView) -> None:
        self.doc_types, self.side = list(view.document_types), "FRONT"
        self.doc_type_labels = {d: self.t.get(d, d) for d in view.document_types}
        if self.doc_type not in self.doc_types and self.doc_types:
            self.doc_type = self.doc_types[0]
        self.country_needed = view.country_mode != "ALLOW_ALL"
        self.upload_allowed = view.upload_allowed

    @rx.event
    def choose_doc_type(self, value: str):
        self.doc_type, self.error = value, ""

    @rx.event
    def set_country(self, value: str):
        self.country, self.error = (value or "").strip().upper()[:3], ""

    def _send(self, how: str) -> rx.event.EventSpec:
        self.busy, self.error = True, ""
        return idv(how, self._token, self.side, self.doc_type, self.country, callback=CaptureDocumentState.document_done)

    @rx.event
    def take_photo(self):
        if self.busy:  # the automatic capture and a press at once: one photo
            return
        return self._send("captureDocument")

    @rx.event
    def upload(self):
        return self._send("uploadDocument")

    @rx.event
    async def document_done(self, result: str):
        self.busy = False
        res = json.loads(result) if isinstance(result, str) and result else {}
        if res.get("code") == "IN_PROGRESS":  # a photo already on its way answers for this press too
            return
        if not res.get("ok"):
            self.error = res.get("message") or self.t.get("ERROR", "")
            return
        self.error = ""
        if res.get("needs_back"):
            self.side = "BACK"
            if self.camera_state == "ok":
                return idv("startDocument", self._token)
            return
        self._needs_document, self.side = False, "FRONT"
        if self._needs_liveness:
            if self.camera_state != "ok":
                self.step = "camera"
                return
            self.step = "liveness"
            return idv("previewSelfie")  # the person sees themselves before "I'm ready"
        return await self._finish()
