"""The manual review queue of one application (assignee, notes, age; sortable by age), and the
item under review with its notes."""
from __future__ import annotations

import dataclasses

import reflex as rx

from identity_app import routes
from identity_app.services.applications import registry as applications
from identity_app.services.review import manual as review, queue
from identity_app.services.review.manual import ReviewItem
from identity_app.state import rows
from identity_app.state.base import ConsoleState, PageFeedback


@dataclasses.dataclass
class OpenItem:
    """The item under review as the page shows it: the evidence side by side."""

    label: str = ""
    type: str = ""
    person: str = ""
    session_url: str = ""
    automated: str = ""
    breakdown: list[rows.SubCheckRow] = dataclasses.field(default_factory=list)
    document_url: str = ""
    portrait_url: str = ""
    selfie_url: str = ""
    fields: list[rows.DetailRow] = dataclasses.field(default_factory=list)
    fail_reasons: list[rows.DetailRow] = dataclasses.field(default_factory=list)  # words, code
    notes: list[rows.DetailRow] = dataclasses.field(default_factory=list)  # "name · when" and the note


def open_item_of(item: ReviewItem) -> OpenItem:
    c, doc = item.check, item.document_media_id
    return OpenItem(
        label=f"{c.label} (attempt {c.attempt})", type=c.type,
        person=item.user_name + (f" · {item.reference}" if item.reference else ""),
        session_url=routes.session_detail_path(item.application_id, item.session_id),
        automated=rows.outcome(c.recommendation, c.reason), breakdown=rows.breakdown(c.breakdown),
        document_url=routes.media_path(doc) if doc else "",
        portrait_url=(routes.media_path(item.portrait_media_id) if item.portrait_media_id
                      else routes.media_path(doc, portrait=True) if doc else ""),
        selfie_url=routes.media_path(item.selfie_media_id) if item.selfie_media_id else "",
        fields=rows.details(item.fields), fail_reasons=[rows.reason_row(r) for r in item.fail_reasons])


class ReviewQueueState(PageFeedback, ConsoleState):
    application_name: str = ""
    app_id_value: int = 0
    items: list[queue.QueueEntry] = []
    oldest_first: bool = True
    check_id: int = 0  # the item under review (0: none open)
    item: OpenItem = OpenItem()
    can_review: bool = False

    @rx.event
    async def load(self):
        self.error = self.notice = ""
        self.check_id, self.app_id_value = 0, self._route_id("app_id")
        await self._list()

    async def _list(self, notice: str = "") -> None:
        app_id, oldest = self.app_id_value, self.oldest_first
        done = await self._call(lambda w: (applications.get_application(w.db, actor=w.operator, application_id=app_id),
                                           queue.list_queue(w.db, actor=w.operator, application_id=app_id,
                                                            oldest_first=oldest)),
                                notice or self.notice)
        if not done.ok:
            self.items = []
            return
        app, waiting = done.value
        self.application_name, self.can_review = app.name, "DECIDE" in app.permissions
        self.items = list(waiting)

    @rx.event
    async def sort_by_age(self):
        self.oldest_first = not self.oldest_first
        await self._list()

    @rx.event
    async def open_item(self, check_id: int):
        done = await self._call(lambda w: (review.get_review_item(w.db, actor=w.operator, check_id=check_id),
                                           queue.notes_of(w.db, actor=w.operator, check_id=check_id)))
        if done.ok and done.value[0].application_id != self.app_id_value:
            self.error = "That review item does not exist."
        elif done.ok:
            item, notes = done.value
            self.check_id, self.item, self.can_review = check_id, open_item_of(item), item.can_review
            self.item.notes = [rows.DetailRow(f"{n.by} · {rows.when(n.at)}", n.text) for n in notes]

    @rx.event
    async def assign(self, check_id: int, to_me: bool):
        act = queue.assign_to_me if to_me else queue.unassign
        done = await self._call(lambda w: act(w.db, actor=w.operator, check_id=check_id, ip=w.ip))
        if done.ok:
            await self._list("Assigned to you." if to_me else "Unassigned.")

    @rx.event
    async def add_note(self, form: dict):
        check_id, text = self.check_id, form.get("note_text", "")
        done = await self._call(lambda w: queue.add_note(w.db, actor=w.operator, check_id=check_id, text=text, ip=w.ip))
        if done.ok:
            await self.open_item(check_id)
            await self._list("Note added.")

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
