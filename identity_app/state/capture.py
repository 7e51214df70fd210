"""State of the end user's capture flow at /s/[token]: what every step shares, and its end.

Steps: welcome (consent) -> camera check -> document (front, back) -> liveness (attempts) -> checking
-> done; `closed` for links that cannot be used. Opening the link, consent and the camera check
(capture_start.py), the document (capture_document.py) and liveness (capture_liveness.py) keep their
own vars and events in substates of this state. The camera work lives in assets/capture.js; images
go to the capture API over HTTP, results come back as call_script callbacks. The link is the
credential: use cases go through the doorway as a caller without a sign-in. The link token stays
backend-only (`_token`); the page has it in its URL.
"""
from __future__ import annotations

import asyncio
import json
from typing import Callable, TypeVar

import reflex as rx

from identity_app import i18n
from identity_app.services import doorway
from identity_app.services.capture import flow as capture
from identity_app.services.capture.flow import CaptureRefused, CaptureView, LinkStatus
from identity_app.services.doorway import Caller, Work

T = TypeVar("T")


def idv(call: str, *args: str, callback=None) -> rx.event.EventSpec:
    """Run `idvCapture.<call>(args)` once assets/capture.js has loaded (it loads asynchronously)."""
    call = f"{call}({', '.join(json.dumps(a) for a in args)})"
    return rx.call_script("new Promise((resolve) => { const go = () => resolve(window.idvCapture." + call + ");"
                          " if (window.idvCapture) { go(); return; }"
                          " const timer = setInterval(() => { if (window.idvCapture) { clearInterval(timer); go(); } },"
                          " 50); })", callback=callback)


class CaptureState(rx.State):
    step: str = "loading"
    t: dict[str, str] = {}
    page_title: str = i18n.EN["page_title"]  # the document's title, in the link's language (add_page's title)
    app_name: str = ""
    primary_colour: str = "#2563eb"
    secondary_colour: str = "#0f172a"
    logo_url: str = ""
    under_review: bool = False  # a person reviews part of it: the page says so, and that it may be closed
    error: str = ""
    busy: bool = False
    camera_state: str = "checking"  # checking, ok, denied, absent, insecure
    _token: str = ""
    _success_url: str = ""
    _needs_document: bool = True
    _needs_liveness: bool = True

    async def _run(self, use_case: Callable[[Work], T]) -> T:
        """One use case through the doorway, off the event loop."""
        caller = Caller(ip=self.router.session.client_ip or "", user_agent=self.router.headers.user_agent or "")
        return await doorway.run_async(use_case, caller)

    async def _show(self, view: CaptureView) -> None:
        """What the link's view says, here and in each step's substate (its `_take`)."""
        self.t = {k: v.replace("{app}", view.application_name) for k, v in i18n.texts(view.locale).items()}
        self.page_title = self.t["page_title"]
        self.app_name, self.primary_colour = view.application_name, view.primary_colour
        self.secondary_colour, self.logo_url = view.secondary_colour, view.logo_url
        self.under_review = view.under_review
        self._success_url = view.success_url
        self._needs_document = view.document_enabled and not view.document_captured
        self._needs_liveness = view.liveness_enabled and not view.liveness_passed and view.attempts_left > 0
        for part in CaptureState.get_substates():
            (await self.get_state(part))._take(view)  # type: ignore[attr-defined]

    def _html_lang(self) -> rx.event.EventSpec:
        """The page's <html lang> in the link's language (the pages are built once, in English)."""
        return rx.call_script(f"document.documentElement.lang = {json.dumps(self.t.get('lang', 'en'))}")

    async def _finish(self) -> list:
        """Close the capture (the worker runs the checks once it commits), then wait for the result."""
        token = self._token
        try:
            await self._run(lambda w: capture.finish_capture(w.db, token=token, ip=w.ip))
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
            view = await doorway.run_async(lambda w: capture.status(w.db, token=token))
            async with self:
                self.under_review = view.under_review
            if view.status in (LinkStatus.DONE, LinkStatus.CLOSED):
                async with self:
                    self.step = "done" if view.status == LinkStatus.DONE else "closed"
                    if view.status == LinkStatus.DONE and self._success_url:
                        return rx.redirect(self._success_url)
                return
            await asyncio.sleep(2)
