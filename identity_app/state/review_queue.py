"""The manual review queue of one application, and the item under review."""
from __future__ import annotations

import dataclasses

import reflex as rx

from identity_app import routes
from identity_app.db import session_scope
from identity_app.services import applications, review
from identity_app.services.errors import DomainError
from identity_app.state.base import SessionState
from identity_app.state.session_detail import DetailRow, SubCheckRow


@dataclasses.dataclass
class QueueRow:
    check_id: int
    label: str
    attempt: int
    session_id: int
    user_name: str
    reference: str
    manual_check: str
    automated: str


class ReviewQueueState(SessionState):
    error: str = ""
    notice: str = ""
    application_name: str = ""
    app_id_value: int = 0
    items: list[QueueRow] = []
    # The item under review (0: none open).
    check_id: int = 0
    item_label: str = ""
    item_type: str = ""
    item_person: str = ""
    item_session_url: str = ""
    item_automated: str = ""
    item_breakdown: list[SubCheckRow] = []
    document_url: str = ""
    portrait_url: str = ""
    selfie_url: str = ""
    item_fields: list[DetailRow] = []
    fail_reasons: list[str] = []
    can_review: bool = False

    def _app_id(self) -> int:
        return self._route_id("app_id")

    @rx.event
    def load(self):
        self.error = self.notice = ""
        self.check_id = 0
        return self._list()

    def _list(self):
        op = self._current_operator()
        if op is None:
            return SessionState.require_operator
        self.app_id_value = self._app_id()
        try:
            with session_scope() as db:
                app = applications.get_application(db, actor=op, application_id=self.app_id_value)
                rows = review.list_queue(db, actor=op, application_id=self.app_id_value)
        except DomainError as exc:
            self.error, self.items = str(exc), []
            return
        self.application_name = app.name
        self.can_review = "DECIDE" in app.permissions
        self.items = [QueueRow(r.check_id, r.label, r.attempt, r.session_id, r.user_name, r.reference,
                               r.manual_check, r.automated_recommendation + (f" ({r.automated_reason})"
                                                                             if r.automated_reason else ""))
                      for r in rows]

    @rx.event
    def open_item(self, check_id: int):
        op = self._current_operator()
        if op is None:
            return SessionState.require_operator
        try:
            with session_scope() as db:
                item = review.get_review_item(db, actor=op, check_id=check_id)
            if item.application_id != self.app_id_value:
                raise DomainError("That review item does not exist.")
        except DomainError as exc:
            self.error = str(exc)
            return
        c = item.check
        self.error = ""
        self.check_id = c.id
        self.item_label, self.item_type = f"{c.label} (attempt {c.attempt})", c.type
        self.item_person = item.user_name + (f" · {item.reference}" if item.reference else "")
        self.item_session_url = routes.session_detail_path(item.application_id, item.session_id)
        self.item_automated = c.recommendation + (f" ({c.reason})" if c.reason else "")
        self.item_breakdown = [SubCheckRow(s.sub_check, s.result, s.process, [DetailRow(d.name, d.value)
                                                                              for d in s.details])
                               for s in c.breakdown]
        doc = item.document_media_id
        self.document_url = routes.media_path(doc) if doc else ""
        self.portrait_url = routes.media_path(doc, portrait=True) if doc else ""
        self.selfie_url = routes.media_path(item.selfie_media_id) if item.selfie_media_id else ""
        self.item_fields = [DetailRow(f.name, f.value) for f in item.fields]
        self.fail_reasons = list(item.fail_reasons)
        self.can_review = item.can_review

    @rx.event
    def close_item(self):
        self.check_id = 0

    @rx.event
    def record(self, form: dict):
        op = self._current_operator()
        if op is None:
            return SessionState.require_operator
        try:
            with session_scope() as db:
                card = review.record_review(db, actor=op, check_id=self.check_id, result=form.get("result", ""),
                                            reason=form.get("reason", ""),
                                            reason_code=form.get("reason_code") or None, ip=self.client_ip)
        except DomainError as exc:
            self.error = str(exc)
            return
        self.notice = f"{card.label}: {card.review_result} recorded."
        self.error = ""
        self.check_id = 0
        return self._list()
