"""The delivery log of one webhook endpoint (its last 50 deliveries) and resending one."""
from __future__ import annotations

import dataclasses

import reflex as rx

from identity_app.services.api import webhooks
from identity_app.services.api.webhooks import DeliveryView
from identity_app.state.base import ConsoleState
from identity_app.state.integrations import Section
from identity_app.state.rows import when

LOG_SIZE = 50


@dataclasses.dataclass
class DeliveryRow:
    id: int
    topic: str
    state: str
    attempts: str  # "1 attempt", "3 attempts"
    status_code: str
    response_ms: str
    error: str
    times: str  # when it was made, and delivered or tried next


def delivery_row(d: DeliveryView) -> DeliveryRow:
    after = (f" · delivered {when(d.delivered_at)}" if d.delivered_at else
             f" · next try {when(d.next_attempt_at)}" if d.next_attempt_at else "")
    return DeliveryRow(d.id, d.topic, d.state, f"{d.attempts} attempt" + ("" if d.attempts == 1 else "s"),
                       str(d.last_status_code) if d.last_status_code is not None else "—",
                       str(d.last_response_ms) if d.last_response_ms is not None else "—",
                       d.last_error, f"Created {when(d.created_at)}{after}")


class DeliveriesState(Section, ConsoleState):
    endpoint_id: int = 0  # the endpoint whose log is open (0: none)
    endpoint_url: str = ""
    rows: list[DeliveryRow] = []

    async def _show(self, action=None, notice: str = "") -> None:
        endpoint_id = self.endpoint_id
        done = await self._then_list(action, lambda w, app: webhooks.list_deliveries(
            w.db, actor=w.operator, application_id=app, endpoint_id=endpoint_id, limit=LOG_SIZE), notice)
        if done.ok:
            self.rows = [delivery_row(d) for d in done.value[1]]
        else:
            self.endpoint_id, self.rows = 0, []

    def _close(self) -> None:
        self.endpoint_id, self.endpoint_url, self.rows, self.error, self.notice = 0, "", [], "", ""

    @rx.event
    def load(self):
        self._close()

    @rx.event
    async def open(self, endpoint_id: int, url: str):
        self.endpoint_id, self.endpoint_url = int(endpoint_id), str(url)
        await self._show()

    @rx.event
    async def refresh(self):
        if self.endpoint_id:
            await self._show()

    @rx.event
    async def resend(self, delivery_id: int):
        await self._show(lambda w, app: webhooks.resend(w.db, actor=w.operator, application_id=app,
                                                        delivery_id=int(delivery_id), ip=w.ip),
                         "Delivery queued again: refresh to see how it went.")

    @rx.event
    def close(self):
        self._close()

    @rx.event
    def forget(self, endpoint_id: int):
        """The endpoint was deleted: its log goes with it."""
        if int(endpoint_id) == self.endpoint_id:
            self._close()
