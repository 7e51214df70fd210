"""One session's detail page: report cards, fields, media viewer, decision, deletion.

Media bytes never pass through this state: the page shows <img> tags that the
authenticated /api/media route serves. Only ids, kinds and sizes live here.
"""
from __future__ import annotations

import asyncio
import dataclasses
from datetime import datetime

import reflex as rx

from identity_app import routes
from identity_app.db import session_scope
from identity_app.services import decisions, deletion, traces
from identity_app.services.errors import DomainError
from identity_app.services.session_detail import SessionDetail, get_session_detail
from identity_app.web import state_store as store
from identity_app.state.base import SessionState
from identity_app.storage import StorageError, get_media_store


@dataclasses.dataclass
class DetailRow:
    name: str
    value: str


@dataclasses.dataclass
class SubCheckRow:
    sub_check: str
    result: str
    process: str
    details: list[DetailRow]


@dataclasses.dataclass
class CheckRow:
    id: int
    label: str
    attempt: int
    state: str
    recommendation: str
    reason: str
    recovery_suggestion: str
    process: str
    manual_check: str
    review_state: str
    reviewed: str  # "PASS by ... at ..." once a person reviewed it
    review_reason: str
    breakdown: list[SubCheckRow]


@dataclasses.dataclass
class MediaRow:
    id: int
    kind: str
    size: str
    url: str


@dataclasses.dataclass
class DecisionRow:
    value: str
    note: str
    by: str
    at: str


def fmt(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M UTC") if value else ""


def size_label(n: int) -> str:
    return f"{n / 1024:.0f} KB" if n < 1024 * 1024 else f"{n / 1024 / 1024:.1f} MB"


class SessionDetailState(SessionState):
    error: str = ""
    notice: str = ""
    found: bool = False
    app_id_value: int = 0
    session_id_value: int = 0
    user_name: str = ""
    user_email: str = ""
    reference: str = ""
    state_label: str = ""
    link: str = ""
    created: str = ""
    expires: str = ""
    completed: str = ""
    checks: list[CheckRow] = []
    fields: list[DetailRow] = []
    media: list[MediaRow] = []
    decisions: list[DecisionRow] = []
    can_decide: bool = False
    can_delete_media: bool = False
    can_delete_session: bool = False
    # Media viewer (CSS transform and filter on the <img>).
    viewer_media_id: int = 0
    zoom: float = 1.0
    rotation: int = 0
    brightness: int = 100

    def _ids(self) -> tuple[int, int]:
        return self._route_id("app_id"), self._route_id("session_id")

    def _show(self, d: SessionDetail) -> None:
        self.found = True
        self.user_name, self.user_email, self.reference = d.user_name, d.user_email, d.reference
        self.state_label, self.link = d.state_label, d.link
        self.created = f"{fmt(d.created_at)} by {d.created_by}"
        self.expires, self.completed = fmt(d.expires_at), fmt(d.completed_at)
        self.checks = [CheckRow(
            id=c.id, label=c.label, attempt=c.attempt, state=c.state, recommendation=c.recommendation or "PENDING",
            reason=c.reason, recovery_suggestion=c.recovery_suggestion, process=c.process,
            manual_check=c.manual_check, review_state=c.review_state,
            reviewed=f"{c.review_result} by {c.reviewed_by} at {fmt(c.reviewed_at)}" if c.reviewed_at else "",
            review_reason=c.review_reason,
            breakdown=[SubCheckRow(s.sub_check, s.result, s.process, [DetailRow(x.name, x.value) for x in s.details])
                       for s in c.breakdown],
        ) for c in d.checks]
        self.fields = [DetailRow(f.name, f.value) for f in d.document_fields]
        self.media = [MediaRow(m.id, m.kind, size_label(m.size), routes.media_path(m.id)) for m in d.media]
        self.decisions = [DecisionRow(x.value, x.note, x.decided_by, fmt(x.decided_at)) for x in d.decisions]
        self.can_decide = "DECIDE" in d.permissions and d.state == "COMPLETED"
        self.can_delete_media = "DELETE_MEDIA" in d.permissions
        self.can_delete_session = "DELETE_SESSIONS" in d.permissions
        if self.viewer_media_id not in {m.id for m in d.media}:
            self.viewer_media_id = d.media[0].id if d.media else 0

    def _refresh(self, audit_view: bool = False):
        op = self._current_operator()
        if op is None:
            return SessionState.require_operator
        app_id, session_id = self._ids()
        self.app_id_value, self.session_id_value = app_id, session_id
        try:
            with session_scope() as db:
                d = get_session_detail(db, actor=op, session_id=session_id, ip=self.client_ip,
                                       audit_view=audit_view)
            if d.application_id != app_id:
                raise DomainError("That session does not exist.")
        except DomainError as exc:
            self.found, self.error = False, str(exc)
            return
        self._show(d)

    @rx.event
    def load(self):
        self.error = self.notice = ""
        self.zoom, self.rotation, self.brightness = 1.0, 0, 100
        return self._refresh(audit_view=True)

    async def _act(self, action, notice: str):
        """One service call, its database and storage work off the event loop (a deletion also
        truncates SQLite's log), then the page again."""
        op = self._current_operator()
        if op is None:
            return SessionState.require_operator

        def run() -> None:
            with session_scope() as db:
                action(db, op)

        try:
            await asyncio.to_thread(run)
        except (DomainError, StorageError) as exc:
            self.error, self.notice = str(exc), ""
            return
        self.error, self.notice = "", notice
        return self._refresh()

    @rx.event
    async def decide(self, form: dict):
        session_id, ip = self.session_id_value, self.client_ip
        return await self._act(lambda db, op: decisions.decide(
            db, actor=op, session_id=session_id, value=form.get("value", ""), note=form.get("note", ""), ip=ip),
            "Decision saved.")

    @rx.event
    async def delete_media(self, media_id: int):
        ip = self.client_ip
        return await self._act(lambda db, op: deletion.delete_media_item(
            db, get_media_store(), actor=op, media_id=media_id, ip=ip), "Media item deleted.")

    @rx.event
    async def delete_all_media(self):
        session_id, ip = self.session_id_value, self.client_ip
        return await self._act(lambda db, op: deletion.delete_session_media(
            db, get_media_store(), actor=op, session_id=session_id, ip=ip), "All media of this session were deleted.")

    @rx.event
    async def delete_session(self, form: dict):
        op = self._current_operator()
        if op is None:
            return SessionState.require_operator
        session_id, ip, confirmation = self.session_id_value, self.client_ip, form.get("confirmation", "")

        def delete() -> tuple[str, ...]:
            with session_scope() as db:
                found = traces.of_session(db, session_id)
                deletion.delete_session(db, get_media_store(), actor=op, session_id=session_id,
                                        confirmation=confirmation, ip=ip)
            return found

        try:
            found = await asyncio.to_thread(delete)
        except (DomainError, StorageError) as exc:
            self.error = str(exc)
            return
        self.found, self.checks, self.media, self.fields, self.decisions = False, [], [], [], []
        self.user_name = self.user_email = self.reference = self.link = ""
        await store.forget(found)  # every UI state still showing this person, this one included
        return rx.redirect(routes.application_path(self.app_id_value))

    # --- media viewer ---------------------------------------------------------
    @rx.event
    def show_media(self, media_id: int):
        self.viewer_media_id = media_id
        self.zoom, self.rotation, self.brightness = 1.0, 0, 100

    @rx.event
    def zoom_by(self, factor: float):
        self.zoom = min(4.0, max(0.25, round(self.zoom * factor, 3)))

    @rx.event
    def rotate(self):
        self.rotation = (self.rotation + 90) % 360

    @rx.event
    def brighten(self, delta: int):
        self.brightness = min(300, max(20, self.brightness + delta))

    @rx.event
    def reset_view(self):
        self.zoom, self.rotation, self.brightness = 1.0, 0, 100

    @rx.var
    def viewer_url(self) -> str:
        return routes.media_path(self.viewer_media_id) if self.viewer_media_id else ""

    @rx.var
    def viewer_style(self) -> str:
        return f"scale({self.zoom}) rotate({self.rotation}deg)"

    @rx.var
    def viewer_filter(self) -> str:
        return f"brightness({self.brightness}%)"
