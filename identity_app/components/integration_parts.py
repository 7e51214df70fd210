"""What the Integrations tab's sections share: a card per section, a list of rows that wrap
(tables would hide their buttons beyond a phone's width), a button that asks first, a checkbox
with its label."""
from __future__ import annotations

import reflex as rx

ROW_CLASS = "integration-row"  # what the tests find a listed key, endpoint or delivery by


def section(title: str, intro: str, *children: rx.Component, section_id: str) -> rx.Component:
    return rx.card(
        rx.vstack(rx.heading(title, size="4", as_="h2"), rx.text(intro, size="2", color_scheme="gray"),
                  *children, spacing="3", width="100%"),
        width="100%", id=section_id,
    )


def rows(items: rx.Var, row, list_id: str, empty: str) -> rx.Component:
    """The listed items (`row` draws one), or a line saying there are none."""
    return rx.cond(items.length() > 0,  # type: ignore[attr-defined]
                   rx.vstack(rx.foreach(items, row), spacing="2", width="100%", id=list_id, role="list"),
                   rx.text(empty, size="2", color_scheme="gray"))


def row(*lines: rx.Component) -> rx.Component:
    """One listed item: lines that wrap, in a thin box."""
    return rx.vstack(*lines, spacing="1", width="100%", class_name=ROW_CLASS, role="listitem",
                     style={"padding": "0.6rem 0.75rem", "border": "1px solid var(--gray-5)",
                            "border_radius": "6px", "min_width": "0"})


def line(*parts: rx.Component) -> rx.Component:
    return rx.flex(*parts, align="center", spacing="2", wrap="wrap", width="100%")


def small(text: rx.Var | str) -> rx.Component:
    return rx.text(text, size="1", color_scheme="gray")


def confirm(label: str, title: rx.Var | str, description: rx.Var | str, action: str, on_confirm,
            color: str = "red") -> rx.Component:
    """A row's button that asks first (an alert dialog)."""
    return rx.alert_dialog.root(
        rx.alert_dialog.trigger(rx.button(label, size="1", variant="soft", color_scheme=color)),
        rx.alert_dialog.content(
            rx.alert_dialog.title(title),
            rx.alert_dialog.description(description),
            rx.flex(
                rx.alert_dialog.cancel(rx.button("Cancel", variant="soft", color_scheme="gray")),
                rx.alert_dialog.action(rx.button(action, color_scheme=color, on_click=on_confirm)),
                justify="end", spacing="3", margin_top="1rem", wrap="wrap",
            ),
            max_width="28rem",
        ),
    )


def choice(name: str, label: str, detail: str = "") -> rx.Component:
    """A checkbox and its label, which wraps beside the box, not under it (Radix's pattern: the
    box takes the line height of the text it sits in, so it stays level with the first line)."""
    return rx.text(
        rx.el.span(
            rx.checkbox(name=name, id=name),
            rx.el.span(label, *([" ", rx.code(detail, size="1", color_scheme="gray")] if detail else [])),
            style={"display": "flex", "gap": "0.5rem", "align_items": "flex-start"},
        ),
        as_="label", size="2",
    )
