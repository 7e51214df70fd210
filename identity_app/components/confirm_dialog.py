"""A confirmation opened by the page's state (a deletion, a removal, a revocation): it asks
before anything irreversible, with plain buttons, because the state closes it after reading
what it asked about."""
from __future__ import annotations

from typing import Any

import reflex as rx


def confirm_dialog(title: rx.Var | str, description: str, confirm: str, *, is_open: rx.Var,
                   on_cancel: Any, on_confirm: Any) -> rx.Component:
    return rx.alert_dialog.root(
        rx.alert_dialog.content(
            rx.alert_dialog.title(title),
            rx.alert_dialog.description(description),
            rx.hstack(
                rx.button("Cancel", variant="soft", color_scheme="gray", on_click=on_cancel),
                rx.button(confirm, color_scheme="red", on_click=on_confirm),
                justify="end", spacing="3", margin_top="1rem",
            ),
        ),
        open=is_open,
        on_open_change=lambda _open: on_cancel,
    )
