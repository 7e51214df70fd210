"""Manual review queue: pending items with assignee, notes and age (sortable by age), and the
evidence side by side, large, with zoom and pan."""
from __future__ import annotations

import reflex as rx

from identity_app import routes
from identity_app.checks.report import CheckType
from identity_app.components.layout import console_shell, error_callout, info_callout
from identity_app.components.zoom_viewer import workbench_script, zoom_viewer
from identity_app.pages.session_detail import result_badge
from identity_app.services.review.queue import QueueEntry
from identity_app.state.review_queue import ReviewQueueState as R


def _assignee(r: QueueEntry) -> rx.Component:
    return rx.hstack(
        rx.cond(r.assignee != "", rx.badge(r.assignee, color_scheme=rx.cond(r.assigned_to_me, "green", "gray")),
                rx.text("Nobody", size="1", color_scheme="gray")),
        rx.cond(R.can_review, rx.cond(
            r.assignee == "",
            rx.button("Assign to me", size="1", variant="soft", on_click=R.assign(r.check_id, True)),
            rx.button("Unassign", size="1", variant="ghost", on_click=R.assign(r.check_id, False)))),
        spacing="2", align="center", wrap="wrap",
    )


# On a phone the person folds under the check, and notes and outcomes are left to the item view:
# the queue's columns stay on the 390 px screen.
WIDE_ONLY = rx.breakpoints(initial="none", sm="table-cell")
NARROW_ONLY = rx.breakpoints(initial="block", sm="none")


def _queue_row(r: QueueEntry) -> rx.Component:
    return rx.table.row(
        rx.table.cell(r.label + " #" + r.attempt.to_string(),
                      rx.text(r.user_name, size="1", color_scheme="gray", display=NARROW_ONLY)),
        rx.table.cell(r.user_name, rx.cond(r.reference != "", rx.text(r.reference, size="1", color_scheme="gray")),
                      display=WIDE_ONLY),
        rx.table.cell(rx.text(r.age, class_name="queue-age", white_space="nowrap")),
        rx.table.cell(_assignee(r)),
        rx.table.cell(rx.cond(r.notes > 0, rx.text(r.notes.to_string() + " · " + r.last_note, size="1",
                                                   style={"max_width": "14rem", "overflow": "hidden",
                                                          "text_overflow": "ellipsis", "white_space": "nowrap"}),
                              rx.text("—", size="1", color_scheme="gray")), display=WIDE_ONLY),
        rx.table.cell(rx.badge(r.manual_check), rx.text(r.automated, size="1"), display=WIDE_ONLY),
        rx.table.cell(rx.button("Review", size="1", on_click=R.open_item(r.check_id),
                                aria_label="Review check " + r.check_id.to_string())),
    )


def _figure(caption: str, src: rx.Var, alt: str) -> rx.Component:
    viewer = "portrait" if caption != "Selfie" else "selfie"
    return zoom_viewer(viewer, caption, src, alt, "review-" + viewer)


def notes_panel() -> rx.Component:
    return rx.vstack(
        rx.text("Notes", weight="bold", size="2"),
        rx.cond(R.item.notes.length() > 0,
                rx.el.ul(rx.foreach(R.item.notes, lambda n: rx.el.li(
                    rx.text(n.name, size="1", color_scheme="gray"), rx.text(n.value, size="2"))),
                    id="review-notes", style={"padding_left": "1rem", "margin": "0"}),
                rx.text("No notes yet.", size="2", color_scheme="gray")),
        rx.cond(R.can_review, rx.form(
            rx.hstack(
                rx.input(name="note_text", id="note_text", placeholder="A note for the other reviewers",
                         aria_label="New note", flex="1", min_width="12rem"),
                rx.button("Add note", type="submit", size="2", variant="soft"),
                width="100%", wrap="wrap"),
            on_submit=R.add_note, reset_on_submit=True, width="100%")),
        width="100%", spacing="2",
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
            rx.hstack(rx.heading(R.item.label, size="4", as_="h2"), rx.spacer(),
                      rx.link("Open session", href=R.item.session_url, size="2"),
                      rx.button("Close", size="1", variant="soft", on_click=R.close_item), width="100%",
                      align="center"),
            rx.text(R.item.person, size="2"),
            rx.text("Automated result: ", rx.code(R.item.automated), size="2"),
            evidence(),
            notes_panel(),
            rx.accordion.root(
                rx.accordion.item(header="Automated breakdown", value="b", content=rx.vstack(
                    rx.foreach(R.item.breakdown, lambda s: rx.hstack(
                        rx.text(s.label, size="2", title=s.sub_check), result_badge(s.result),
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
                        rx.el.select(rx.foreach(R.item.fail_reasons, lambda r: rx.el.option(r.name, value=r.value)),
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
            workbench_script(),
            rx.link("← Sessions", href=routes.application_path(R.app_id_value), size="2"),
            rx.heading("Manual review · " + R.application_name, size="6", as_="h1"),
            error_callout(R.error),
            info_callout(R.notice),
            rx.cond(R.check_id != 0, item_view()),
            rx.cond(
                R.items.length() > 0,
                rx.box(rx.table.root(
                    rx.table.header(rx.table.row(
                        rx.table.column_header_cell("Check"), rx.table.column_header_cell("Person", display=WIDE_ONLY),
                        rx.table.column_header_cell(rx.button(
                            "Waiting", rx.icon(rx.cond(R.oldest_first, "arrow_down", "arrow_up"), size=14),
                            size="1", variant="ghost", on_click=R.sort_by_age, id="sort-by-age",
                            aria_label=rx.cond(R.oldest_first, "Waiting: oldest first (sort newest first)",
                                               "Waiting: newest first (sort oldest first)"))),
                        rx.table.column_header_cell("Assignee"), rx.table.column_header_cell("Notes", display=WIDE_ONLY),
                        rx.table.column_header_cell("Manual check / automated", display=WIDE_ONLY),
                        rx.table.column_header_cell(""))),
                    rx.table.body(rx.foreach(R.items, _queue_row)),
                    width="100%", id="review-queue",
                ), width="100%", overflow_x="auto"),
                rx.text("Nothing waits for review.", color_scheme="gray", id="queue-empty"),
            ),
            spacing="4",
            width="100%",
        ),
    )
