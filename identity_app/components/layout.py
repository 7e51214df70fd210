"""Page frames: a centred card for the sign-in pages, a shell for the console.

Every page has one h1 (its title) inside one `main` landmark; other headings are h2/h3
(Radix's Heading is an h1 unless told). The console fits a 390 px phone: wide tables
scroll inside their own box (`scroll_x`), never the page."""
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


def feedback(state, at: str) -> rx.Component:
    """The answer to the control named `at` (PageFeedback.feedback_at), shown beside it: the page's
    error as an alert, its notice as a status message (read out by screen readers)."""
    here = state.feedback_at == at
    return rx.fragment(
        rx.cond(here & (state.error != ""), rx.callout(state.error, icon="triangle_alert", color_scheme="red",
                                                        role="alert", width="100%", size="1")),
        rx.cond(here & (state.notice != ""), rx.callout(state.notice, icon="check", color_scheme="green",
                                                         role="status", width="100%", size="1")),
    )


def page_feedback(state) -> rx.Component:
    """The messages of the page's load (no control caused them), at its top."""
    return feedback(state, "")


def scroll_x(*children: rx.Component, **props) -> rx.Component:
    """A wide table in a box of its own that scrolls sideways on a phone, the page staying put."""
    return rx.box(*children, width="100%", max_width="100%", overflow_x="auto", **props)


def count_of(n: rx.Var, one: str, many: str) -> rx.Var:
    """'1 session', '2 sessions', '0 sessions'."""
    return rx.cond(n == 1, "1 " + one, n.to_string() + " " + many)


def auth_card(title: str, *children: rx.Component) -> rx.Component:
    return rx.el.main(rx.center(
        rx.card(
            rx.vstack(
                rx.text("Identity Verification", size="3", weight="bold", color_scheme="gray"),
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
    ))


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
            rx.link(rx.text("Identity Verification", size="4", weight="bold"), href=routes.HOME, underline="none"),
            rx.spacer(),
            rx.menu.root(
                # The accessible name says what the button shows (the name), then what it opens.
                rx.menu.trigger(rx.button(ConsoleState.operator_name, variant="soft",
                                          aria_label=ConsoleState.operator_name + ", account menu",
                                          max_width="12rem", overflow="hidden", text_overflow="ellipsis",
                                          white_space="nowrap", display="inline-block")),
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
        rx.el.main(
            rx.heading(title, size="6", as_="h1", margin_bottom="1rem") if title else rx.fragment(),
            *children,
            padding=rx.breakpoints(initial="0.75rem", sm="1.25rem"),
            max_width="72rem",
            margin="0 auto",
            min_width="0",
        ),
        min_height="100vh",
        max_width="100vw",
    )
