"""Page frames: a centred card for the sign-in pages, a shell for the console."""
from __future__ import annotations

import reflex as rx

from identity_app import routes
from identity_app.state.base import ConsoleState


def error_callout(message: rx.Var) -> rx.Component:
    return rx.cond(
        message != "",
        rx.callout(message, icon="triangle_alert", color_scheme="red", role="alert", width="100%"),
    )


def info_callout(message: rx.Var) -> rx.Component:
    return rx.cond(message != "", rx.callout(message, icon="info", width="100%"))


def auth_card(title: str, *children: rx.Component) -> rx.Component:
    return rx.center(
        rx.card(
            rx.vstack(
                rx.heading("Identity Verification", size="3", color_scheme="gray"),
                rx.heading(title, size="6", as_="h1"),
                *children,
                spacing="4",
                width="100%",
            ),
            width="100%",
            max_width="28rem",
            size="3",
        ),
        min_height="100vh",
        padding="1rem",
        background="var(--gray-2)",
    )


def labelled_input(label: str, name: str, type_: str = "text", **props) -> rx.Component:
    return rx.vstack(
        rx.el.label(label, html_for=name, font_size="0.9rem", font_weight="500"),
        rx.input(id=name, name=name, type=type_, width="100%", **props),
        spacing="1",
        width="100%",
    )


def console_shell(*children: rx.Component, title: str = "") -> rx.Component:
    return rx.box(
        rx.hstack(
            rx.link(rx.heading("Identity Verification", size="4"), href=routes.HOME, underline="none"),
            rx.spacer(),
            rx.menu.root(
                rx.menu.trigger(rx.button(ConsoleState.operator_name, variant="soft", aria_label="Account menu")),
                rx.menu.content(
                    rx.menu.item(ConsoleState.operator_email, disabled=True),
                    rx.menu.separator(),
                    rx.menu.item("Sign out", on_select=ConsoleState.sign_out),
                ),
            ),
            padding="0.75rem 1.25rem",
            border_bottom="1px solid var(--gray-5)",
            align="center",
            width="100%",
        ),
        rx.box(
            rx.cond(title != "", rx.heading(title, size="6", as_="h1", margin_bottom="1rem")),
            *children,
            padding="1.25rem",
            max_width="72rem",
            margin="0 auto",
        ),
        min_height="100vh",
    )
