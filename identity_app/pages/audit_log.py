"""The audit log: who did what, when, with filters."""
from __future__ import annotations

import reflex as rx

from identity_app.components.layout import console_shell, count_of, error_callout, scroll_x
from identity_app.components.when import timestamp
from identity_app.services.audit_log import AuditRow
from identity_app.state.audit_log import AuditLogState as A


def _filter(label: str, name: str, value: rx.Var, type_: str = "text") -> rx.Component:
    return rx.vstack(
        rx.el.label(label, html_for=f"audit-{name}", font_size="0.85rem"),
        rx.input(id=f"audit-{name}", name=name, type=type_, default_value=value, size="2"),
        spacing="1",
    )


def filters() -> rx.Component:
    return rx.form(
        rx.hstack(
            _filter("Operator email", "operator", A.filters["operator"]),
            rx.vstack(
                rx.el.label("Action", html_for="audit-action", font_size="0.85rem"),
                rx.el.select(
                    rx.el.option("All actions", value="ALL"),
                    rx.foreach(A.actions, lambda a: rx.el.option(a[1], value=a[0])),
                    id="audit-action", name="action", default_value=A.filters["action"],
                    style={"height": "2rem", "padding": "0 0.5rem"},
                ),
                spacing="1",
            ),
            _filter("Session", "session", A.filters["session"]),
            _filter("From", "date_from", A.filters["date_from"], "date"),
            _filter("To", "date_to", A.filters["date_to"], "date"),
            rx.button("Filter", type="submit"),
            rx.button("Clear", type="button", variant="soft", on_click=A.clear_filters),
            align="end",
            wrap="wrap",
            spacing="3",
        ),
        on_submit=A.apply_filters,
    )


def _row(r: AuditRow) -> rx.Component:
    return rx.table.row(
        rx.table.cell(timestamp(r.at, seconds=True), white_space="nowrap"),
        rx.table.cell(r.actor),
        rx.table.cell(rx.text(r.action_label, title=r.action), white_space="nowrap"),
        rx.table.cell(rx.cond(r.application_name != "", r.application_name, r.application_id)),
        rx.table.cell(r.session_id),  # an event of no application or session shows nothing there
        rx.table.cell(r.target),
        rx.table.cell(r.details.map(lambda pair: pair.join("=")).join(", "), size="1"),
        rx.table.cell(r.ip),
    )


def audit_log_page() -> rx.Component:
    return console_shell(
        rx.vstack(
            filters(),
            error_callout(A.error),
            rx.text(count_of(A.total, "event", "events"), size="2", color_scheme="gray", id="audit-total"),
            scroll_x(rx.table.root(
                rx.table.header(rx.table.row(*[rx.table.column_header_cell(h) for h in (
                    "When (UTC)", "Who", "Action", "Application", "Session", "Target", "Details", "IP")])),
                rx.table.body(rx.foreach(A.rows, _row)),
                width="100%", size="1", id="audit-table",
            )),
            rx.hstack(
                rx.button("Previous", size="1", variant="soft", on_click=A.go_page(-1), disabled=A.page <= 1),
                rx.text("Page " + A.page.to_string() + " of " + A.pages.to_string(), size="2"),
                rx.button("Next", size="1", variant="soft", on_click=A.go_page(1), disabled=A.page >= A.pages),
                align="center",
            ),
            spacing="4",
            width="100%",
        ),
        title="Audit log",
    )
