"""The tabs of one application: Sessions, Review queue, Users, Settings, Audit."""
from __future__ import annotations

import reflex as rx

from identity_app import routes

TABS = (("sessions", "Sessions", ""), ("review", "Review queue", "/review"), ("users", "Users", "/users"),
        ("settings", "Settings", "/settings"))


def app_tabs(app_id: rx.Var, active: str) -> rx.Component:
    """Links styled as tabs; `app_id` is an int var of the page's state."""
    base = "/applications/" + app_id.to_string()
    links = [
        rx.link(label, href=base + suffix, aria_current="page" if key == active else None,
                weight="bold" if key == active else "regular", underline="none" if key != active else "always",
                size="3")
        for key, label, suffix in TABS
    ]
    links.append(rx.link("Audit", href=routes.AUDIT_LOG, size="3", underline="none"))
    return rx.hstack(*links, spacing="5", padding_bottom="0.5rem", border_bottom="1px solid var(--gray-5)",
                     width="100%", role="navigation", aria_label="Application")
