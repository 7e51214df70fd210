"""The Integrations tab's webhooks section: endpoints (topics, enable or disable, rotate the
signing secret, delete), one endpoint's delivery log with resend, and the form for a new one."""
from __future__ import annotations

import reflex as rx

from identity_app.components.integration_parts import choice, confirm, line, row, rows, section, small
from identity_app.components.layout import error_callout, info_callout, labelled_input
from identity_app.components.one_time_secret import one_time_secret
from identity_app.models import WebhookTopic
from identity_app.state.integrations import TOPIC_LABELS, WEBHOOK_BOX
from identity_app.state.webhook_deliveries import DeliveriesState as D, DeliveryRow
from identity_app.state.webhooks import EndpointRow, WebhooksState as W

BREAK = {"word_break": "break-all"}


def _endpoint(e: EndpointRow) -> rx.Component:
    return row(
        line(rx.text(e.url, size="2", weight="medium", style=BREAK),
             rx.badge(e.status, color_scheme=rx.cond(e.enabled, "green", "red"))),
        rx.cond(e.description != "", small(e.description)),
        line(rx.foreach(e.topics, lambda t: rx.code(t, size="1")),
             rx.cond(e.personal_data, rx.badge("Sends names and emails", color_scheme="amber"))),
        rx.cond(e.rotation != "", small(e.rotation)),
        line(
            rx.button("Delivery log", size="1", variant="soft", on_click=D.open(e.id, e.url)),
            rx.cond(e.enabled, rx.button("Disable", size="1", variant="soft", color_scheme="orange",
                                         on_click=W.set_enabled(e.id, False)),
                    rx.button("Enable", size="1", variant="soft", color_scheme="green",
                              on_click=W.set_enabled(e.id, True))),
            confirm("Rotate secret", "Rotate the signing secret?",
                    "A new secret is shown once. For 24 hours deliveries are signed with both the old and the new "
                    "secret, so you can switch your receiver over; then the old one stops.",
                    "Rotate secret", W.rotate(e.id), color="blue"),
            confirm("Delete", "Delete this endpoint?",
                    "No more events go to " + e.url + ". Its delivery log is deleted with it.",
                    "Delete endpoint", W.delete(e.id)),
        ),
    )


def _delivery(d: DeliveryRow) -> rx.Component:
    return row(
        line(rx.code(d.topic, size="1"),
             rx.badge(d.state, color_scheme=rx.match(d.state, ("DELIVERED", "green"), ("DEAD", "red"), "blue")),
             rx.text("Response ", rx.el.strong(d.status_code, class_name="response-code"), size="2"),
             rx.text(rx.el.span(d.response_ms, class_name="response-ms"), " ms", size="2"),
             small(d.attempts),
             rx.spacer(),
             rx.button("Resend", size="1", variant="soft", on_click=D.resend(d.id))),
        small(d.times),
        rx.cond(d.error != "", rx.text(d.error, size="1", color_scheme="red", style={"word_break": "break-word"})),
    )


def delivery_log() -> rx.Component:
    return rx.cond(D.endpoint_id > 0, rx.card(
        rx.vstack(
            line(rx.heading("Delivery log", size="3", as_="h3"),
                 rx.text(D.endpoint_url, size="2", color_scheme="gray", style=BREAK), rx.spacer(),
                 rx.button("Refresh", size="1", variant="soft", on_click=D.refresh),
                 rx.button("Close", size="1", variant="ghost", on_click=D.close)),
            small("The last 50 deliveries, newest first, with the receiver's response code and time. "
                  "Resend sends one again with the same webhook-id."),
            error_callout(D.error), info_callout(D.notice),
            rows(D.rows, _delivery, "deliveries-list", "Nothing delivered to this endpoint yet."),
            spacing="2", width="100%",
        ),
        width="100%", variant="surface", id="delivery-log",
    ))


def webhooks() -> rx.Component:
    return section(
        "Webhooks",
        "We tell your backend what happens as it happens: an HTTPS POST per event, signed per the Standard Webhooks "
        "specification (headers webhook-id, webhook-timestamp, webhook-signature) and retried for up to 3 days. "
        "An endpoint that keeps failing is disabled and the owner told by email.",
        error_callout(W.error), info_callout(W.notice),
        one_time_secret(WEBHOOK_BOX),
        rows(W.endpoints, _endpoint, "endpoints-list", "No endpoints yet."),
        delivery_log(),
        rx.divider(),
        rx.heading("New endpoint", size="3", as_="h3"),
        rx.form(
            rx.vstack(
                rx.box(labelled_input("Endpoint URL", "url", "url", required=True,
                                      placeholder="https://example.com/webhooks/identity"),
                       width="100%", max_width="36rem"),
                rx.box(labelled_input("Description (optional)", "description", max_length=200),
                       width="100%", max_width="36rem"),
                rx.text("Send these events:", size="2", weight="medium"),
                rx.flex(*[choice(f"topic_{t.name}", TOPIC_LABELS[t], t.value) for t in WebhookTopic],
                        direction="column", spacing="2"),
                choice("include_personal_data", "Include names and emails"),
                rx.callout("Off by default: events carry ids and states only. Turn it on only for a receiver you "
                           "trust with personal data; the person's name and email then leave this system with "
                           "every event.", icon="triangle_alert", color_scheme="amber", size="1", width="100%"),
                rx.button("Add endpoint", type="submit"),
                spacing="3", width="100%",
            ),
            on_submit=W.create, key=W.form_key.to_string(),
        ),
        section_id="webhooks",
    )
