"""The Integrations tab's webhook endpoints: made with chosen topics, enabled or disabled,
their signing secret rotated, deleted. Each endpoint's delivery log is state/webhook_deliveries.py.

A signing secret (a new endpoint's, or a rotated one) is made over HTTP and drawn by the
browser (`post_for_secret`): never a var, nor in an event (state/integrations.py says why)."""
from __future__ import annotations

import dataclasses
from typing import Any, Callable

import reflex as rx

from identity_app import routes
from identity_app.models import WebhookTopic
from identity_app.services.api import webhooks
from identity_app.services.api.webhooks import EndpointView
from identity_app.services.doorway import Work
from identity_app.state.base import ConsoleState, Done
from identity_app.state.integrations import WEBHOOK_BOX, Section
from identity_app.state.secret_post import post_for_secret
from identity_app.state.rows import when


@dataclasses.dataclass
class EndpointRow:
    id: int
    url: str
    description: str
    topics: list[str]
    personal_data: bool
    enabled: bool
    status: str  # "Enabled", "Disabled after 20 failures", "Disabled"
    rotation: str  # while a rotated secret's predecessor still signs: until when
    created: str


def endpoint_row(e: EndpointView) -> EndpointRow:
    if e.enabled:
        status = "Enabled"
    elif e.consecutive_failures:
        status = f"Disabled after {e.consecutive_failures} failures"
    else:
        status = "Disabled"
    return EndpointRow(e.id, e.url, e.description, list(e.topics), e.include_personal_data, e.enabled, status,
                       f"Old secret also signs until {when(e.rotation_until)}" if e.rotation_until else "",
                       when(e.created_at))


class WebhooksState(Section, ConsoleState):
    endpoints: list[EndpointRow] = []
    form_key: int = 0  # bumped after an endpoint is made: the form starts empty again

    async def _change(self, action: Callable[[Work, int], Any] | None, notice: str = "") -> Done:
        done = await self._then_list(action, lambda w, app: webhooks.list_endpoints(w.db, actor=w.operator,
                                                                                   application_id=app), notice)
        if done.ok:
            self.endpoints = [endpoint_row(e) for e in done.value[1]]
        return done

    @rx.event
    async def load(self):
        self.notice = ""
        await self._change(None)

    @rx.event
    def create(self, form: dict):
        body = {"url": str(form.get("url", "")), "description": str(form.get("description", "")),
                "topics": [t.value for t in WebhookTopic if form.get(f"topic_{t.name}")],
                "include_personal_data": bool(form.get("include_personal_data"))}
        return post_for_secret(self._post_path(routes.API_NEW_WEBHOOK), body, WEBHOOK_BOX, WebhooksState.created)

    @rx.event
    async def created(self, outcome: dict):
        if await self._after_post(outcome):
            self.form_key += 1

    @rx.event
    async def set_enabled(self, endpoint_id: int, enabled: bool):
        await self._change(lambda w, app: webhooks.update_endpoint(
            w.db, actor=w.operator, application_id=app, endpoint_id=int(endpoint_id), enabled=bool(enabled),
            ip=w.ip), "Endpoint enabled: new events are delivered to it." if enabled else
            "Endpoint disabled: no events are delivered to it until it is enabled again.")

    @rx.event
    def rotate(self, endpoint_id: int):
        return post_for_secret(self._post_path(routes.API_ROTATE_WEBHOOK_SECRET, endpoint_id=int(endpoint_id)), {},
                               WEBHOOK_BOX, WebhooksState.rotated)

    @rx.event
    async def rotated(self, outcome: dict):
        await self._after_post(outcome)

    @rx.event
    async def delete(self, endpoint_id: int):
        from identity_app.state.webhook_deliveries import DeliveriesState

        done = await self._change(lambda w, app: webhooks.delete_endpoint(
            w.db, actor=w.operator, application_id=app, endpoint_id=int(endpoint_id), ip=w.ip), "Endpoint deleted.")
        if done.ok:
            return DeliveriesState.forget(int(endpoint_id))
