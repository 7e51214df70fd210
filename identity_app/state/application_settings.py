"""An application's settings tab: details, logo, requested checks, preferences, activation.

The page shows the service's `ApplicationSettings` as it is (`settings`); every change
returns it anew, and the forms are drawn again from it (`form_key`)."""
from __future__ import annotations

import time
from typing import Callable

import reflex as rx

from identity_app import routes
from identity_app.services.applications import registry as applications, settings as app_settings
from identity_app.services.applications.checks_config import DOCUMENT_TYPES
from identity_app.services.applications.settings import ApplicationSettings, Preferences
from identity_app.services.doorway import Work
from identity_app.state.base import ConsoleState, PageFeedback
from identity_app.services.console_words import LANGUAGE_NAMES


def _checks(form: dict, liveness_type: str) -> dict:
    """The requested checks as the form posts them (the service validates them)."""
    def as_int(key: str, default: int) -> int:
        try:
            return int(form.get(key) or default)
        except ValueError:
            return -1  # refused by the validation with a clear message

    return {
        "document_authenticity": {
            "enabled": bool(form.get("doc_enabled")),
            "accepted_types": [t for t in DOCUMENT_TYPES if form.get(f"type_{t}")],
            "country_mode": form.get("country_mode", "ALLOW_ALL"),
            "countries": [c for c in (form.get("countries") or "").replace(";", ",").replace(" ", ",").split(",")
                          if c.strip()],
            "accept_expired": bool(form.get("accept_expired")),
            "document_count": as_int("document_count", 1),
            "capture_method": form.get("capture_method", "CAMERA_AND_UPLOAD"),
        },
        "liveness": {"enabled": bool(form.get("liveness_enabled")), "liveness_type": liveness_type,
                     "max_retries": as_int("max_retries", 3)},
        "face_match": {"enabled": bool(form.get("face_enabled")), "manual_check": form.get("face_manual", "")},
        "text_extraction": {"enabled": bool(form.get("text_enabled")), "manual_check": form.get("text_manual", "")},
    }


class AppSettingsState(PageFeedback, ConsoleState):
    app_id_value: int = 0
    can_manage: bool = False
    settings: ApplicationSettings | None = None
    logo_url: str = ""
    locales: list[list[str]] = []  # [code, name in that language]
    form_key: int = 0  # bumped at each showing, so the forms show the saved values

    def _show(self, s: ApplicationSettings) -> None:
        self.settings = s
        self.logo_url = f"{routes.application_logo_path(s.id)}?v={int(time.time())}" if s.has_logo else ""
        self.form_key += 1

    async def _change(self, change: Callable[[Work, int], ApplicationSettings], notice: str, at: str) -> None:
        """One change (the id read now, on the event loop), then what it left; messages beside control `at`."""
        app_id = self.app_id_value
        done = await self._call(lambda w: change(w, app_id), notice, at)
        if done.ok:
            self._show(done.value)

    @rx.event
    async def load(self):
        self.app_id_value, self.notice = self._route_id("app_id"), ""
        self.locales = [[c, LANGUAGE_NAMES.get(c, c)] for c in app_settings.supported_locales()]
        app_id = self.app_id_value
        done = await self._call(lambda w: (applications.get_application(w.db, actor=w.operator, application_id=app_id),
                                           app_settings.get_settings(w.db, actor=w.operator, application_id=app_id)))
        self.can_manage = done.ok and "MANAGE_APPLICATION" in done.value[0].permissions
        if done.ok:
            self._show(done.value[1])
        else:
            self.settings = None

    @rx.event
    async def save_details(self, form: dict):
        name, description = form.get("name", ""), form.get("description", "")
        await self._change(lambda w, app: app_settings.update_details(
            w.db, actor=w.operator, application_id=app, name=name, description=description, ip=w.ip), "Details saved.", "details")

    @rx.event
    async def save_checks(self, form: dict):
        checks = _checks(form, self.settings.checks.liveness.liveness_type if self.settings else "ACTIVE")
        await self._change(lambda w, app: app_settings.update_checks(
            w.db, actor=w.operator, application_id=app, checks=checks, ip=w.ip),
            "Checks saved: they apply to sessions created from now on.", "checks")

    @rx.event
    async def save_preferences(self, form: dict):
        prefs = Preferences(**{f: form.get(f, getattr(Preferences(), f)) for f in Preferences.__dataclass_fields__})
        await self._change(lambda w, app: app_settings.update_preferences(
            w.db, actor=w.operator, application_id=app, preferences=prefs, ip=w.ip),
            "Preferences saved: they apply to sessions created from now on.", "prefs")

    @rx.event
    async def set_active(self, active: bool):
        await self._change(lambda w, app: app_settings.set_active(
            w.db, actor=w.operator, application_id=app, active=active, ip=w.ip),
            "Application activated." if active else "Application deactivated: no new sessions can be created.",
            "status")

    @rx.event
    async def upload_logo(self, files: list[rx.UploadFile]):
        if not files:
            self.error, self.notice, self.feedback_at = "Choose an image first.", "", "logo"
            return
        data = await files[0].read(app_settings.MAX_LOGO_BYTES + 1)
        await self._change(lambda w, app: app_settings.upload_logo(  # decoded in the image pool, off the loop
            w.db, w.store, actor=w.operator, application_id=app, data=data, ip=w.ip), "Logo saved.", "logo")
        return rx.clear_selected_files("logo_upload")

    @rx.event
    async def remove_logo(self):
        await self._change(lambda w, app: app_settings.remove_logo(
            w.db, w.store, actor=w.operator, application_id=app, ip=w.ip), "Logo removed.", "logo")
