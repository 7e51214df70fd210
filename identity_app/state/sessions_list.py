"""The sessions list of an application (its main page): search, filters, pages,
create one session (link, copy, QR code, email), bulk CSV, CSV export link."""
from __future__ import annotations

import asyncio

import dataclasses
from datetime import date
from urllib.parse import urlencode

import reflex as rx

from identity_app import routes
from identity_app.db import session_scope
from identity_app.services import applications, bulk_sessions, sessions
from identity_app.services.errors import DomainError, ValidationError
from identity_app.services.session_search import SearchQuery, search_sessions
from identity_app.state.base import ConsoleState

PAGE_SIZE = 25


@dataclasses.dataclass
class SessionListRow:
    id: int
    user_name: str
    user_email: str
    reference: str
    state: str
    state_label: str
    decision: str
    created: str
    url: str


@dataclasses.dataclass
class BulkErrorRow:
    line: int
    reason: str


def _day(value: str) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        raise ValidationError(f"'{value}' is not a date.") from None


class SessionsListState(ConsoleState):
    app_id_value: int = 0
    application_name: str = ""
    is_active: bool = True
    can_create: bool = False
    rows: list[SessionListRow] = []
    total: int = 0
    page: int = 1
    pages: int = 1
    q: str = ""
    state_filter: str = ""
    decision_filter: str = ""
    date_from: str = ""
    date_to: str = ""
    sort: str = "created"
    direction: str = "desc"
    error: str = ""
    notice: str = ""
    # The session just created (its link is a capability: shown to the creator only).
    new_session_id: int = 0
    new_person: str = ""
    new_link: str = ""
    new_qr: str = ""
    bulk_created: int = 0
    bulk_errors: list[BulkErrorRow] = []
    bulk_message: str = ""

    @rx.var
    def export_url(self) -> str:
        params = {k: v for k, v in (("q", self.q), ("state", self.state_filter), ("decision", self.decision_filter),
                                    ("from", self.date_from), ("to", self.date_to), ("sort", self.sort),
                                    ("dir", self.direction)) if v}
        return routes.sessions_csv_path(self.app_id_value, urlencode(params))

    def _param_app_id(self) -> int:
        return self._route_id("app_id")

    def _search(self):
        op = self._current_operator()
        if op is None:
            return ConsoleState.require_operator
        try:
            query = SearchQuery(text=self.q, states=(self.state_filter,) if self.state_filter else (),
                                decision=self.decision_filter, created_from=_day(self.date_from),
                                created_to=_day(self.date_to), sort=self.sort, descending=self.direction != "asc",
                                page=self.page, page_size=PAGE_SIZE)
            with session_scope() as db:
                result = search_sessions(db, actor=op, application_id=self.app_id_value, query=query)
        except DomainError as exc:
            self.error = str(exc)
            return
        self.error = ""
        self.total, self.pages = result.total, result.pages
        self.rows = [SessionListRow(id=r.id, user_name=r.user_name, user_email=r.user_email, reference=r.reference,
                                    state=r.state, state_label=r.state_label, decision=r.decision,
                                    created=r.created_at.strftime("%Y-%m-%d %H:%M"),
                                    url=routes.session_detail_path(self.app_id_value, r.id)) for r in result.rows]

    @rx.event
    def load(self):
        op = self._current_operator()
        if op is None:
            return ConsoleState.require_operator
        self.app_id_value = self._param_app_id()
        self.page, self.notice, self.new_link, self.new_qr, self.new_session_id = 1, "", "", "", 0
        self.bulk_errors, self.bulk_message, self.bulk_created = [], "", 0
        try:
            with session_scope() as db:
                app = applications.get_application(db, actor=op, application_id=self.app_id_value)
        except DomainError as exc:
            self.error, self.rows, self.application_name, self.can_create = str(exc), [], "", False
            return
        self.application_name, self.is_active = app.name, app.is_active
        self.can_create = "CREATE_SESSIONS" in app.permissions
        return self._search()

    @rx.event
    def set_q(self, value: str):
        self.q = value[:200]

    @rx.event
    def apply_filters(self, form: dict):
        """The search box applies on Enter / Search; the other filters apply as they change."""
        self.q = (form.get("q", self.q) or "").strip()[:200]
        self.page = 1
        return self._search()

    @rx.event
    def set_filter(self, name: str, value: str):
        if name in ("state_filter", "decision_filter", "date_from", "date_to"):
            setattr(self, name, value or "")
            self.page = 1
            return self._search()

    @rx.event
    def clear_filters(self):
        self.q = self.state_filter = self.decision_filter = self.date_from = self.date_to = ""
        self.page = 1
        return self._search()

    @rx.event
    def set_sort(self, value: str):
        self.sort, self.page = value, 1
        return self._search()

    @rx.event
    def toggle_direction(self):
        self.direction, self.page = ("asc" if self.direction == "desc" else "desc"), 1
        return self._search()

    @rx.event
    def go_page(self, delta: int):
        self.page = min(max(1, self.page + delta), self.pages)
        return self._search()

    @rx.event
    def create(self, form: dict):
        op = self._current_operator()
        if op is None:
            return ConsoleState.require_operator
        try:
            with session_scope() as db:
                created = sessions.create_session(db, actor=op, application_id=self.app_id_value,
                                                  user_name=form.get("user_name", ""),
                                                  user_email=form.get("user_email", ""),
                                                  reference=form.get("reference", ""), ip=self.client_ip)
            with session_scope() as db:
                link = sessions.get_link(db, actor=op, session_id=created.id)
        except DomainError as exc:
            self.error, self.notice = str(exc), ""
            return
        self.new_session_id, self.new_person = created.id, f"{link.user_name} <{link.user_email}>"
        self.new_link, self.new_qr = link.link, link.qr_svg_data_uri
        self.notice, self.page = "", 1
        if form.get("send_email"):
            return [SessionsListState.send_email, SessionsListState.refresh]
        return SessionsListState.refresh

    @rx.event
    def refresh(self):
        return self._search()

    @rx.event
    def copy_link(self):
        return [rx.set_clipboard(self.new_link), rx.toast("Link copied")]

    @rx.event
    def send_email(self):
        op = self._current_operator()
        if op is None:
            return ConsoleState.require_operator
        try:
            with session_scope() as db:
                transport = sessions.send_link_email(db, actor=op, session_id=self.new_session_id, ip=self.client_ip)
        except DomainError as exc:
            self.error = str(exc)
            return
        self.error = ""
        self.notice = ("Link emailed." if transport == "smtp" else
                       "No email server is configured: the email was written to the outbox.")

    @rx.event
    def close_new(self):
        self.new_session_id, self.new_link, self.new_qr, self.new_person = 0, "", "", ""

    @rx.event
    async def upload_bulk(self, files: list[rx.UploadFile]):
        op = self._current_operator()
        if op is None:
            return ConsoleState.require_operator
        self.bulk_errors, self.bulk_created, self.bulk_message = [], 0, ""
        if not files:
            self.bulk_message = "Choose a CSV file first."
            return
        data = await files[0].read(bulk_sessions.MAX_BYTES + 1)
        app_id, ip = self.app_id_value, self.client_ip

        def create():  # up to thousands of rows: off the event loop
            with session_scope() as db:
                return bulk_sessions.create_from_csv(db, actor=op, application_id=app_id, data=data, ip=ip)

        try:
            result = await asyncio.to_thread(create)
        except DomainError as exc:
            self.bulk_message = str(exc)
            return rx.clear_selected_files("bulk_csv")
        self.bulk_created = len(result.created)
        self.bulk_errors = [BulkErrorRow(line=e.line, reason=e.reason) for e in result.errors]
        self.bulk_message = (f"{len(result.created)} sessions created"
                             + (f"; {len(result.errors)} rows were not valid and created nothing:"
                                if result.errors else "."))
        self.page = 1
        return [rx.clear_selected_files("bulk_csv"), SessionsListState.refresh]
