"""The route table: every page, its route, title and on_load chain on one screen."""
from __future__ import annotations

import os

import reflex as rx
from reflex.app import default_backend_exception_handler
from reflex.event import EventSpec

from identity_app import routes
from identity_app.web.api import api_app
from identity_app.pages import capture as capture_pages
from identity_app.pages import integrations as integrations_pages
from identity_app.pages import application_settings as settings_pages
from identity_app.pages import applications as app_pages
from identity_app.pages import sessions_list as sessions_pages
from identity_app.pages import audit_log as audit_pages
from identity_app.pages import review_queue as review_pages
from identity_app.pages import session_detail as detail_pages
from identity_app.pages import dashboard as dashboard_pages
from identity_app.pages import sign_in
from identity_app.services.errors import NotSignedIn
from identity_app.settings import get_settings
from identity_app.state.application_settings import AppSettingsState
from identity_app.state.applications import ApplicationsState, UsersState
from identity_app.state.integrations import IntegrationsState
from identity_app.state.new_account import NewAccountState
from identity_app.state.new_sessions import NewSessionsState
from identity_app.state.sessions_list import SessionsListState
from identity_app.state.audit_log import AuditLogState
from identity_app.state.review_queue import ReviewQueueState
from identity_app.state.session_detail import SessionDetailState
from identity_app.state.dashboard import DashboardState
from identity_app.state.base import ConsoleState
from identity_app.state.capture_start import CaptureStartState
from identity_app.web import state_store as store
from identity_app.state.sign_in import SignInState
from identity_app.web.guard import WebGuard

get_settings().validate_for_startup()  # refuse to start with a default secret outside development
if get_settings().log_format == "json":  # one JSON object per line (identity_app/logs.py)
    from identity_app import logs

    logs.configure(get_settings().log_level, "json")
# Everything this process writes (the UI state store above all) is private to its user.
os.umask(0o077)
store.secure()

_https = get_settings().public_base_url.lower().startswith("https://")


def _on_error(exception: Exception) -> EventSpec | None:
    """An event that finds no live sign-in (ended, expired, signed out in another tab) goes to
    the sign-in page; anything else is Reflex's usual logged error and toast."""
    if isinstance(exception, NotSignedIn):
        return rx.redirect(routes.SIGN_IN)
    return default_backend_exception_handler(exception)


# Our API routes around Reflex's app, then the guard around everything (web/guard.py).
app = rx.App(api_transformer=[api_app(), lambda asgi: WebGuard(asgi, https=_https)],
             backend_exception_handler=_on_error)

# Front door
app.add_page(sign_in.setup_page, route=routes.SETUP, title="Set up", on_load=NewAccountState.load_setup)
app.add_page(sign_in.sign_in_page, route=routes.SIGN_IN, title="Sign in", on_load=SignInState.load_sign_in)
app.add_page(sign_in.code_page, route=routes.TOTP, title="Two-factor code", on_load=SignInState.load_code)
app.add_page(sign_in.enrol_page, route=routes.ENROL, title="Set up two-factor", on_load=SignInState.load_enrol)
app.add_page(sign_in.recovery_codes_page, route=routes.RECOVERY_CODES, title="Recovery codes",
             on_load=SignInState.load_recovery_codes)
app.add_page(sign_in.invitation_page, route=routes.INVITATION, title="Invitation",
             on_load=NewAccountState.load_invitation)

# Console (the pages with the application tabs ask whether to show Integrations: components/app_tabs.py)
app.add_page(app_pages.home_page, route=routes.HOME, title="Applications",
             on_load=[ConsoleState.require_operator, ApplicationsState.load])
app.add_page(app_pages.users_page, route=routes.APPLICATION_USERS, title="Users",
             on_load=[ConsoleState.require_operator, UsersState.load, IntegrationsState.check_tab])
app.add_page(sessions_pages.sessions_list_page, route=routes.APPLICATION, title="Sessions",
             on_load=[ConsoleState.require_operator, SessionsListState.load, NewSessionsState.load,
                      IntegrationsState.check_tab])
app.add_page(settings_pages.application_settings_page, route=routes.APPLICATION_SETTINGS, title="Settings",
             on_load=[ConsoleState.require_operator, AppSettingsState.load, IntegrationsState.check_tab])
app.add_page(integrations_pages.integrations_page, route=routes.APPLICATION_INTEGRATIONS, title="Integrations",
             on_load=[ConsoleState.require_operator, IntegrationsState.load])
app.add_page(dashboard_pages.dashboard_page, route=routes.APPLICATION_DASHBOARD, title="Dashboard",
             on_load=[ConsoleState.require_operator, DashboardState.load, IntegrationsState.check_tab])

# Session detail, manual review, audit log
app.add_page(detail_pages.session_detail_page, route=routes.SESSION_DETAIL, title="Session",
             on_load=[ConsoleState.require_operator, SessionDetailState.load])
app.add_page(review_pages.review_queue_page, route=routes.REVIEW_QUEUE, title="Manual review",
             on_load=[ConsoleState.require_operator, ReviewQueueState.load])
app.add_page(audit_pages.audit_log_page, route=routes.AUDIT_LOG, title="Audit log",
             on_load=[ConsoleState.require_operator, AuditLogState.load])

# End user's capture flow (the session link)
app.add_page(capture_pages.capture_page, route=routes.CAPTURE, title=CaptureStartState.page_title,  # its language
             on_load=CaptureStartState.load)
