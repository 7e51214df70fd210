"""An application's main page: its sessions, with search, filters, creation and bulk upload."""
from __future__ import annotations

import reflex as rx

from identity_app import routes
from identity_app.components.app_tabs import app_tabs
from identity_app.components.copy_button import copy_button
from identity_app.components.layout import (console_shell, count_of, feedback, labelled_input, page_feedback,
                                            scroll_x)
from identity_app.components.when import timestamp
from identity_app.models import SessionState
from identity_app.services.sessions.bulk import RowError
from identity_app.services.sessions.search import SessionRow
from identity_app.state.new_sessions import NewSessionsState as N
from identity_app.state.sessions_list import SessionsListState as S


def state_badge(label: rx.Var) -> rx.Component:
    return rx.match(label,
                    ("IN PROGRESS", rx.badge("IN PROGRESS", color_scheme="blue")),
                    ("COMPLETED", rx.badge("COMPLETED", color_scheme="green")),
                    ("EXPIRED", rx.badge("EXPIRED", color_scheme="gray")),
                    rx.badge(label))


def decision_badge(value: rx.Var) -> rx.Component:
    return rx.match(value,
                    ("APPROVE", rx.badge("APPROVED", color_scheme="green", variant="outline")),
                    ("REJECT", rx.badge("REJECTED", color_scheme="red", variant="outline")),
                    rx.text("—", color_scheme="gray"))


def _select(name: str, label: str, key: str, items: list[tuple[str, str]]) -> rx.Component:
    """A filter applied as it changes; `key` names it in the list's filters."""
    return rx.vstack(
        rx.el.label(label, html_for=name, font_size="0.9rem", font_weight="500"),
        rx.el.select(*[rx.el.option(text, value=v) for v, text in items], id=name, name=name,
                     value=S.filters[key], on_change=lambda v: S.set_filter(key, v),
                     style={"padding": "0.4rem", "border": "1px solid var(--gray-7)", "border_radius": "6px"}),
        spacing="1",
    )


def _date(name: str, label: str, key: str) -> rx.Component:
    return rx.vstack(
        rx.el.label(label, html_for=name, font_size="0.9rem", font_weight="500"),
        rx.input(id=name, name=name, type="date", value=S.filters[key], on_change=lambda v: S.set_filter(key, v)),
        spacing="1",
    )


def _filters() -> rx.Component:
    return rx.form(
        rx.hstack(
            rx.box(rx.vstack(
                rx.el.label("Search name, email or reference", html_for="q", font_size="0.9rem", font_weight="500"),
                rx.input(id="q", name="q", value=S.filters["q"], on_change=S.set_q, type="search", width="100%",
                         placeholder="e.g. lovelace, @example.com, CUST-1"),
                spacing="1", width="100%"), flex="2", min_width="16rem"),
            rx.button("Search", type="submit"),
            _select("state_filter", "State", "state", [("", "Any")] + [(s.value, s.label) for s in SessionState]),
            _select("decision_filter", "Decision", "decision", [("", "Any"), ("APPROVE", "Approved"),
                                                                ("REJECT", "Rejected"), ("NONE", "No decision")]),
            _select("review_filter", "Review", "review", [("", "Any"), ("PENDING", "Needs review")]),
            _date("date_from", "Created from", "from"),
            _date("date_to", "Created to", "to"),
            rx.button("Clear", type="button", variant="soft", on_click=S.clear_filters),
            align="end", wrap="wrap", width="100%",
        ),
        on_submit=S.apply_filters,
        width="100%",
        role="search",
    )


# On a phone the email and reference columns fold under the name, so that the state and the
# decision stay in view (the table still scrolls in its own box if a name is long).
WIDE_ONLY = rx.breakpoints(initial="none", sm="table-cell")
NARROW_ONLY = rx.breakpoints(initial="block", sm="none")


def _row(r: SessionRow) -> rx.Component:
    return rx.table.row(
        # The review marker beside the name: the first column stays in view on a phone.
        rx.table.cell(
            rx.hstack(rx.link(r.shown_name, href=routes.session_detail_path(S.app_id_value, r.id)),
                      rx.cond(r.needs_review, rx.badge("NEEDS REVIEW", color_scheme="amber",
                                                       class_name="needs-review")),
                      spacing="2", wrap="wrap", align="center"),
            rx.text(r.user_email + rx.cond(r.reference != "", " · " + r.reference, ""), size="1", color_scheme="gray",
                    display=NARROW_ONLY, overflow_wrap="anywhere"),
            rx.text(timestamp(r.created_at) + " UTC", size="1", color_scheme="gray", display=NARROW_ONLY),
            min_width="9rem",
        ),
        rx.table.cell(r.user_email, display=WIDE_ONLY),
        rx.table.cell(r.reference, display=WIDE_ONLY),
        # Under IN PROGRESS, whom the session waits for (a link nobody opened is not work under way).
        rx.table.cell(rx.vstack(
            state_badge(r.state_label),
            rx.match(r.progress_kind,
                     ("WAITING_FOR_PERSON", rx.text("link not opened", size="1", color_scheme="gray",
                                                    class_name="session-progress")),
                     ("CAPTURING", rx.text("capture under way", size="1", color_scheme="gray",
                                           class_name="session-progress")),
                     ("CHECKING", rx.text("checks running", size="1", color_scheme="gray",
                                          class_name="session-progress")),
                     rx.fragment()),
            spacing="1", align="start",
        )),
        rx.table.cell(decision_badge(r.decision)),
        rx.table.cell(timestamp(r.created_at), white_space="nowrap", display=WIDE_ONLY),
    )


def _sort_button(key: str, label: str) -> rx.Component:
    return rx.button(label, size="1", variant=rx.cond(S.filters["sort"] == key, "solid", "soft"),
                     on_click=S.set_filter("sort", key))


def _list() -> rx.Component:
    return rx.vstack(
        rx.hstack(
            rx.text(count_of(S.total, "session", "sessions"), weight="medium", id="sessions-total"),
            rx.spacer(),
            rx.text("Sort:", size="2"),
            _sort_button("created", "Created"), _sort_button("name", "Name"), _sort_button("state", "State"),
            rx.button(rx.cond(S.filters["dir"] == "desc", "↓ descending", "↑ ascending"), size="1", variant="outline",
                      on_click=S.set_filter("dir", rx.cond(S.filters["dir"] == "desc", "asc", "desc")),
                      aria_label="Sort direction"),
            # Reflex renders rx.el.a as React Router's Link, whose client-side router took the API route
            # for a page ("404: Page not found"): reload_document hands the click to the browser, which
            # downloads from the authenticated route.
            rx.el.a("Export CSV", href=S.export_url, download="", reload_document=True, id="export-csv",
                    style={"font_size": "0.85rem", "padding": "0.2rem 0.6rem", "border": "1px solid var(--accent-8)",
                           "border_radius": "4px", "color": "var(--accent-11)", "text_decoration": "none"}),
            align="center", width="100%", wrap="wrap",
        ),
        feedback(S, "list"),
        scroll_x(rx.table.root(
            rx.table.header(rx.table.row(*[
                rx.table.column_header_cell(h, display=None if h in ("Name", "State", "Decision") else WIDE_ONLY)
                for h in ("Name", "Email", "Reference", "State", "Decision", "Created (UTC)")])),
            rx.table.body(rx.foreach(S.rows, _row)),
            width="100%", id="sessions-table",
        )),
        rx.cond(S.total == 0, rx.text("No sessions match.", color_scheme="gray")),
        rx.hstack(
            rx.button("Previous", size="1", variant="soft", disabled=S.page <= 1, on_click=S.go_page(-1)),
            rx.text("Page " + S.page.to_string() + " of " + S.pages.to_string(), size="2"),
            rx.button("Next", size="1", variant="soft", disabled=S.page >= S.pages, on_click=S.go_page(1)),
            align="center",
        ),
        width="100%",
    )


def _new_session_result() -> rx.Component:
    return rx.cond(
        N.created,
        rx.card(
            rx.hstack(
                rx.vstack(
                    rx.heading("Session created", size="4", as_="h2"),
                    rx.text("For " + N.created.user_name + " <" + N.created.user_email + ">. Send this personal "
                            "link; it opens on a phone too (scan the QR code)."),
                    rx.code(N.created.link, id="session-link", style={"word_break": "break-all"}),
                    rx.hstack(
                        copy_button("Copy link", source_id="session-link", status_id="link-copied",
                                    done="Link copied", key=N.created.session_id, size="2"),
                        rx.button("Send by email", on_click=N.send_email, size="2", variant="soft"),
                        rx.link(rx.button("Open session", size="2", variant="outline"),
                                href=routes.session_detail_path(S.app_id_value, N.created.session_id)),
                        rx.button("Close", on_click=N.close_new, size="2", variant="ghost"),
                        wrap="wrap", align="center",
                    ),
                    feedback(S, "created"),
                    spacing="2", flex="1 1 16rem", min_width="0",
                ),
                rx.image(src=N.created.qr_svg_data_uri, alt="QR code of the session link", width="180px",
                         height="180px", id="session-qr"),
                align="start", width="100%", wrap="wrap",
            ),
            width="100%",
        ),
    )


def _create_form() -> rx.Component:
    return rx.card(
        rx.heading("New session", size="4", margin_bottom="0.5rem", as_="h2"),
        rx.form(
            rx.hstack(
                rx.box(labelled_input("Name", "user_name", required=True), flex="1", min_width="12rem"),
                rx.box(labelled_input("Email", "user_email", "email", required=True), flex="1", min_width="12rem"),
                rx.box(labelled_input("Reference (optional)", "reference"), flex="1", min_width="10rem"),
                rx.el.label(rx.checkbox(name="send_email"), "Email the link",
                            style={"display": "flex", "gap": "0.4rem", "align_items": "center"}),
                rx.button("Create session", type="submit"),
                align="end", wrap="wrap", width="100%",
            ),
            on_submit=N.create,
            reset_on_submit=True,
        ),
        rx.box(feedback(S, "create"), margin_top="0.5rem"),
        width="100%",
    )


def _bulk_error(e: RowError) -> rx.Component:
    return rx.table.row(rx.table.cell("Line " + e.line.to_string()), rx.table.cell(e.reason))


def _bulk_form() -> rx.Component:
    return rx.card(
        rx.heading("Create many sessions from a CSV file", size="4", margin_bottom="0.5rem", as_="h2"),
        rx.text("Columns name, email and an optional reference, with a header line; at most 5,000 rows (2 MB). "
                "Valid rows are created; invalid rows are listed with their line number and create nothing.",
                size="2", color_scheme="gray"),
        rx.hstack(
            rx.upload(
                rx.text(rx.cond(rx.selected_files("bulk_csv").length() > 0,
                                rx.selected_files("bulk_csv")[0], "Drop a .csv file here or click to choose"),
                        size="2"),
                id="bulk_csv", accept={"text/csv": [".csv"], "text/plain": [".csv", ".txt"]}, max_files=1,
                multiple=False, border="1px dashed var(--gray-7)", padding="0.75rem", border_radius="6px",
            ),
            rx.el.label(rx.checkbox(checked=N.bulk_email, on_change=N.set_bulk_email, id="bulk_email"),
                        "Email each person their link",
                        style={"display": "flex", "gap": "0.4rem", "align_items": "center"}),
            rx.button("Upload and create", on_click=N.upload_bulk(rx.upload_files(upload_id="bulk_csv"))),
            align="center", wrap="wrap", margin_top="0.5rem",
        ),
        rx.cond(N.bulk_message != "",
                rx.callout(N.bulk_message, icon="info", margin_top="0.5rem", id="bulk-result",
                           color_scheme=rx.cond(N.bulk_errors.length() > 0, "orange", "blue"))),
        rx.cond(N.bulk_errors.length() > 0,
                rx.table.root(rx.table.body(rx.foreach(N.bulk_errors, _bulk_error)), id="bulk-errors",
                              size="1")),
        rx.cond(N.bulk_unsent.length() > 0,
                rx.hstack(rx.text(count_of(N.bulk_unsent.length(), "link has", "links have") + " not been emailed.",
                                  size="2"),
                          rx.button("Email the links", size="2", variant="soft", on_click=N.email_batch),
                          align="center", wrap="wrap", margin_top="0.5rem")),
        rx.box(feedback(S, "bulk"), margin_top="0.5rem"),
        width="100%",
    )


def sessions_list_page() -> rx.Component:
    return console_shell(
        rx.vstack(
            rx.link("← Applications", href=routes.HOME, size="2"),
            rx.hstack(rx.heading(S.application_name, size="6", as_="h1"),
                      rx.cond(S.is_active, rx.fragment(), rx.badge("Deactivated", color_scheme="orange")),
                      align="center"),
            app_tabs(S.app_id_value, "sessions"),
            page_feedback(S),
            rx.cond(S.can_create & S.is_active, rx.vstack(_create_form(), _new_session_result(), _bulk_form(),
                                                          width="100%", spacing="3")),
            _filters(),
            _list(),
            spacing="4",
            width="100%",
        ),
    )
