"""The manual review queue of one application, and the item under review."""
from __future__ import annotations

import dataclasses

import reflex as rx

from identity_app import routes
from identity_app.services import applications, review
from identity_app.services.review import ReviewItem
from identity_app.state import rows
from identity_app.state.base import ConsoleState, PageFeedback


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


class ReviewQueueState(PageFeedback, ConsoleState):
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
    item_breakdown: list[rows.SubCheckRow] = []
    document_url: str = ""
    portrait_url: str = ""
    selfie_url: str = ""
    item_fields: list[rows.DetailRow] = []
    fail_reasons: list[str] = []
    can_review: bool = False

    @rx.event
    async def load(self):
        self.error = self.notice = ""
        self.check_id, self.app_id_value = 0, self._route_id("app_id")
        await self._list()

    async def _list(self, notice: str = "") -> None:
        app_id = self.app_id_value
        done = await self._call(lambda w: (applications.get_application(w.db, actor=w.operator, application_id=app_id),
                                           review.list_queue(w.db, actor=w.operator, application_id=app_id)),
                                notice or self.notice)
        if not done.ok:
            self.items = []
            return
        app, queue = done.value
        self.application_name, self.can_review = app.name, "DECIDE" in app.permissions
        self.items = [QueueRow(r.check_id, r.label, r.attempt, r.session_id, r.user_name, r.reference, r.manual_check,
                               rows.outcome(r.automated_recommendation, r.automated_reason)) for r in queue]

    @rx.event
    async def open_item(self, check_id: int):
        done = await self._call(lambda w: review.get_review_item(w.db, actor=w.operator, check_id=check_id))
        if done.ok and done.value.application_id != self.app_id_value:
            self.error = "That review item does not exist."
        elif done.ok:
            self._show(done.value)

    def _show(self, item: ReviewItem) -> None:
        c, doc = item.check, item.document_media_id
        self.check_id = c.id
        self.item_label, self.item_type = f"{c.label} (attempt {c.attempt})", c.type
        self.item_person = item.user_name + (f" · {item.reference}" if item.reference else "")
        self.item_session_url = routes.session_detail_path(item.application_id, item.session_id)
        self.item_automated = rows.outcome(c.recommendation, c.reason)
        self.item_breakdown = rows.breakdown(c.breakdown)
        self.document_url = routes.media_path(doc) if doc else ""
        self.portrait_url = routes.media_path(doc, portrait=True) if doc else ""
        self.selfie_url = routes.media_path(item.selfie_media_id) if item.selfie_media_id else ""
        self.item_fields = rows.details(item.fields)
        self.fail_reasons, self.can_review = list(item.fail_reasons), item.can_review

    @rx.event
    def close_item(self):
        self.check_id = 0

    @rx.event
    async def record(self, form: dict):
        check_id = self.check_id
        done = await self._call(lambda w: review.record_review(
            w.db, actor=w.operator, check_id=check_id, result=form.get("result", ""), reason=form.get("reason", ""),
            reason_code=form.get("reason_code") or None, ip=w.ip))
        if done.ok:
            self.check_id = 0
            await self._list(f"{done.value.label}: {done.value.review_result} recorded.")
