"""The sessions list of an application (its main page): search, filters, sort, pages and
the CSV export link. Creating sessions is the page's other part (state/new_sessions.py),
whose changes run in one unit of work with the list they leave (`_list`).

Filters, sort and page live in the page's URL too (?q=...&state=...&page=2): each change
rewrites it in place (`_in_url`), and the page's load reads it, so a reload keeps the view
and a filtered view can be shared as a link."""
from __future__ import annotations

import json
from dataclasses import replace
from typing import Any, Callable
from urllib.parse import urlencode

import reflex as rx

from identity_app import routes
from identity_app.services.applications import registry as applications
from identity_app.services.doorway import Work
from identity_app.services.sessions.search import SearchResult, SessionRow, query_from_params, search_sessions
from identity_app.state.base import ConsoleState, Done, PageFeedback, then

PAGE_SIZE = 25
# The list's filters, named as the URL parameters of the export link, which carries them
# (services/session_search.query_from_params reads both).
FILTERS = {"q": "", "state": "", "decision": "", "review": "", "from": "", "to": "", "sort": "created",
           "dir": "desc"}


class SessionsListState(PageFeedback, ConsoleState):
    app_id_value: int = 0
    application_name: str = ""
    is_active: bool = True
    can_create: bool = False
    rows: list[SessionRow] = []
    total: int = 0
    page: int = 1
    pages: int = 1
    filters: dict[str, str] = FILTERS

    def _params(self) -> dict[str, str]:
        return {k: v for k, v in self.filters.items() if v}

    @rx.var
    def export_url(self) -> str:
        return routes.sessions_csv_path(self.app_id_value, urlencode(self._params()))

    def _in_url(self):
        """The browser's address shows this view (replaced in place: no navigation, no new history entry)."""
        params = {k: v for k, v in self._params().items() if FILTERS[k] != v} | (
            {"page": str(self.page)} if self.page > 1 else {})
        url = routes.application_path(self.app_id_value) + ("?" + urlencode(params) if params else "")
        return rx.call_script(f"window.history.replaceState(window.history.state, '', {json.dumps(url)})")

    async def _list(self, action: Callable[[Work], Any] | None = None, notice: str | None = None,
                    page: int = 1, at: str = "list") -> Done:
        """One unit of work: the action, then one page of the list as it now stands (the filters are
        read now, on the event loop). Done.value: what the action gave."""
        app_id, params = self.app_id_value, self._params()

        def search(w: Work) -> SearchResult:
            query = replace(query_from_params(params), page=page, page_size=PAGE_SIZE)
            return search_sessions(w.db, actor=w.operator, application_id=app_id, query=query)

        done = await self._call(then(action, search), self.notice if notice is None else notice, at)
        if not done.ok:
            return done
        result: SearchResult = done.value[1]
        self.rows, self.total, self.page, self.pages = list(result.rows), result.total, result.page, result.pages
        return Done(True, done.value[0])

    @rx.event
    async def load(self):
        self.app_id_value = app_id = self._route_id("app_id")
        self.notice, given = "", self.router.page.params
        self.filters = {k: str(given.get(k) or v)[:200] for k, v in FILTERS.items()}
        page = int(given["page"]) if str(given.get("page", "")).isdigit() else 1
        fetch = lambda w: applications.get_application(w.db, actor=w.operator, application_id=app_id)  # noqa: E731
        done = await self._list(fetch, page=max(1, min(page, 100_000)), at="")
        if not done.ok and any(k in given for k in FILTERS):  # a link's filter that does not hold: say so, list all
            self.filters, error = dict(FILTERS), self.error
            done = await self._list(fetch, at="")
            self.error = error if done.ok else self.error
        if done.ok and self.page > self.pages:  # a link to a page that is gone: the last one
            await self._list(page=self.pages, at="")
        if not done.ok:
            self.rows, self.application_name, self.can_create = [], "", False
            return
        app = done.value
        self.application_name, self.is_active = app.name, app.is_active
        self.can_create = "CREATE_SESSIONS" in app.permissions
        return self._in_url()

    @rx.event
    def set_q(self, value: str):
        self.filters["q"] = value[:200]

    @rx.event
    async def apply_filters(self, form: dict):  # the search text, on Enter / Search; the others as they change
        self.filters["q"] = (form.get("q", self.filters["q"]) or "").strip()[:200]
        await self._list()
        return self._in_url()

    @rx.event
    async def set_filter(self, name: str, value: str):
        if name in FILTERS:
            self.filters[name] = value or FILTERS[name]
            await self._list()
            return self._in_url()

    @rx.event
    async def clear_filters(self):
        self.filters = {**FILTERS, "sort": self.filters["sort"], "dir": self.filters["dir"]}
        await self._list()
        return self._in_url()

    @rx.event
    async def go_page(self, delta: int):
        await self._list(page=min(max(1, self.page + delta), self.pages))
        return self._in_url()
