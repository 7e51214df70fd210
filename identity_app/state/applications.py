"""The applications list and an application's users tab (members, pending invitations). Each
shows the services' views as they are; each change is one unit of work with the page's reload,
its messages beside the control that caused it ("invite", "members", "invitations")."""
from __future__ import annotations

from typing import Any, Callable

import reflex as rx

from identity_app.models import ALL_PERMISSIONS
from identity_app.services.applications import registry as applications
from identity_app.services.access import invitations
from identity_app.services.applications.registry import ApplicationView, MemberView
from identity_app.services.doorway import Work
from identity_app.services.access.permissions import PERMISSION_LABELS, Permission
from identity_app.state.base import ConsoleState, Done, PageFeedback, then
from identity_app.state.invitations import PendingInvitations

PERMISSION_CHOICES = [(p, PERMISSION_LABELS[Permission(p)]) for p in ALL_PERMISSIONS]


class ApplicationsState(PageFeedback, ConsoleState):
    apps: list[ApplicationView] = []

    async def _then_list(self, action: Callable[[Work], Any] | None = None) -> None:
        done = await self._call(then(action, lambda w: applications.list_applications(w.db, actor=w.operator)))
        if done.ok:
            self.apps = done.value[1]

    @rx.event
    async def load(self):
        await self._then_list()

    @rx.event
    async def create(self, form: dict):
        name, description = form.get("name", ""), form.get("description", "")
        await self._then_list(lambda w: applications.create_application(
            w.db, actor=w.operator, name=name, description=description, ip=w.ip))


class UsersState(PendingInvitations, PageFeedback, ConsoleState):
    application_name: str = ""
    app_id_value: int = 0
    members: list[MemberView] = []
    can_manage: bool = False
    member_to_remove: int = 0  # the operator the confirmation dialog asks about (0: no dialog)
    member_to_remove_email: str = ""

    async def _then_show(self, action: Callable[[Work], Any] | None = None, notice: str = "", at: str = "") -> Done:
        """One unit of work: the action, then the application, its members and (for its managers)
        its pending invitations as they now stand."""
        app_id = self.app_id_value

        def show(w: Work):
            app = applications.get_application(w.db, actor=w.operator, application_id=app_id)
            return app, applications.list_members(w.db, actor=w.operator, application_id=app_id), (
                invitations.list_invitations(w.db, actor=w.operator, application_id=app_id)
                if "MANAGE_APPLICATION" in app.permissions else ())

        done = await self._call(then(action, show), notice, at)
        if done.ok:
            app, self.members, pending = done.value[1]
            self.application_name, self.can_manage = app.name, "MANAGE_APPLICATION" in app.permissions
            self.pending = list(pending)
        return Done(done.ok, done.value[0] if done.ok else None)

    @rx.event
    async def load(self):
        self.app_id_value = self._route_id("app_id")
        if not (await self._then_show()).ok:
            self.members, self.application_name = [], ""

    @rx.event
    async def invite(self, form: dict):
        app_id, email = self.app_id_value, form.get("email", "")
        perms = [p for p in ALL_PERMISSIONS if form.get(f"perm_{p}")]
        done = await self._then_show(lambda w: invitations.invite(
            w.db, actor=w.operator, application_id=app_id, email=email, permissions=perms, ip=w.ip), at="invite")
        if done.ok:
            sent = done.value
            self.last_invitation_link = "" if sent.existing_user else sent.link
            self.notice = (f"{sent.email} already had an account and now has access."
                           if sent.existing_user else f"Invitation sent to {sent.email}.")

    @rx.event
    async def toggle_permission(self, operator_id: int, permission: str, enabled: bool):
        member = next((m for m in self.members if m.operator_id == operator_id), None)
        if member is None:
            return
        app_id, perms = self.app_id_value, set(member.permissions)
        (perms.add if enabled else perms.discard)(permission)
        await self._then_show(lambda w: applications.set_permissions(
            w.db, actor=w.operator, application_id=app_id, operator_id=operator_id, permissions=sorted(perms),
            ip=w.ip), at="members")

    @rx.event
    def ask_remove(self, operator_id: int):
        """Remove asks first; 0 closes the dialog."""
        member = next((m for m in self.members if m.operator_id == operator_id), None)
        self.member_to_remove, self.member_to_remove_email = (operator_id, member.email) if member else (0, "")

    @rx.event
    async def remove(self):
        app_id, operator_id, email = self.app_id_value, self.member_to_remove, self.member_to_remove_email
        self.member_to_remove = 0
        if operator_id:
            await self._then_show(lambda w: applications.remove_member(
                w.db, actor=w.operator, application_id=app_id, operator_id=operator_id, ip=w.ip),
                f"{email} no longer has access to this application.", "members")
