"""The tabs of one application: Sessions, Review queue, Users, Settings, Audit."""
from __future__ import annotations

import reflex as rx

from identity_app import routes

TABS = (("sessions", "Sessions", routes.application_path), ("review", "Review queue", routes.review_queue_path),
        ("users", "Users", routes.application_users_path), ("settings", "Settings", routes.application_settings_path))


def app_tabs(app_id: rx.Var, active: str) -> rx.Component:
    """Links styled as tabs; `app_id` is an int var of the page's state (a route builder
    formats it into the link the browser fills in)."""
    links = [
        rx.link(label, href=path(app_id), aria_current="page" if key == active else None,
                weight="bold" if key == active else "regular", underline="none" if key != active else "always",
                size="3")
        for key, label, path in TABS
    ]
    links.append(rx.link("Audit", href=routes.AUDIT_LOG, size="3", underline="none"))
    return rx.hstack(*links, spacing="5", padding_bottom="0.5rem", border_bottom="1px solid var(--gray-5)",
                     width="100%", role="navigation", aria_label="Application")
