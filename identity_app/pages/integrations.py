"""An application's Integrations tab: API keys, webhook endpoints with their delivery log
(pages/integrations_webhooks.py), and Yoti SDK keys. For operators who manage the application;
others get a refusal (and the services refuse them whatever the page shows)."""
from __future__ import annotations

import reflex as rx

from identity_app import routes
from identity_app.components.app_tabs import app_tabs
from identity_app.components.integration_parts import choice, confirm, line, row, rows, section, small
from identity_app.components.layout import console_shell, error_callout, info_callout, labelled_input
from identity_app.components.one_time_secret import one_time_secret
from identity_app.models import ApiScope
from identity_app.pages.integrations_webhooks import webhooks
from identity_app.state.api_keys import ApiKeysState as K, KeyRow
from identity_app.state.integrations import API_KEY_BOX, SCOPE_LABELS
from identity_app.state.integrations import IntegrationsState as S
from identity_app.state.sdk_keys import SdkKeyRow, SdkKeysState as Y


def _status(revoked: rx.Var) -> rx.Component:
    return rx.cond(revoked != "", rx.badge("Revoked " + revoked, color_scheme="gray"),
                   rx.badge("Live", color_scheme="green"))


def _key(k: KeyRow) -> rx.Component:
    return row(
        line(rx.text(k.name, size="2", weight="bold"), rx.code(k.shown, size="1"), _status(k.revoked), rx.spacer(),
             rx.cond(k.revoked == "", confirm(
                 "Revoke", "Revoke the key " + k.name + "?",
                 "Requests made with it are refused at once. This cannot be undone: make a new key if you need one.",
                 "Revoke key", K.revoke(k.id)))),
        line(rx.foreach(k.scopes, lambda s: rx.badge(s, variant="soft", style={"white_space": "normal"}))),
        small("Created " + k.created + " · last used " + k.last_used),
    )


def api_keys() -> rx.Component:
    return section(
        "API keys",
        "A key lets your backend use the REST API under /api/v1 (reference at /api/v1/docs) for this application "
        "only, with the permissions you tick. Send it as the header Authorization: Bearer <key>. Only the start "
        "of a key is listed: the whole key is shown once, when it is made.",
        error_callout(K.error), info_callout(K.notice),
        one_time_secret(API_KEY_BOX),
        rows(K.keys, _key, "api-keys-list", "No API keys yet."),
        rx.divider(),
        rx.heading("New API key", size="3", as_="h3"),
        rx.form(
            rx.vstack(
                rx.box(labelled_input("Key name (what uses it)", "name", required=True, max_length=100,
                                      placeholder="e.g. CRM production"), width="100%", max_width="28rem"),
                rx.text("It can:", size="2", weight="medium"),
                rx.flex(*[choice(f"scope_{s.name}", SCOPE_LABELS[s]) for s in ApiScope], direction="column",
                        spacing="2"),
                rx.button("Create API key", type="submit"),
                spacing="3", width="100%",
            ),
            on_submit=K.create, key=K.form_key.to_string(),
        ),
        section_id="api-keys",
    )


def _sdk_key(k: SdkKeyRow) -> rx.Component:
    return row(
        line(small("SDK id"), rx.code(k.sdk_id, size="2", style={"word_break": "break-all"}), _status(k.revoked),
             rx.spacer(),
             rx.cond(k.revoked == "", confirm(
                 "Revoke", "Revoke the SDK key " + k.sdk_id + "?",
                 "Requests signed with its private key are refused at once. This cannot be undone.",
                 "Revoke key", Y.revoke(k.id)))),
        small("Created " + k.created),
    )


def sdk_keys() -> rx.Component:
    return section(
        "Yoti SDK keys",
        "For a backend already using Yoti's Doc Scan SDK: generate a key pair, then give the SDK this server's URL, "
        "the SDK id and the private key. The private key is downloaded once as <SDK id>.pem; only its public half "
        "is kept here.",
        error_callout(Y.error), info_callout(Y.notice),
        rows(Y.keys, _sdk_key, "sdk-keys-list", "No SDK keys yet."),
        rx.box(rx.button("Generate key pair", on_click=Y.generate)),
        section_id="sdk-keys",
    )


def integrations_page() -> rx.Component:
    return console_shell(
        rx.vstack(
            rx.link("← Applications", href=routes.HOME, size="2"),
            rx.heading(S.application_name, size="6", as_="h1"),
            app_tabs(S.app_id_value, "integrations"),
            error_callout(S.error),
            rx.cond(S.refusal != "", rx.callout(S.refusal, icon="lock", color_scheme="orange", role="alert",
                                                width="100%", id="integrations-refused")),
            rx.cond(S.can_manage & (S.tab_app_id == S.app_id_value),
                    rx.vstack(api_keys(), webhooks(), sdk_keys(), spacing="4", width="100%")),
            spacing="4",
            width="100%",
        ),
    )
