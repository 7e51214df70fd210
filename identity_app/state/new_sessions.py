"""The sessions list's other part: creating sessions, one from the form (its link, copy, QR code,
email) or many from a CSV file (their links emailed at once, or afterwards). Each creation is one
unit of work with the list it joins, and speaks through the list page's messages
(SessionsListState), shown beside the control that caused them ("created", "bulk")."""
from __future__ import annotations

import reflex as rx

from identity_app.services.sessions import bulk as bulk_sessions, links as sessions
from identity_app.services.sessions.bulk import RowError
from identity_app.services.sessions.links import SessionLink
from identity_app.state.base import ConsoleState
from identity_app.state.sessions_list import SessionsListState


def _plural(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def _emailed(n: int, transport: str) -> str:
    links = "The link was" if n == 1 else f"The {n} links were"
    return (f"{links} emailed." if transport == "smtp" else
            f"No email server is configured: {links[0].lower() + links[1:]} written to the outbox.")


class NewSessionsState(ConsoleState):
    created: SessionLink | None = None  # the session just created: its link is for its creator only
    bulk_errors: list[RowError] = []
    bulk_message: str = ""
    bulk_email: bool = False       # email each created session its link at once
    bulk_unsent: list[int] = []    # the batch just created, not emailed yet

    @rx.event
    def load(self):
        self.created, self.bulk_errors, self.bulk_message, self.bulk_unsent = None, [], "", []

    @rx.event
    async def create(self, form: dict):
        page = await self.get_state(SessionsListState)
        app_id, person = page.app_id_value, {k: form.get(k, "") for k in ("user_name", "user_email", "reference")}
        done = await page._list(lambda w: sessions.get_link(w.db, actor=w.operator, session_id=sessions.create_session(
            w.db, actor=w.operator, application_id=app_id, ip=w.ip, **person).id), notice="", at="create")
        if done.ok:
            self.created, page.feedback_at = done.value, "created"
            return NewSessionsState.send_email if form.get("send_email") else None

    @rx.event
    async def send_email(self):
        session_id = self.created.session_id if self.created else 0
        page = await self.get_state(SessionsListState)
        done = await page._call(lambda w: sessions.send_link_email(w.db, actor=w.operator, session_id=session_id,
                                                                   ip=w.ip), at="created")
        if done.ok:
            page.notice = _emailed(1, done.value)

    @rx.event
    def close_new(self):
        self.created = None

    @rx.event
    def set_bulk_email(self, value: bool):
        self.bulk_email = bool(value)

    @rx.event
    async def upload_bulk(self, files: list[rx.UploadFile]):
        self.bulk_errors, self.bulk_message, self.bulk_unsent = [], "", []
        if not files:
            self.bulk_message = "Choose a CSV file first."
            return
        data, page = await files[0].read(bulk_sessions.MAX_BYTES + 1), await self.get_state(SessionsListState)
        app_id, email = page.app_id_value, self.bulk_email
        done = await page._list(lambda w: bulk_sessions.create_from_csv(w.db, actor=w.operator, application_id=app_id,
                                                                        data=data, ip=w.ip, email=email), at="bulk")
        if done.ok:
            result = done.value
            self.bulk_errors = list(result.errors)
            self.bulk_unsent = [] if result.emailed else [c.id for c in result.created]
            n = len(self.bulk_errors)
            self.bulk_message = _plural(len(result.created), "session", "sessions") + " created" + (
                f"; {_plural(n, 'row was', 'rows were')} not valid and created nothing:" if n else ".") + (
                " " + _emailed(result.emailed, result.transport) if result.emailed else "")
        else:  # the file's own problem is told beside it, like its rows' problems
            self.bulk_message, page.error = page.error, ""
        return rx.clear_selected_files("bulk_csv")

    @rx.event
    async def email_batch(self):
        """Email the links of the batch just created (each session still open)."""
        ids, page = list(self.bulk_unsent), await self.get_state(SessionsListState)
        done = await page._call(lambda w: bulk_sessions.email_links(w.db, actor=w.operator, session_ids=ids,
                                                                    ip=w.ip), at="bulk")
        if done.ok:
            self.bulk_unsent = []
            page.notice = _emailed(*done.value)
