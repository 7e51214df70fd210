"""The audit log page: filters by operator, action, session and dates; pages of 50."""
from __future__ import annotations

import dataclasses
from datetime import date

import reflex as rx

from identity_app.db import session_scope
from identity_app.services import audit_log
from identity_app.services.errors import DomainError
from identity_app.state.base import ConsoleState

PAGE_SIZE = 50


@dataclasses.dataclass
class AuditEventRow:
    id: int
    at: str
    actor: str
    action: str
    application: str
    session: str
    target: str
    ip: str
    details: str


def _date(value: str) -> date | None:
    value = (value or "").strip()
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise DomainError(f"'{value}' is not a date (use YYYY-MM-DD).") from None


def _int(value: str) -> int | None:
    value = (value or "").strip()
    if not value:
        return None
    if not value.isdigit():
        raise DomainError("A session is filtered by its number.")
    return int(value)


class AuditLogState(ConsoleState):
    error: str = ""
    rows: list[AuditEventRow] = []
    actions: list[str] = []
    total: int = 0
    page: int = 1
    pages: int = 1
    f_operator: str = ""
    f_action: str = ""
    f_session: str = ""
    f_from: str = ""
    f_to: str = ""

    def _query(self):
        op = self._current_operator()
        if op is None:
            return ConsoleState.require_operator
        try:
            with session_scope() as db:
                result = audit_log.list_events(
                    db, actor=op, operator=self.f_operator, action=self.f_action, session_id=_int(self.f_session),
                    date_from=_date(self.f_from), date_to=_date(self.f_to), page=self.page, page_size=PAGE_SIZE)
                self.actions = audit_log.action_names(db, actor=op)
        except DomainError as exc:
            self.error, self.rows, self.total = str(exc), [], 0
            return
        self.error = ""
        self.total, self.pages = result.total, result.pages
        self.rows = [AuditEventRow(
            id=r.id, at=r.at.strftime("%Y-%m-%d %H:%M:%S"), actor=r.actor, action=r.action,
            application=r.application_name or (str(r.application_id) if r.application_id else ""),
            session=str(r.session_id) if r.session_id else "", target=r.target, ip=r.ip,
            details=", ".join(f"{k}={v}" for k, v in r.details)) for r in result.rows]

    @rx.event
    def load(self):
        self.page = 1
        params = self.router.page.params
        self.f_session = params.get("session", "") if isinstance(params.get("session", ""), str) else ""
        return self._query()

    @rx.event
    def apply_filters(self, form: dict):
        self.f_operator = form.get("operator", "")
        self.f_action = "" if form.get("action", "") in ("", "ALL") else form.get("action", "")
        self.f_session = form.get("session", "")
        self.f_from, self.f_to = form.get("date_from", ""), form.get("date_to", "")
        self.page = 1
        return self._query()

    @rx.event
    def clear_filters(self):
        self.f_operator = self.f_action = self.f_session = self.f_from = self.f_to = ""
        self.page = 1
        return self._query()

    @rx.event
    def go_page(self, delta: int):
        self.page = max(1, min(self.pages, self.page + delta))
        return self._query()
