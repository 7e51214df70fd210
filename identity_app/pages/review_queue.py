"""Manual review queue: pending items, and the evidence side by side."""
from __future__ import annotations

import reflex as rx

from identity_app import routes
from identity_app.checks.report import CheckType
from identity_app.components.layout import console_shell, error_callout, info_callout
from identity_app.pages.session_detail import result_badge
from identity_app.services.review.manual import QueueItem
from identity_app.state.review_queue import ReviewQueueState as R


def _queue_row(r: QueueItem) -> rx.Component:
    return rx.table.row(
        rx.table.cell(r.label + " #" + r.attempt.to_string()),
        rx.table.cell(r.user_name),
        rx.table.cell(r.reference),
        rx.table.cell(rx.badge(r.manual_check)),
        rx.table.cell(r.automated),
        rx.table.cell(rx.button("Review", size="1", on_click=R.open_item(r.check_id),
                                aria_label="Review check " + r.check_id.to_string())),
    )


def _figure(caption: str, src: rx.Var, alt: str) -> rx.Component:
    return rx.vstack(
        rx.text(caption, weight="bold", size="2"),
        rx.cond(src != "",
                rx.el.img(src=src, alt=alt, style={"max_width": "100%", "max_height": "22rem",
                                                   "border_radius": "6px", "background": "var(--gray-3)"}),
                rx.text("Not available (deleted or not captured).", color_scheme="gray", size="2")),
        flex="1", min_width="16rem", align="start",
    )


def evidence() -> rx.Component:
    return rx.cond(
        R.item.type == CheckType.ID_DOCUMENT_FACE_MATCH.value,
        rx.hstack(_figure("Document portrait", R.item.portrait_url, "Document portrait"),
                  _figure("Selfie", R.item.selfie_url, "Selfie"), width="100%", spacing="4", wrap="wrap",
                  align="start", id="evidence"),
        rx.hstack(
            _figure("Document", R.item.document_url, "Document image"),
            rx.vstack(
                rx.text("Extracted fields", weight="bold", size="2"),
                rx.cond(R.item.fields.length() > 0,
                        rx.table.root(rx.table.body(rx.foreach(R.item.fields, lambda f: rx.table.row(
                            rx.table.row_header_cell(f.name), rx.table.cell(rx.code(f.value))))),
                            size="1", width="100%"),
                        rx.text("No fields were extracted.", color_scheme="gray", size="2")),
                flex="1", min_width="16rem", align="start",
            ),
            width="100%", spacing="4", wrap="wrap", align="start", id="evidence",
        ),
    )


def item_view() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.hstack(rx.heading(R.item.label, size="4"), rx.spacer(),
                      rx.link("Open session", href=R.item.session_url, size="2"),
                      rx.button("Close", size="1", variant="soft", on_click=R.close_item), width="100%",
                      align="center"),
            rx.text(R.item.person, size="2"),
            rx.text("Automated result: ", rx.code(R.item.automated), size="2"),
            evidence(),
            rx.accordion.root(
                rx.accordion.item(header="Automated breakdown", value="b", content=rx.vstack(
                    rx.foreach(R.item.breakdown, lambda s: rx.hstack(
                        rx.code(s.sub_check), result_badge(s.result),
                        rx.text(s.details.length().to_string() + " details", size="1", color_scheme="gray"))),
                    spacing="1")),
                type="single", collapsible=True, width="100%", variant="ghost",
            ),
            rx.cond(
                R.can_review,
                rx.form(
                    rx.vstack(
                        rx.radio_group.root(
                            rx.hstack(
                                rx.el.label(rx.radio_group.item(value="PASS"), "PASS",
                                            style={"display": "flex", "gap": "0.4rem", "align_items": "center"}),
                                rx.el.label(rx.radio_group.item(value="FAIL"), "FAIL",
                                            style={"display": "flex", "gap": "0.4rem", "align_items": "center"}),
                                spacing="4"),
                            name="result", required=True,
                        ),
                        rx.el.label("Reason code if FAIL", html_for="reason_code", font_size="0.9rem"),
                        rx.el.select(rx.foreach(R.item.fail_reasons, lambda r: rx.el.option(r, value=r)),
                                     id="reason_code", name="reason_code"),
                        rx.el.label("Reason", html_for="reason", font_size="0.9rem"),
                        rx.text_area(id="reason", name="reason", width="100%",
                                     placeholder="What you compared and what you saw"),
                        rx.button("Record result", type="submit"),
                        spacing="2", width="100%",
                    ),
                    on_submit=R.record,
                    reset_on_submit=True,
                ),
                rx.text("Reviewing needs the 'Make decisions' permission.", size="2", color_scheme="gray"),
            ),
            spacing="3",
            width="100%",
        ),
        width="100%",
        id="review-item",
    )


def review_queue_page() -> rx.Component:
    return console_shell(
        rx.vstack(
            rx.link("← Sessions", href=routes.application_path(R.app_id_value), size="2"),
            rx.heading("Manual review · " + R.application_name, size="6", as_="h1"),
            error_callout(R.error),
            info_callout(R.notice),
            rx.cond(R.check_id != 0, item_view()),
            rx.cond(
                R.items.length() > 0,
                rx.table.root(
                    rx.table.header(rx.table.row(*[rx.table.column_header_cell(h) for h in (
                        "Check", "Person", "Reference", "Manual check", "Automated result", "")])),
                    rx.table.body(rx.foreach(R.items, _queue_row)),
                    width="100%", id="review-queue",
                ),
                rx.text("Nothing waits for review.", color_scheme="gray", id="queue-empty"),
            ),
            spacing="4",
            width="100%",
        ),
    )
