"""A box for a secret shown once (an API key, a webhook signing secret).

The box is drawn hidden and empty; the event that made the secret fills it in the browser
(state/integrations.show_once), so the secret is never a var. Copy and Done act in the
browser only: the scripts below read the box, they carry nothing secret."""
from __future__ import annotations

import json

import reflex as rx

from identity_app.components.copy_button import copy_script


def _forget(box_id: str) -> str:
    return ("(()=>{const box=document.getElementById(%s);box.hidden=true;"
            "for(const p of ['-value','-title','-copied'])document.getElementById(%s+p).textContent='';})()"
            ) % (json.dumps(box_id), json.dumps(box_id))


def one_time_secret(box_id: str) -> rx.Component:
    return rx.el.div(
        rx.vstack(
            rx.text("", id=box_id + "-title", weight="bold", style={"overflow_wrap": "anywhere"}),
            rx.el.code("", id=box_id + "-value",
                       style={"display": "block", "width": "100%", "padding": "0.5rem 0.75rem",
                              "background": "var(--gray-2)", "border": "1px solid var(--gray-6)",
                              "border_radius": "6px", "font_size": "0.9rem", "word_break": "break-all",
                              "user_select": "all"}),
            rx.callout("Copy it now: it will not be shown again.", icon="triangle_alert", color_scheme="amber",
                       size="1", width="100%"),
            rx.hstack(
                rx.button("Copy", type="button", size="2", on_click=rx.call_script(copy_script(box_id + "-value", box_id + "-copied", "Copied."))),
                rx.button("Done: I have stored it", type="button", size="2", variant="soft",
                          on_click=rx.call_script(_forget(box_id))),
                rx.text("", id=box_id + "-copied", size="2", color_scheme="green", role="status"),
                align="center", wrap="wrap",
            ),
            spacing="2", width="100%",
        ),
        id=box_id, hidden=True,
        style={"width": "100%", "padding": "0.75rem", "border": "2px solid var(--amber-7)",
               "border_radius": "8px", "background": "var(--amber-2)"},
    )
