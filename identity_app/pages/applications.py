"""The console home (applications) and an application's users tab."""
from __future__ import annotations

import reflex as rx

from identity_app import routes
from identity_app.components.confirm_dialog import confirm_dialog
from identity_app.components.app_tabs import app_tabs
from identity_app.components.layout import (console_shell, error_callout, feedback, labelled_input, page_feedback,
                                            scroll_x)
from identity_app.components.when import timestamp
from identity_app.services.access.invitations import PendingInvitation
from identity_app.services.applications.registry import ApplicationView, MemberView
from identity_app.state.applications import PERMISSION_CHOICES, ApplicationsState, UsersState

PERMISSION_WORDS = dict(PERMISSION_CHOICES)


def _app_card(app: ApplicationView) -> rx.Component:
    return rx.card(
        rx.hstack(
            rx.vstack(
                rx.link(rx.heading(app.name, size="4", as_="h2"), href=routes.application_path(app.id)),
                rx.text(app.description, color_scheme="gray", size="2"),
                spacing="1", min_width="0",
            ),
            rx.spacer(),
            rx.cond(app.is_active, rx.badge("Active", color_scheme="green"), rx.badge("Inactive")),
            rx.link("Sessions", href=routes.application_path(app.id)),
            rx.link("Users", href=routes.application_users_path(app.id)),
            rx.cond(app.permissions.contains("MANAGE_APPLICATION"),
                    rx.link("Settings", href=routes.application_settings_path(app.id))),
            align="center",
            width="100%",
            wrap="wrap",
        ),
        width="100%",
    )


def home_page() -> rx.Component:
    return console_shell(
        rx.vstack(
            rx.cond(
                ApplicationsState.apps.length() > 0,
                rx.vstack(rx.foreach(ApplicationsState.apps, _app_card), width="100%"),
                rx.text("You do not belong to any application yet.", color_scheme="gray"),
            ),
            rx.cond(
                ApplicationsState.is_owner,
                rx.card(
                    rx.heading("New application", size="4", margin_bottom="0.5rem", as_="h2"),
                    error_callout(ApplicationsState.error),
                    rx.form(
                        rx.hstack(
                            rx.box(labelled_input("Name", "name", required=True), flex="1"),
                            rx.box(labelled_input("Description", "description"), flex="2"),
                            rx.button("Create application", type="submit"),
                            align="end",
                            width="100%",
                            wrap="wrap",
                        ),
                        on_submit=ApplicationsState.create,
                        reset_on_submit=True,
                    ),
                    width="100%",
                ),
            ),
            spacing="4",
            width="100%",
        ),
        title="Applications",
    )


def _permission_cell(member: MemberView, perm: str) -> rx.Component:
    return rx.table.cell(
        rx.checkbox(
            checked=member.permissions.contains(perm),
            disabled=~UsersState.can_manage,
            on_change=lambda checked: UsersState.toggle_permission(member.operator_id, perm, checked),
            # Named in words, as the column header reads: "Make decisions for vic.viewer@...".
            aria_label=PERMISSION_WORDS[perm] + " for " + member.email,
        )
    )


def _remove_dialog() -> rx.Component:
    """Removing a member asks first (plain buttons: the state closes the dialog after reading who)."""
    return confirm_dialog("Remove " + UsersState.member_to_remove_email + "?",
                          "They lose access to this application and its sessions at once. Invite them again to "
                          "give it back.", "Remove access", is_open=UsersState.member_to_remove != 0,
                          on_cancel=UsersState.ask_remove(0), on_confirm=UsersState.remove)


def _revoke_dialog() -> rx.Component:
    return confirm_dialog("Revoke the invitation to " + UsersState.invitation_to_revoke_email + "?",
                          "Its link stops working at once. You can invite them again later.", "Revoke invitation",
                          is_open=UsersState.invitation_to_revoke != 0, on_cancel=UsersState.ask_revoke(0),
                          on_confirm=UsersState.revoke)


def _invitation_row(inv: PendingInvitation) -> rx.Component:
    return rx.table.row(
        rx.table.cell(inv.email),
        rx.table.cell(inv.permissions.join(", "), size="1"),
        rx.table.cell(timestamp(inv.sent_at), white_space="nowrap"),
        rx.table.cell(timestamp(inv.expires_at), white_space="nowrap"),
        rx.table.cell(rx.hstack(
            rx.button("Send again", size="1", variant="soft", on_click=UsersState.resend(inv.id)),
            rx.button("Revoke", size="1", variant="soft", color_scheme="red", on_click=UsersState.ask_revoke(inv.id)),
            spacing="2")),
    )


def _pending_invitations() -> rx.Component:
    return rx.cond(UsersState.can_manage, rx.vstack(
        rx.heading("Pending invitations", size="4", as_="h2"),
        rx.cond(UsersState.pending.length() > 0,
                scroll_x(rx.table.root(
                    rx.table.header(rx.table.row(*[rx.table.column_header_cell(h) for h in (
                        "Email", "Permissions", "Sent (UTC)", "Expires (UTC)", "")])),
                    rx.table.body(rx.foreach(UsersState.pending, _invitation_row)),
                    width="100%", id="pending-invitations", size="1")),
                rx.text("No invitation is waiting to be accepted.", size="2", color_scheme="gray")),
        feedback(UsersState, "invitations"),
        _revoke_dialog(),
        width="100%", spacing="2",
    ))


def _invitation_link() -> rx.Component:
    return rx.cond(
        UsersState.last_invitation_link != "",
        rx.callout(
            rx.vstack(
                rx.text("No email server is configured: the invitation is in the outbox. "
                        "You can also pass on this single-use link (valid 7 days):"),
                rx.code(UsersState.last_invitation_link, id="invitation-link", style={"word_break": "break-all"}),
            ),
            icon="mail",
            width="100%",
        ),
    )


def _members() -> rx.Component:
    return scroll_x(rx.table.root(
        rx.table.header(rx.table.row(
            rx.table.column_header_cell("User"),
            *[rx.table.column_header_cell(label) for _, label in PERMISSION_CHOICES],
            rx.table.column_header_cell(""),
        )),
        rx.table.body(rx.foreach(
            UsersState.members,
            lambda m: rx.table.row(
                rx.table.cell(rx.vstack(rx.text(m.name), rx.text(m.email, size="1", color_scheme="gray"),
                                        spacing="0")),
                *[_permission_cell(m, p) for p, _ in PERMISSION_CHOICES],
                rx.table.cell(rx.cond(UsersState.can_manage,
                                      rx.button("Remove", size="1", variant="soft", color_scheme="red",
                                                on_click=UsersState.ask_remove(m.operator_id)))),
            ),
        )),
        width="100%", id="members",
    ))


def _invite_form() -> rx.Component:
    return rx.cond(
        UsersState.can_manage,
        rx.card(
            rx.heading("Invite a user", size="4", margin_bottom="0.5rem", as_="h2"),
            rx.form(
                rx.vstack(
                    labelled_input("Email", "email", "email", required=True),
                    rx.hstack(
                        *[rx.el.label(
                            rx.checkbox(name=f"perm_{p}", default_checked=(p == "VIEW_SESSIONS"),
                                        disabled=(p == "VIEW_SESSIONS")),
                            label, style={"display": "flex", "gap": "0.4rem", "align_items": "center"})
                          for p, label in PERMISSION_CHOICES],
                        wrap="wrap",
                        spacing="4",
                    ),
                    rx.button("Send invitation", type="submit"),
                    spacing="3",
                ),
                on_submit=UsersState.invite,
                reset_on_submit=True,
            ),
            # The answer beside the button: the invitation's link or why it was refused.
            rx.vstack(feedback(UsersState, "invite"), rx.cond(UsersState.feedback_at == "invite", _invitation_link()),
                      width="100%", margin_top="0.5rem"),
            width="100%",
        ),
    )


def users_page() -> rx.Component:
    return console_shell(
        rx.vstack(
            rx.link("← Applications", href=routes.HOME, size="2"),
            rx.heading(rx.cond(UsersState.application_name != "", UsersState.application_name + ": users", "Users"),
                       size="6", as_="h1"),
            app_tabs(UsersState.app_id_value, "users"),
            page_feedback(UsersState),
            rx.heading("Members", size="4", as_="h2"),
            _members(),
            feedback(UsersState, "members"),
            _remove_dialog(),
            _pending_invitations(),
            rx.cond(UsersState.feedback_at == "invitations", _invitation_link()),
            _invite_form(),
            spacing="4",
            width="100%",
        ),
    )
