"""The Integrations tab's Yoti SDK keys: an SDK id with a key pair whose private half is
downloaded once as `<sdk_id>.pem` (only the public half is kept), and revoking one.

The key pair is made over HTTP and the browser downloads the PEM from that answer
(`post_for_secret`): it is never a var, nor in an event (state/integrations.py says why)."""
from __future__ import annotations

import dataclasses
from typing import Any, Callable

import reflex as rx

from identity_app import routes
from identity_app.services.api import sdk_keys
from identity_app.services.api.sdk_keys import SdkKeyView
from identity_app.services.doorway import Work
from identity_app.state.base import ConsoleState, Done
from identity_app.state.integrations import Section
from identity_app.state.secret_post import post_for_secret
from identity_app.state.rows import when

@dataclasses.dataclass
class SdkKeyRow:
    id: int
    sdk_id: str
    created: str
    revoked: str


def sdk_key_row(k: SdkKeyView) -> SdkKeyRow:
    return SdkKeyRow(k.id, k.sdk_id, when(k.created_at), when(k.revoked_at))


class SdkKeysState(Section, ConsoleState):
    keys: list[SdkKeyRow] = []

    async def _change(self, action: Callable[[Work, int], Any] | None, notice: str = "") -> Done:
        done = await self._then_list(action, lambda w, app: sdk_keys.list_sdk_keys(w.db, actor=w.operator,
                                                                                  application_id=app), notice)
        if done.ok:
            self.keys = [sdk_key_row(k) for k in done.value[1]]
        return done

    @rx.event
    async def load(self):
        self.notice = ""
        await self._change(None)

    @rx.event
    def generate(self):
        return post_for_secret(self._post_path(routes.API_NEW_SDK_KEY), {}, "", SdkKeysState.generated)

    @rx.event
    async def generated(self, outcome: dict):
        await self._after_post(outcome)

    @rx.event
    async def revoke(self, key_id: int):
        await self._change(lambda w, app: sdk_keys.revoke_sdk_key(w.db, actor=w.operator, application_id=app,
                                                                  key_id=int(key_id), ip=w.ip),
                           "SDK key revoked: requests signed with its private key are refused from now on.")
