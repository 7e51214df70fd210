"""An application's dashboard: sessions per day, the capture funnel, pass rates per check, time to
complete and the reviews waiting, over the last 7, 30 or 90 days."""
from __future__ import annotations

import reflex as rx

from identity_app import routes
from identity_app.components.app_tabs import app_tabs
from identity_app.components.charts import bar_chart, chart_card, horizontal_bars, line_chart, stat
from identity_app.components.layout import console_shell, error_callout
from identity_app.state.dashboard import DashboardState as D

RANGE_CHOICES = (("7", "7 days"), ("30", "30 days"), ("90", "90 days"))


def _range() -> rx.Component:
    return rx.hstack(
        rx.text("Range", size="2", weight="medium", id="range-label"),
        rx.segmented_control.root(
            *[rx.segmented_control.item(label, value=value) for value, label in RANGE_CHOICES],
            value=D.days, on_change=D.set_days, aria_labelledby="range-label", id="range",
        ),
        align="center", spacing="3", wrap="wrap",
    )


def _table(headers: list[str], rows: rx.Var, cells, table_id: str) -> rx.Component:
    return rx.box(
        rx.table.root(
            rx.table.header(rx.table.row(*[rx.table.column_header_cell(h) for h in headers])),
            rx.table.body(rx.foreach(rows, lambda r: rx.table.row(*cells(r)))),
            size="1", width="100%", id=table_id,
        ),
        overflow_x="auto", width="100%",
    )


def _per_day() -> rx.Component:
    return chart_card(
        "Sessions per day",
        line_chart(D.per_day, "day", ["Created", "Completed", "Expired"]),
        rx.text(D.totals["created"], " created, ", D.totals["completed"], " completed and ", D.totals["expired"],
                " expired in the range (completed and expired by the day it happened, UTC).", size="2",
                color_scheme="gray"),
        card_id="per-day",
    )


def _funnel() -> rx.Component:
    return chart_card(
        "From link to completed",
        horizontal_bars(D.funnel, "step", ["Sessions"], height=280),
        _table(["Step", "Sessions", "Of created", "Dropped (of the step before)"], D.funnel,
               lambda r: [rx.table.row_header_cell(r["step"]), rx.table.cell(r["Sessions"]), rx.table.cell(r["share"]),
                          rx.table.cell(r["drop"])], "funnel-table"),
        rx.text("Sessions created in the range, by the furthest step each reached.", size="1", color_scheme="gray"),
        card_id="funnel",
    )


def _pass_rates() -> rx.Component:
    return chart_card(
        "Pass rates per check",
        horizontal_bars(D.pass_rates, "check", ["Approved", "Rejected", "Not available"], stacked=True, legend=True,
                        height=240),
        _table(["Check", "Runs", "Approved", "Pass rate"], D.pass_rates,
               lambda r: [rx.table.row_header_cell(r["check"]), rx.table.cell(r["runs"]), rx.table.cell(r["Approved"]),
                          rx.table.cell(r["rate"])], "pass-rate-table"),
        rx.text("Every check run with a result (each liveness attempt counts), of the sessions created in the range.",
                size="1", color_scheme="gray"),
        card_id="pass-rates",
    )


def _times() -> rx.Component:
    return chart_card(
        "Time to complete",
        bar_chart(D.time_buckets, "bucket", ["Sessions"], legend=False, height=220),
        rx.text("Median ", rx.text.strong(D.totals["median"], id="median-time"), ", 90th percentile ",
                rx.text.strong(D.totals["p90"], id="p90-time"), " over ", D.totals["timed"],
                " sessions completed in the range, from the link opened to the checks completed.", size="2"),
        card_id="times",
    )


def _reviews() -> rx.Component:
    return chart_card(
        "Reviews waiting",
        bar_chart(D.age_buckets, "bucket", ["Reviews"], legend=False, height=220),
        rx.cond(D.totals["waiting"] == "0",
                rx.text("No check waits for a person now.", size="2", id="reviews-waiting"),
                rx.text(rx.text.strong(D.totals["waiting"]), " checks wait for a person now; the oldest for ",
                        D.totals["oldest"], ", half of them for more than ", D.totals["median_age"], ".", size="2",
                        id="reviews-waiting")),
        rx.link("Open the review queue", href=routes.review_queue_path(D.app_id_value), size="2"),
        card_id="reviews",
    )


def _body() -> rx.Component:
    return rx.vstack(
        _range(),
        rx.grid(stat("Created", D.totals["created"], "stat-created"),
                stat("Completed", D.totals["completed"], "stat-completed"),
                stat("Completion rate", D.totals["completion"], "stat-completion"),
                stat("Reviews waiting", D.totals["waiting"], "stat-waiting"),
                columns=rx.breakpoints(initial="2", md="4"), spacing="3", width="100%"),
        _per_day(),
        rx.grid(_funnel(), _pass_rates(), _times(), _reviews(),
                columns=rx.breakpoints(initial="1", md="2"), spacing="4", width="100%"),
        spacing="4", width="100%",
    )


def dashboard_page() -> rx.Component:
    return console_shell(
        rx.vstack(
            rx.link("← Applications", href=routes.HOME, size="2"),
            rx.heading(D.application_name, size="6", as_="h1"),
            app_tabs(D.app_id_value, "dashboard"),
            error_callout(D.error),
            rx.cond(D.loaded, _body()),
            spacing="4", width="100%",
        ),
    )
