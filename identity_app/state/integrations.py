"""An application's Integrations tab: who may see it, and how a secret made there reaches the browser.

The tab (API keys, webhooks, Yoti SDK keys: state/api_keys.py, state/webhooks.py,
state/webhook_deliveries.py, state/sdk_keys.py) is for operators with the
'Manage application' permission; the others get a refusal and do not see the tab.

A secret made here (an API key, a webhook signing secret, an SDK private key) is shown
once and never passes through this state or the websocket: Reflex pickles its states to
disk or Redis. An event handler answers with a script (`post_for_secret`) that posts the
form to an HTTP route (web/integration_routes.py); the route makes the secret, and the
script writes it into the page's one-time box as text (or downloads it as a file) and hands
the state back only the outcome, without the secret (`Section._after_post`). Closing the
box or leaving the page forgets it.
"""
from __future__ import annotations

from typing import Any, Callable

import reflex as rx

from identity_app.models import ApiScope, Permission, WebhookTopic
from identity_app.services.applications import registry as applications
from identity_app.services.doorway import Work
from identity_app.state.base import ConsoleState, Done, PageFeedback, then

SCOPE_LABELS = {
    ApiScope.SESSIONS_CREATE: "Create sessions and email their links",
    ApiScope.RESULTS_READ: "Read sessions, their checks and results",
    ApiScope.MEDIA_READ: "Download the captured images",
    ApiScope.DELETE: "Delete sessions and their images",
    ApiScope.DECISIONS_WRITE: "Record approve or reject decisions",
}
TOPIC_LABELS = {
    WebhookTopic.SESSION_CREATED: "A session was created",
    WebhookTopic.RESOURCE_UPDATED: "The person sent a document photo or a selfie",
    WebhookTopic.CHECK_COMPLETED: "A check finished",
    WebhookTopic.TASK_COMPLETED: "A task (reading a document's text) finished",
    WebhookTopic.SESSION_COMPLETED: "A session completed",
    WebhookTopic.SESSION_EXPIRED: "A session's link expired",
    WebhookTopic.SESSION_DELETED: "A session was deleted",
    WebhookTopic.DECISION_RECORDED: "A decision was recorded",
}
REFUSAL = ("Integrations need the 'Manage application' permission on this application. "
           "Ask the owner or a manager of the application.")

# The one-time boxes of the page (pages/integrations.py draws them hidden).
API_KEY_BOX = "api-key-secret"
WEBHOOK_BOX = "webhook-secret"


class Section(PageFeedback, mixin=True):
    """A part of the tab: its own messages, and its changes made on the route's application."""

    async def _then_list(self, action: Callable[[Work, int], Any] | None, listing: Callable[[Work, int], Any],
                         notice: str = "") -> Done:
        """One unit of work: the action on the route's application (its id read now, on the event
        loop), then the section's list as it now stands. Done.value: (what the action gave, the list)."""
        app_id = self._route_id("app_id")  # type: ignore[attr-defined]
        act = (lambda w: action(w, app_id)) if action else None
        return await self._call(then(act, lambda w: listing(w, app_id)), notice)

    async def _after_post(self, outcome: Any) -> bool:
        """What `post_for_secret` handed back (never the secret): the section's list as it now
        stands, and the route's message as the notice or the error."""
        ok = isinstance(outcome, dict) and outcome.get("ok") is True
        message = str(outcome.get("message") or "") if isinstance(outcome, dict) else ""
        await self._change(None)  # type: ignore[attr-defined]
        self.error, self.notice = ("", message) if ok else (message or "That did not work: try again.", "")
        return ok

    def _post_path(self, path: str, **ids: int) -> str:
        """A route of web/integration_routes.py for the application of the page."""
        return path.format(app_id=self._route_id("app_id"), **ids)  # type: ignore[attr-defined]


class IntegrationsState(PageFeedback, ConsoleState):
    app_id_value: int = 0
    application_name: str = ""
    can_manage: bool = False
    tab_app_id: int = 0  # the application `can_manage` was asked for (the tabs of every application page)
    refusal: str = ""

    async def _ask(self) -> bool:
        """Whether the signed-in operator manages the application of the route (its name kept)."""
        app_id = self._route_id("app_id")
        done = await self._call(lambda w: applications.get_application(w.db, actor=w.operator,
                                                                       application_id=app_id))
        self.tab_app_id = app_id
        self.can_manage = done.ok and Permission.MANAGE_APPLICATION.value in done.value.permissions
        self.application_name = done.value.name if done.ok else ""
        return done.ok

    @rx.event
    async def load(self):
        from identity_app.state.api_keys import ApiKeysState
        from identity_app.state.sdk_keys import SdkKeysState
        from identity_app.state.webhook_deliveries import DeliveriesState
        from identity_app.state.webhooks import WebhooksState

        self.app_id_value, self.notice, self.refusal = self._route_id("app_id"), "", ""
        if not await self._ask():
            return
        if not self.can_manage:
            self.refusal = REFUSAL
            return
        return [ApiKeysState.load, WebhooksState.load, DeliveriesState.load, SdkKeysState.load]

    @rx.event
    async def check_tab(self):
        """On load of every page with the application tabs: whether they show Integrations
        (a refusal is the page's own to tell: this one leaves the page's messages as they are)."""
        error, notice = self.error, self.notice
        await self._ask()
        self.error, self.notice = error, notice
