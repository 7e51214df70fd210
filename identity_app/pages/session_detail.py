"""Session detail, the reviewer's workbench: state banner, link actions, the portrait and the
selfie side by side, one card per check (expandable breakdown), extracted fields, the
media in groups with the viewer, the timeline, decision panel, deletion."""
from __future__ import annotations

import reflex as rx

from identity_app import routes
from identity_app.components.copy_button import copy_button
from identity_app.components.layout import console_shell, error_callout, info_callout
from identity_app.components.media_gallery import media_section
from identity_app.components.zoom_viewer import workbench_script, zoom_viewer
from identity_app.state.media_viewer import MediaViewerState as V
from identity_app.state.rows import CheckRow, DecisionRow, SubCheckRow
from identity_app.state.session_detail import SessionDetailState as S
from identity_app.state.session_link import SessionLinkState as L
from identity_app.state.workbench_rows import TimelineRow


def recommendation_badge(value: rx.Var) -> rx.Component:
    return rx.badge(value, color_scheme=rx.match(value, ("APPROVE", "green"), ("REJECT", "red"),
                                                 ("NOT_AVAILABLE", "amber"), "gray"), size="2")


def result_badge(value: rx.Var) -> rx.Component:
    return rx.badge(value, color_scheme=rx.cond(value == "PASS", "green", "red"))


def state_banner() -> rx.Component:
    return rx.callout(
        rx.vstack(
            rx.hstack(rx.text("Session state:"), rx.text(S.state_label, weight="bold", id="session-state"),
                      spacing="2"),
            rx.cond(S.progress != "", rx.text(S.progress, size="2", id="session-progress")),
            spacing="1",
        ),
        # A spinner only while the checks run: a link nobody opened yet is a wait, not work.
        icon=rx.match(S.state_label, ("COMPLETED", "circle_check"), ("EXPIRED", "clock"),
                      rx.match(S.progress_kind, ("WAITING_FOR_PERSON", "mail"), ("CAPTURING", "smartphone"),
                               ("REVIEW", "eye"), "loader")),
        color_scheme=rx.match(S.state_label, ("COMPLETED", "green"), ("EXPIRED", "gray"),
                              rx.cond(S.progress_kind == "REVIEW", "amber", "blue")),
        width="100%",
        role="status",
    )


def _info(label: str, value: rx.Var) -> rx.Component:
    return rx.hstack(rx.text(label, color_scheme="gray", size="2", min_width="9rem"), rx.text(value, size="2"),
                     width="100%")


def summary() -> rx.Component:
    return rx.card(
        rx.vstack(
            _info("Email", S.user_email),
            _info("Reference", S.reference),
            _info("Created", S.created),
            _info("Link expires", S.expires),
            rx.cond(S.completed != "", _info("Completed", S.completed)),
            rx.hstack(
                rx.text("Link", color_scheme="gray", size="2", min_width="9rem"),
                rx.code(S.link, id="session-link", style={"word_break": "break-all"}),
                copy_button(rx.icon("copy", size=14), "Copy", source_id="session-link",
                            status_id="session-link-copied", done="Copied", size="1", variant="soft"),
                align="center",
                width="100%",
                wrap="wrap",
            ),
            rx.cond(S.can_manage_link, link_actions()),
            rx.hstack(
                # A plain download: reload_document keeps the page router off the API route (issue 14 item 1).
                rx.el.a(rx.icon("file_down", size=14), "Download PDF report",
                        href=routes.session_report_path(S.session_id_value), download="", reload_document=True,
                        id="report-pdf", style={"display": "inline-flex", "gap": "0.35rem", "align_items": "center",
                                                "font_size": "0.875rem", "color": "var(--accent-11)"}),
            ),
            spacing="2",
            width="100%",
        ),
        width="100%",
    )


def link_actions() -> rx.Component:
    """Email the link again, or regenerate it after a confirmation (the old link stops working)."""
    return rx.hstack(
        rx.button(rx.icon("mail", size=14), "Email the link again", size="1", variant="soft", on_click=L.resend),
        rx.alert_dialog.root(
            rx.alert_dialog.trigger(rx.button(rx.icon("refresh_cw", size=14), "Regenerate link", size="1",
                                              variant="soft", color_scheme="orange")),
            rx.alert_dialog.content(
                rx.alert_dialog.title("Make a new link?"),
                rx.alert_dialog.description("The current link stops working at once. Send the new one to the "
                                            "person (Email the link again)."),
                rx.hstack(
                    rx.alert_dialog.cancel(rx.button("Cancel", variant="soft", color_scheme="gray")),
                    rx.alert_dialog.action(rx.button("Make a new link", color_scheme="orange", on_click=L.regenerate)),
                    justify="end", spacing="3", margin_top="1rem",
                ),
            ),
        ),
        spacing="2", wrap="wrap", id="link-actions",
    )


def compare_panel() -> rx.Component:
    """The workbench: the document's portrait and the selfie side by side, large, each zoomable and pannable."""
    return rx.card(
        rx.heading("Portrait and selfie", size="4", as_="h2", margin_bottom="0.5rem"),
        rx.flex(
            zoom_viewer("portrait", "Document portrait", V.portrait_url, "Document portrait", "compare-portrait"),
            zoom_viewer("selfie", "Selfie", V.selfie_url, "Selfie", "compare-selfie"),
            gap="4", width="100%", direction=rx.breakpoints(initial="column", md="row"),
        ),
        width="100%", id="compare",
    )


def _timeline_entry(e: TimelineRow) -> rx.Component:
    return rx.el.li(
        rx.hstack(
            rx.text(e.at, size="1", color_scheme="gray", min_width="8.5rem"),
            rx.badge(e.category, size="1", variant="soft", color_scheme=rx.match(
                e.category, ("CHECK", "blue"), ("REVIEW", "violet"), ("DECISION", "green"), ("DELETION", "red"),
                ("CAPTURE", "cyan"), ("LINK", "amber"), "gray")),
            rx.text(e.title, size="2", weight="medium"),
            rx.cond(e.detail != "", rx.text(e.detail, size="2", color_scheme="gray")),
            rx.text("· " + e.by, size="1", color_scheme="gray"),
            wrap="wrap", spacing="2", align="center",
        ),
        style={"padding": "0.3rem 0", "border_bottom": "1px solid var(--gray-4)"},
    )


def timeline() -> rx.Component:
    return rx.card(
        rx.heading("Timeline", size="4", as_="h2", margin_bottom="0.5rem"),
        rx.el.ol(rx.foreach(S.timeline, _timeline_entry), id="timeline",
                 style={"list_style": "none", "padding": "0", "margin": "0"}),
        width="100%",
    )


def _sub_check(s: SubCheckRow) -> rx.Component:
    return rx.table.row(
        rx.table.cell(rx.vstack(rx.text(s.label, size="2"), rx.code(s.sub_check, size="1", color_scheme="gray"),
                                spacing="0")),
        rx.table.cell(result_badge(s.result)),
        rx.table.cell(rx.badge(s.process, variant="surface",
                               color_scheme=rx.cond(s.process == "EXPERT_REVIEW", "violet", "gray"))),
        rx.table.cell(rx.vstack(rx.foreach(s.details, lambda d: rx.text(d.name + ": " + d.value, size="1")),
                                spacing="0")),
    )


def _failed_sub_check(s: SubCheckRow) -> rx.Component:
    return rx.el.li(
        rx.text(s.label, weight="bold", size="2"),
        rx.cond(s.details.length() > 0,
                rx.text("Looked at: ", rx.foreach(s.details, lambda d, i: rx.text.span(
                    rx.cond(i > 0, " · ", ""), d.name + ": " + d.value)), size="1", color_scheme="gray")),
        class_name="failed-sub-check",
    )


def why_rejected(c: CheckRow) -> rx.Component:
    """Why the check said REJECT, in plain view: the sub-checks that failed and what each looked at.
    Document authenticity and liveness have no manual check: this is what the overall decision weighs."""
    return rx.callout.root(
        rx.callout.text(rx.text("Why it was rejected: " + c.failed.length().to_string() + " of "
                                + c.breakdown.length().to_string() + " sub-checks failed", weight="bold")),
        rx.el.ul(rx.foreach(c.failed, _failed_sub_check), style={"padding_left": "1.2rem", "margin": "0"}),
        rx.callout.text(rx.cond(c.process == "EXPERT_REVIEW",
                                "A person reviewed this check.",
                                "No one reviews this check by hand: weigh it with the images below in your "
                                "decision."), size="1"),
        color_scheme="red", variant="surface", width="100%", class_name="why-rejected",
    )


def check_card(c: CheckRow) -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.heading(c.label, size="4", as_="h3"),
                rx.text("attempt " + c.attempt.to_string(), size="2", color_scheme="gray"),
                rx.spacer(),
                recommendation_badge(c.recommendation),
                rx.badge(rx.cond(c.process == "EXPERT_REVIEW", "Reviewed by a person", "Automated"),
                         variant="outline", color_scheme=rx.cond(c.process == "EXPERT_REVIEW", "violet", "gray")),
                align="center",
                width="100%",
                wrap="wrap",
            ),
            rx.cond(c.reason != "", rx.text("Reason: ", rx.code(c.reason), size="2")),
            rx.cond(c.recovery_suggestion != "", rx.text("Recovery suggestion: " + c.recovery_suggestion, size="2")),
            rx.cond((c.recommendation == "REJECT") & (c.failed.length() > 0), why_rejected(c)),
            rx.cond(c.review_state == "PENDING",
                    rx.text("Waiting for manual review (" + c.manual_check + ").", size="2", color_scheme="amber")),
            rx.cond(c.reviewed != "", rx.text("Manual review: " + c.reviewed + " — " + c.review_reason, size="2")),
            rx.text("Check state: " + c.state, size="1", color_scheme="gray"),
            rx.accordion.root(
                rx.accordion.item(
                    header="Breakdown (" + c.breakdown.length().to_string() + " sub-checks)",
                    content=rx.table.root(
                        rx.table.header(rx.table.row(
                            rx.table.column_header_cell("Sub-check"), rx.table.column_header_cell("Result"),
                            rx.table.column_header_cell("Process"), rx.table.column_header_cell("Details"))),
                        rx.table.body(rx.foreach(c.breakdown, _sub_check)),
                        size="1",
                        width="100%",
                    ),
                    value="breakdown",
                ),
                type="single",
                collapsible=True,
                width="100%",
                variant="ghost",
            ),
            spacing="2",
            width="100%",
        ),
        width="100%",
        class_name="check-card",
    )


def fields_table() -> rx.Component:
    return rx.card(
        rx.heading("Extracted document fields", size="4", as_="h2", margin_bottom="0.5rem"),
        rx.cond(
            S.fields.length() > 0,
            rx.table.root(
                rx.table.body(rx.foreach(S.fields, lambda f: rx.table.row(
                    rx.table.row_header_cell(f.name), rx.table.cell(rx.code(f.value))))),
                size="1", width="100%", id="document-fields",
            ),
            rx.text("No document fields were extracted.", color_scheme="gray", size="2"),
        ),
        width="100%",
    )


def delete_session_dialog() -> rx.Component:
    return rx.dialog.root(
        rx.dialog.trigger(rx.button("Delete session", color_scheme="red")),
        rx.dialog.content(
            rx.dialog.title("Delete this session"),
            rx.dialog.description("Every record of it goes: media, reports, details and the decision. "
                                  "This cannot be undone."),
            rx.form(
                rx.vstack(
                    rx.el.label("Type DELETE to confirm", html_for="confirmation", font_size="0.9rem"),
                    rx.input(id="confirmation", name="confirmation", autocomplete="off", width="100%"),
                    rx.hstack(
                        rx.dialog.close(rx.button("Cancel", variant="soft", color_scheme="gray", type="button")),
                        rx.button("Delete session permanently", color_scheme="red", type="submit"),
                        justify="end", spacing="3", width="100%",
                    ),
                    spacing="3",
                    margin_top="1rem",
                ),
                on_submit=S.delete_session,
            ),
        ),
    )


def _decision_row(d: DecisionRow) -> rx.Component:
    return rx.table.row(rx.table.cell(recommendation_badge(d.value)), rx.table.cell(d.note),
                        rx.table.cell(d.by), rx.table.cell(d.at))


def decision_panel() -> rx.Component:
    return rx.card(
        rx.heading("Decision", size="4", as_="h2", margin_bottom="0.5rem"),
        rx.cond(
            S.decisions.length() > 0,
            rx.vstack(
                rx.hstack(rx.text("Current decision:"), recommendation_badge(S.decisions[0].value),
                          rx.text("by " + S.decisions[0].by + " at " + S.decisions[0].at, size="2"),
                          id="current-decision", align="center"),
                rx.table.root(
                    rx.table.header(rx.table.row(
                        rx.table.column_header_cell("Decision"), rx.table.column_header_cell("Note"),
                        rx.table.column_header_cell("By"), rx.table.column_header_cell("When"))),
                    rx.table.body(rx.foreach(S.decisions, _decision_row)),
                    size="1", width="100%", id="decision-history",
                ),
                width="100%",
            ),
            rx.text("No decision yet.", color_scheme="gray", size="2"),
        ),
        rx.cond(
            S.can_decide,
            rx.form(
                rx.vstack(
                    rx.radio_group.root(
                        rx.hstack(
                            rx.el.label(rx.radio_group.item(value="APPROVE"), "Approve",
                                        style={"display": "flex", "gap": "0.4rem", "align_items": "center"}),
                            rx.el.label(rx.radio_group.item(value="REJECT"), "Reject",
                                        style={"display": "flex", "gap": "0.4rem", "align_items": "center"}),
                            spacing="4",
                        ),
                        name="value", required=True,
                    ),
                    rx.el.label("Note", html_for="note", font_size="0.9rem"),
                    rx.text_area(id="note", name="note", placeholder="Why this decision", width="100%"),
                    rx.button("Save decision", type="submit"),
                    spacing="2", margin_top="0.75rem", width="100%",
                ),
                on_submit=S.decide,
                reset_on_submit=True,
            ),
            rx.text(rx.cond(S.may_decide, "A decision can be made once the session is completed.",
                            "Decisions are made by users with the 'Make decisions' permission."),
                    id="decision-hint", size="2", color_scheme="gray", margin_top="0.5rem"),
        ),
        width="100%",
    )


def session_detail_page() -> rx.Component:
    return console_shell(
        rx.vstack(
            workbench_script(),
            rx.link("← Sessions", href=routes.application_path(S.app_id_value), size="2"),
            error_callout(S.error),
            info_callout(S.notice),
            rx.cond(
                S.found,
                rx.vstack(
                    rx.hstack(rx.heading(S.user_name, size="6", as_="h1"), rx.spacer(),
                              rx.cond(S.can_delete_session, delete_session_dialog()), width="100%"),
                    state_banner(),
                    summary(),
                    rx.cond(S.has_media, compare_panel()),
                    rx.heading("Checks", size="5", as_="h2"),
                    rx.cond(S.checks.length() > 0, rx.vstack(rx.foreach(S.checks, check_card), width="100%"),
                            rx.text("No checks yet.", color_scheme="gray")),
                    fields_table(),
                    media_section(),
                    decision_panel(),
                    timeline(),
                    spacing="4",
                    width="100%",
                ),
            ),
            spacing="4",
            width="100%",
        ),
    )
