"""The sessions list's other part: creating sessions, one from the form (its link, copy, QR code,
email) or many from a CSV file. Each creation is one unit of work with the list it joins, and
speaks through the list page's messages (SessionsListState)."""
from __future__ import annotations

import reflex as rx

from identity_app.services.sessions import bulk as bulk_sessions, links as sessions
from identity_app.services.sessions.bulk import RowError
from identity_app.services.sessions.links import SessionLink
from identity_app.state.base import ConsoleState
from identity_app.state.sessions_list import SessionsListState


class NewSessionsState(ConsoleState):
    created: SessionLink | None = None  # the session just created: its link is for its creator only
    bulk_errors: list[RowError] = []
    bulk_message: str = ""

    @rx.event
    def load(self):
        self.created, self.bulk_errors, self.bulk_message = None, [], ""

    @rx.event
    async def create(self, form: dict):
        page = await self.get_state(SessionsListState)
        app_id, person = page.app_id_value, {k: form.get(k, "") for k in ("user_name", "user_email", "reference")}
        done = await page._list(lambda w: sessions.get_link(w.db, actor=w.operator, session_id=sessions.create_session(
            w.db, actor=w.operator, application_id=app_id, ip=w.ip, **person).id), notice="")
        if done.ok:
            self.created = done.value
            return NewSessionsState.send_email if form.get("send_email") else None

    @rx.event
    def copy_link(self):
        return [rx.set_clipboard(self.created.link), rx.toast("Link copied")] if self.created else None

    @rx.event
    async def send_email(self):
        session_id = self.created.session_id if self.created else 0
        page = await self.get_state(SessionsListState)
        done = await page._call(lambda w: sessions.send_link_email(w.db, actor=w.operator, session_id=session_id,
                                                                   ip=w.ip))
        if done.ok:
            page.notice = ("Link emailed." if done.value == "smtp" else
                           "No email server is configured: the email was written to the outbox.")

    @rx.event
    def close_new(self):
        self.created = None

    @rx.event
    async def upload_bulk(self, files: list[rx.UploadFile]):
        self.bulk_errors, self.bulk_message = [], ""
        if not files:
            self.bulk_message = "Choose a CSV file first."
            return
        data, page = await files[0].read(bulk_sessions.MAX_BYTES + 1), await self.get_state(SessionsListState)
        app_id = page.app_id_value
        done = await page._list(lambda w: bulk_sessions.create_from_csv(w.db, actor=w.operator, application_id=app_id,
                                                                        data=data, ip=w.ip))
        if done.ok:
            self.bulk_errors = list(done.value.errors)
            self.bulk_message = f"{len(done.value.created)} sessions created" + (
                f"; {len(self.bulk_errors)} rows were not valid and created nothing:" if self.bulk_errors else ".")
        else:  # the file's own problem is told beside it, like its rows' problems
            self.bulk_message, page.error = page.error, ""
        return rx.clear_selected_files("bulk_csv")
