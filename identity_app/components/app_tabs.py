"""The tabs of one application: Sessions, Dashboard, Review queue, Users, Settings, Integrations (only for
operators who manage the application: the pages with these tabs ask on load,
IntegrationsState.check_tab; the route's router data is not yet the new page's when a tab mounts), Audit."""
from __future__ import annotations

import reflex as rx

from identity_app import routes
from identity_app.state.integrations import IntegrationsState

TABS = (("sessions", "Sessions", routes.application_path), ("dashboard", "Dashboard", routes.application_dashboard_path),
        ("review", "Review queue", routes.review_queue_path),
        ("users", "Users", routes.application_users_path), ("settings", "Settings", routes.application_settings_path))


def _tab(label: str, href: rx.Var | str, current: bool) -> rx.Component:
    return rx.link(label, href=href, aria_current="page" if current else None,
                   weight="bold" if current else "regular", underline="always" if current else "none", size="3")


def app_tabs(app_id: rx.Var, active: str) -> rx.Component:
    """Links styled as tabs; `app_id` is an int var of the page's state (a route builder
    formats it into the link the browser fills in)."""
    links = [_tab(label, path(app_id), key == active) for key, label, path in TABS]
    manages = IntegrationsState.can_manage & (IntegrationsState.tab_app_id == app_id)
    links.append(rx.cond(manages, _tab("Integrations", routes.application_integrations_path(app_id),
                                       active == "integrations")))
    links.append(rx.link("Audit", href=routes.AUDIT_LOG, size="3", underline="none"))
    return rx.hstack(*links, spacing="5", padding_bottom="0.5rem", border_bottom="1px solid var(--gray-5)",
                     width="100%", role="navigation", aria_label="Application", wrap="wrap",
                     row_gap="0.5rem")
