"""The audit log page: filters by operator, action, session and dates; pages of 50.
The page shows the service's `AuditRow`s as they are."""
from __future__ import annotations

import reflex as rx

from identity_app.services import audit_log, forms
from identity_app.services.audit_log import AuditRow
from identity_app.state.base import ConsoleState, PageFeedback

PAGE_SIZE = 50
FILTERS = ("operator", "action", "session", "date_from", "date_to")  # the filter form's fields


class AuditLogState(PageFeedback, ConsoleState):
    rows: list[AuditRow] = []
    actions: list[list[str]] = []  # [value, words]
    total: int = 0
    page: int = 1
    pages: int = 1
    filters: dict[str, str] = dict.fromkeys(FILTERS, "")

    async def _query(self, page: int = 1) -> None:
        """One unit of work: this page of events as the filters now stand (read now, on the event
        loop; they are parsed in the use case, so a wrong one is this page's error), and the actions."""
        f = dict(self.filters)
        done = await self._call(lambda w: (audit_log.list_events(
            w.db, actor=w.operator, operator=f["operator"], action=f["action"], date_from=forms.day(f["date_from"]),
            date_to=forms.day(f["date_to"]), page=page, page_size=PAGE_SIZE,
            session_id=forms.number(f["session"], "A session is filtered by its number.")),
            audit_log.action_names(w.db, actor=w.operator)))
        self.page = page
        if not done.ok:
            self.rows, self.total = [], 0
            return
        result, actions = done.value
        self.actions = [[a, audit_log.action_label(a)] for a in actions]
        self.rows, self.total, self.pages = list(result.rows), result.total, result.pages

    @rx.event
    async def load(self):
        session = self.router.page.params.get("session", "")
        self.filters["session"] = session if isinstance(session, str) else ""
        await self._query()

    @rx.event
    async def apply_filters(self, form: dict):
        action = form.get("action", "")
        self.filters = {**{k: form.get(k, "") for k in FILTERS}, "action": "" if action == "ALL" else action}
        await self._query()

    @rx.event
    async def clear_filters(self):
        self.filters = dict.fromkeys(FILTERS, "")
        await self._query()

    @rx.event
    async def go_page(self, delta: int):
        await self._query(max(1, min(self.pages, self.page + delta)))
