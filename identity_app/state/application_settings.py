"""An application's settings tab: details, logo, requested checks, preferences, activation."""
from __future__ import annotations

import asyncio
import time

import reflex as rx

from identity_app import routes
from identity_app.db import session_scope
from identity_app.services import app_settings
from identity_app.services.app_config import DOCUMENT_TYPES
from identity_app.services.app_settings import ApplicationSettings, Preferences
from identity_app.services.errors import DomainError
from identity_app.state.base import ConsoleState
from identity_app.storage import get_media_store


class AppSettingsState(ConsoleState):
    app_id_value: int = 0
    can_manage: bool = False
    form_key: int = 0  # bumped after each load so the forms show the saved values
    error: str = ""
    notice: str = ""
    name: str = ""
    description: str = ""
    is_active: bool = True
    has_logo: bool = False
    logo_url: str = ""
    locales: list[str] = []
    # Requested checks
    doc_enabled: bool = True
    accepted_types: list[str] = []
    country_mode: str = "ALLOW_ALL"
    countries: str = ""
    accept_expired: bool = False
    document_count: int = 1
    capture_method: str = "CAMERA_AND_UPLOAD"
    liveness_enabled: bool = True
    liveness_type: str = "ACTIVE"
    max_retries: int = 3
    face_enabled: bool = True
    face_manual: str = "FALLBACK"
    text_enabled: bool = True
    text_manual: str = "FALLBACK"
    # Preferences
    primary_colour: str = ""
    secondary_colour: str = ""
    locale: str = "en"
    success_url: str = ""
    error_url: str = ""
    privacy_policy_url: str = ""
    session_lifetime_days: int = 7
    media_retention_days: int = 90
    reminder_count: int = 0
    reminder_interval_days: int = 2

    def _show(self, s: ApplicationSettings) -> None:
        d, c, p = s.checks.document_authenticity, s.checks, s.preferences
        self.name, self.description, self.is_active, self.has_logo = s.name, s.description, s.is_active, s.has_logo
        self.logo_url = f"{routes.application_logo_path(s.id)}?v={int(time.time())}" if s.has_logo else ""
        self.doc_enabled, self.accepted_types, self.country_mode = d.enabled, list(d.accepted_types), d.country_mode
        self.countries, self.accept_expired, self.document_count = ", ".join(d.countries), d.accept_expired, d.document_count
        self.capture_method = d.capture_method
        self.liveness_enabled, self.liveness_type, self.max_retries = (c.liveness.enabled, c.liveness.liveness_type,
                                                                      c.liveness.max_retries)
        self.face_enabled, self.face_manual = c.face_match.enabled, c.face_match.manual_check
        self.text_enabled, self.text_manual = c.text_extraction.enabled, c.text_extraction.manual_check
        for field, value in p.__dict__.items():
            setattr(self, field, value)
        self.form_key += 1

    def _app_id(self) -> int:
        return self._route_id("app_id")

    def _run(self, action, done: str):
        """Check the operator, run one service call, show its result or its error."""
        op = self._current_operator()
        if op is None:
            return ConsoleState.require_operator
        try:
            with session_scope() as db:
                self._show(action(db, op))
        except DomainError as exc:
            self.error, self.notice = str(exc), ""
            return
        self.error, self.notice = "", done

    @rx.event
    def load(self):
        self.app_id_value = self._app_id()
        self.error = self.notice = ""
        self.locales = list(app_settings.supported_locales())
        op = self._current_operator()
        if op is None:
            return ConsoleState.require_operator
        from identity_app.services import applications

        try:
            with session_scope() as db:
                app = applications.get_application(db, actor=op, application_id=self.app_id_value)
        except DomainError as exc:
            self.error, self.can_manage, self.name = str(exc), False, ""
            return
        self.can_manage = "MANAGE_APPLICATION" in app.permissions
        return self._run(lambda db, op: app_settings.get_settings(db, actor=op, application_id=self.app_id_value), "")

    @rx.event
    def save_details(self, form: dict):
        return self._run(lambda db, op: app_settings.update_details(
            db, actor=op, application_id=self.app_id_value, name=form.get("name", ""),
            description=form.get("description", ""), ip=self.client_ip), "Details saved.")

    @rx.event
    def save_checks(self, form: dict):
        def as_int(key: str, default: int) -> int:
            try:
                return int(form.get(key) or default)
            except ValueError:
                return -1  # refused by the validation with a clear message

        checks = {
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
            "liveness": {"enabled": bool(form.get("liveness_enabled")), "liveness_type": self.liveness_type,
                         "max_retries": as_int("max_retries", 3)},
            "face_match": {"enabled": bool(form.get("face_enabled")), "manual_check": form.get("face_manual", "")},
            "text_extraction": {"enabled": bool(form.get("text_enabled")), "manual_check": form.get("text_manual", "")},
        }
        return self._run(lambda db, op: app_settings.update_checks(
            db, actor=op, application_id=self.app_id_value, checks=checks, ip=self.client_ip),
            "Checks saved: they apply to sessions created from now on.")

    @rx.event
    def save_preferences(self, form: dict):
        prefs = Preferences(**{f: form.get(f, getattr(Preferences(), f)) for f in Preferences.__dataclass_fields__})
        return self._run(lambda db, op: app_settings.update_preferences(
            db, actor=op, application_id=self.app_id_value, preferences=prefs, ip=self.client_ip),
            "Preferences saved: they apply to sessions created from now on.")

    @rx.event
    def set_active(self, active: bool):
        return self._run(lambda db, op: app_settings.set_active(
            db, actor=op, application_id=self.app_id_value, active=active, ip=self.client_ip),
            "Application activated." if active else "Application deactivated: no new sessions can be created.")

    @rx.event
    async def upload_logo(self, files: list[rx.UploadFile]):
        if not files:
            self.error = "Choose an image first."
            return
        data = await files[0].read(app_settings.MAX_LOGO_BYTES + 1)
        op = self._current_operator()
        if op is None:
            return ConsoleState.require_operator
        app_id, ip = self.app_id_value, self.client_ip

        def save() -> ApplicationSettings:  # decoding waits for the image pool: off the event loop
            with session_scope() as db:
                return app_settings.upload_logo(db, get_media_store(), actor=op, application_id=app_id, data=data,
                                                ip=ip)

        try:
            self._show(await asyncio.to_thread(save))
            self.error, self.notice = "", "Logo saved."
        except DomainError as exc:
            self.error, self.notice = str(exc), ""
        return rx.clear_selected_files("logo_upload")

    @rx.event
    def remove_logo(self):
        return self._run(lambda db, op: app_settings.remove_logo(
            db, get_media_store(), actor=op, application_id=self.app_id_value, ip=self.client_ip), "Logo removed.")
