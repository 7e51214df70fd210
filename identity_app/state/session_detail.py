"""One session's detail page: report cards, fields, timeline, decision, deletion; its media
(groups, viewers) live in MediaViewerState, its link actions in SessionLinkState. Media bytes
never pass through a state: <img> tags point at the authenticated /api/media route."""
from __future__ import annotations

import reflex as rx

from identity_app import routes
from identity_app.services.sessions import decisions, deletion, traces
from identity_app.services.doorway import Work
from identity_app.services.sessions.detail import SessionDetail, get_session_detail
from identity_app.state import rows
from identity_app.state.base import ConsoleState, PageFeedback
from identity_app.state.media_viewer import MediaViewerState
from identity_app.state.workbench_rows import TimelineRow, timeline_row
from identity_app.web import state_store


class SessionDetailState(PageFeedback, ConsoleState):
    found: bool = False
    app_id_value: int = 0
    session_id_value: int = 0
    user_name: str = ""
    user_email: str = ""
    reference: str = ""
    state_label: str = ""
    progress: str = ""       # whom an IN PROGRESS session waits for (services.sessions.detail.progress_note)
    progress_kind: str = ""
    link: str = ""
    created: str = ""
    expires: str = ""
    completed: str = ""
    checks: list[rows.CheckRow] = []
    fields: list[rows.DetailRow] = []
    has_media: bool = False
    decisions: list[rows.DecisionRow] = []
    timeline: list[TimelineRow] = []
    can_decide: bool = False
    may_decide: bool = False  # has the 'Make decisions' permission, whatever the session's state
    can_delete_media: bool = False
    can_delete_session: bool = False
    can_manage_link: bool = False  # the link can be emailed again or regenerated (open, capture not finished)
    media_to_delete: int = 0  # the one item the viewer's delete asks about (0: no dialog)

    def _detail(self, audit_view: bool = False):
        """The use case that reads this page's session (its id read now, on the event loop)."""
        session_id = self.session_id_value
        return lambda w: get_session_detail(w.db, actor=w.operator, session_id=session_id, ip=w.ip,
                                            audit_view=audit_view)

    async def _show(self, done) -> None:
        d: SessionDetail | None = done.value if done.ok else None
        if d is None or d.application_id != self.app_id_value:
            self.found, self.error = False, self.error or "That session does not exist."
            return
        self.found = True
        self.user_name, self.user_email, self.reference, self.state_label, self.link = (
            rows.session_heading(d.user_name, d.id), d.user_email, d.reference, d.state_label, d.link)
        self.progress, self.progress_kind = d.progress, d.progress_kind
        self.created = f"{rows.when(d.created_at)} by {d.created_by}"
        self.expires, self.completed = rows.when(d.expires_at), rows.when(d.completed_at)
        self.checks = [rows.check_row(c) for c in d.checks]
        self.fields = rows.details(d.document_fields)
        self.has_media, self.timeline = bool(d.media), [timeline_row(e) for e in d.timeline]
        self.decisions = [rows.decision_row(x) for x in d.decisions]
        (self.can_manage_link, self.may_decide, self.can_decide, self.can_delete_media,
         self.can_delete_session) = rows.detail_actions(d)
        (await self.get_state(MediaViewerState))._fill(d)

    @rx.event
    async def load(self):
        self.error = self.notice = ""
        self.app_id_value, self.session_id_value = self._route_id("app_id"), self._route_id("session_id")
        (await self.get_state(MediaViewerState)).reset_view()
        await self._show(await self._call(self._detail(audit_view=True)))

    async def _then_show(self, action, notice: str) -> None:
        """One unit of work: the action, then the page's data as it stands (other states' too)."""
        detail = self._detail()
        done = await self._call(lambda w: (action(w), detail(w))[1], notice)
        if done.ok:
            await self._show(done)

    @rx.event
    async def decide(self, form: dict):
        session_id = self.session_id_value
        await self._then_show(lambda w: decisions.decide(w.db, actor=w.operator, session_id=session_id,
                              value=form.get("value", ""), note=form.get("note", ""), ip=w.ip), "Decision saved.")

    @rx.event
    def ask_delete_media(self, media_id: int):
        self.media_to_delete = media_id  # asks first; 0 closes the dialog

    @rx.event
    async def delete_media(self):
        media_id, self.media_to_delete = self.media_to_delete, 0
        if media_id:  # the message also as a toast: the button may be far below the page's messages
            await self._then_show(lambda w: deletion.delete_media_item(w.db, w.store, actor=w.operator,
                                  media_id=media_id, ip=w.ip), f"Media item {media_id} deleted.")
            return rx.toast(self.notice) if self.notice else None

    @rx.event
    async def delete_session(self, form: dict):
        session_id = self.session_id_value

        def delete(w: Work) -> tuple[str, ...]:
            found = traces.of_session(w.db, session_id)
            deletion.delete_session(w.db, w.store, actor=w.operator, session_id=session_id,
                                    confirmation=form.get("confirmation", ""), ip=w.ip)
            return found

        done = await self._call(delete)
        if not done.ok:
            return
        self.found, self.checks, self.fields, self.decisions, self.timeline = False, [], [], [], []
        self.user_name = self.user_email = self.reference = self.link = ""
        await state_store.forget(done.value)  # every UI state still showing this person, this one included
        # Back to the sessions list (the URL no longer names the deleted session), the message with it.
        return [rx.redirect(routes.application_path(self.app_id_value), replace=True),
                rx.toast.success(f"Session {session_id} deleted.")]
