"""Recharts charts as the console draws them: a titled card holding one chart, with a table or
a sentence beside it that says the same in text (screen readers, print, a narrow phone)."""
from __future__ import annotations

import reflex as rx

# One colour per series name, the same on every chart.
COLOURS = {
    "Created": rx.color("blue", 9), "Completed": rx.color("grass", 9), "Expired": rx.color("gray", 9),
    "Sessions": rx.color("indigo", 9), "Approved": rx.color("grass", 9), "Rejected": rx.color("tomato", 9),
    "Not available": rx.color("amber", 9), "Reviews": rx.color("orange", 9),
}


def _common(height: int):
    return {"width": "100%", "height": height, "margin": {"top": 8, "right": 12, "left": 0, "bottom": 4}}


def bar_chart(data: rx.Var, x_key: str, series: list[str], *, stacked: bool = False, height: int = 240,
              legend: bool = True) -> rx.Component:
    """Vertical bars per `x_key`, one bar (or one stacked part) per series."""
    return rx.recharts.bar_chart(
        rx.recharts.cartesian_grid(stroke_dasharray="3 3", vertical=False),
        *[rx.recharts.bar(data_key=name, name=name, fill=COLOURS[name], stack_id="all" if stacked else None,
                          is_animation_active=False) for name in series],
        rx.recharts.x_axis(data_key=x_key, tick_line=False, min_tick_gap=8, font_size=11),
        rx.recharts.y_axis(allow_decimals=False, width=40, font_size=11),
        rx.recharts.graphing_tooltip(),
        *([rx.recharts.legend()] if legend else []),
        data=data, **_common(height),
    )


def horizontal_bars(data: rx.Var, label_key: str, series: list[str], *, stacked: bool = False, height: int = 260,
                    label_width: int = 130, legend: bool = False) -> rx.Component:
    """Bars running left to right, one row per `label_key` (a funnel, a list of checks)."""
    return rx.recharts.bar_chart(
        rx.recharts.cartesian_grid(stroke_dasharray="3 3", horizontal=False),
        *[rx.recharts.bar(data_key=name, name=name, fill=COLOURS[name], stack_id="all" if stacked else None,
                          is_animation_active=False) for name in series],
        rx.recharts.x_axis(type_="number", allow_decimals=False, font_size=11),
        rx.recharts.y_axis(data_key=label_key, type_="category", width=label_width, font_size=11),
        rx.recharts.graphing_tooltip(),
        *([rx.recharts.legend()] if legend else []),
        data=data, layout="vertical", **_common(height),
    )


def line_chart(data: rx.Var, x_key: str, series: list[str], *, height: int = 260) -> rx.Component:
    return rx.recharts.line_chart(
        rx.recharts.cartesian_grid(stroke_dasharray="3 3", vertical=False),
        *[rx.recharts.line(data_key=name, name=name, stroke=COLOURS[name], dot=False, stroke_width=2,
                           is_animation_active=False, type_="linear") for name in series],
        rx.recharts.x_axis(data_key=x_key, tick_line=False, min_tick_gap=12, font_size=11),
        rx.recharts.y_axis(allow_decimals=False, width=40, font_size=11),
        rx.recharts.graphing_tooltip(),
        rx.recharts.legend(),
        data=data, **_common(height),
    )


def chart_card(title: str, chart: rx.Component, *text: rx.Component, card_id: str) -> rx.Component:
    """A card with its heading, the chart (hidden from screen readers) and its text equivalent."""
    return rx.card(
        rx.vstack(
            rx.heading(title, size="3", as_="h2"),
            rx.box(chart, width="100%", aria_hidden="true"),
            *text,
            spacing="3", width="100%",
        ),
        id=card_id, width="100%", min_width="0",
    )


def stat(label: str, value: rx.Var, stat_id: str) -> rx.Component:
    """One figure large, its name small, for the row above the charts."""
    return rx.card(
        rx.vstack(rx.text(label, size="2", color_scheme="gray"), rx.text(value, size="6", weight="bold", id=stat_id),
                  spacing="1"),
        width="100%",
    )
