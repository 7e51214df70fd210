"""The Integrations tab's API keys: listed by prefix, made with chosen scopes, revoked.

A new key is made over HTTP and its token drawn by the browser (`post_for_secret`): it is
never a var, nor in an event (state/integrations.py says why)."""
from __future__ import annotations

import dataclasses
from typing import Any, Callable

import reflex as rx

from identity_app import routes
from identity_app.models import ApiScope
from identity_app.services.api import keys
from identity_app.services.api.keys import ApiKeyView
from identity_app.services.doorway import Work
from identity_app.state.base import ConsoleState, Done
from identity_app.state.integrations import API_KEY_BOX, SCOPE_LABELS, Section
from identity_app.state.secret_post import post_for_secret
from identity_app.state.rows import when


@dataclasses.dataclass
class KeyRow:
    id: int
    name: str
    shown: str  # idv_<prefix>_…: what identifies the key; the rest was shown once
    scopes: list[str]
    created: str
    last_used: str
    revoked: str


def key_row(k: ApiKeyView) -> KeyRow:
    labels = {s.value: SCOPE_LABELS[s] for s in ApiScope}
    return KeyRow(k.id, k.name, f"idv_{k.prefix}_…", [labels.get(s, s) for s in k.scopes], when(k.created_at),
                  when(k.last_used_at) or "never", when(k.revoked_at))


class ApiKeysState(Section, ConsoleState):
    keys: list[KeyRow] = []
    form_key: int = 0  # bumped after a key is made: the form starts empty again

    async def _change(self, action: Callable[[Work, int], Any] | None, notice: str = "") -> Done:
        done = await self._then_list(action, lambda w, app: keys.list_keys(w.db, actor=w.operator,
                                                                          application_id=app), notice)
        if done.ok:
            self.keys = [key_row(k) for k in done.value[1]]
        return done

    @rx.event
    async def load(self):
        self.notice = ""
        await self._change(None)

    @rx.event
    def create(self, form: dict):
        scopes = [s.value for s in ApiScope if form.get(f"scope_{s.name}")]
        return post_for_secret(self._post_path(routes.API_NEW_API_KEY),
                               {"name": str(form.get("name", "")), "scopes": scopes}, API_KEY_BOX, ApiKeysState.created)

    @rx.event
    async def created(self, outcome: dict):
        if await self._after_post(outcome):
            self.form_key += 1

    @rx.event
    async def revoke(self, key_id: int):
        await self._change(lambda w, app: keys.revoke_key(w.db, actor=w.operator, application_id=app,
                                                          key_id=int(key_id), ip=w.ip),
                           "API key revoked: requests made with it are refused from now on.")
