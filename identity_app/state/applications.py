"""The applications list and an application's users tab."""
from __future__ import annotations

import dataclasses

import reflex as rx

from identity_app.db import session_scope
from identity_app.models import ALL_PERMISSIONS
from identity_app.services import applications, invitations
from identity_app.services.errors import DomainError
from identity_app.services.permissions import PERMISSION_LABELS, Permission
from identity_app.state.base import ConsoleState


@dataclasses.dataclass
class ApplicationRow:
    id: int
    name: str
    description: str
    is_active: bool
    can_manage: bool


@dataclasses.dataclass
class MemberRow:
    operator_id: int
    email: str
    name: str
    permissions: list[str]
    totp_enrolled: bool


PERMISSION_CHOICES = [(p, PERMISSION_LABELS[Permission(p)]) for p in ALL_PERMISSIONS]


class ApplicationsState(ConsoleState):
    apps: list[ApplicationRow] = []
    error: str = ""

    @rx.event
    def load(self):
        op = self._current_operator()
        if op is None:
            return ConsoleState.require_operator
        with session_scope() as db:
            views = applications.list_applications(db, actor=op)
        self.apps = [ApplicationRow(id=a.id, name=a.name, description=a.description, is_active=a.is_active,
                                    can_manage="MANAGE_APPLICATION" in a.permissions) for a in views]

    @rx.event
    def create(self, form: dict):
        op = self._current_operator()
        if op is None:
            return ConsoleState.require_operator
        try:
            with session_scope() as db:
                applications.create_application(db, actor=op, name=form.get("name", ""),
                                                description=form.get("description", ""), ip=self.client_ip)
        except DomainError as exc:
            self.error = str(exc)
            return
        self.error = ""
        return ApplicationsState.load


class UsersState(ConsoleState):
    application_name: str = ""
    app_id_value: int = 0
    members: list[MemberRow] = []
    can_manage: bool = False
    error: str = ""
    notice: str = ""
    last_invitation_link: str = ""

    @property
    def app_id(self) -> int:
        return self._route_id("app_id")

    @rx.event
    def load(self):
        op = self._current_operator()
        if op is None:
            return ConsoleState.require_operator
        self.error = ""
        self.app_id_value = self.app_id
        try:
            with session_scope() as db:
                app = applications.get_application(db, actor=op, application_id=self.app_id)
                rows = applications.list_members(db, actor=op, application_id=self.app_id)
        except DomainError as exc:
            self.error, self.members, self.application_name = str(exc), [], ""
            return
        self.application_name = app.name
        self.can_manage = "MANAGE_APPLICATION" in app.permissions
        self.members = [MemberRow(operator_id=m.operator_id, email=m.email, name=m.name,
                                  permissions=list(m.permissions), totp_enrolled=m.totp_enrolled) for m in rows]

    @rx.event
    def invite(self, form: dict):
        op = self._current_operator()
        if op is None:
            return ConsoleState.require_operator
        perms = [p for p in ALL_PERMISSIONS if form.get(f"perm_{p}")]
        try:
            with session_scope() as db:
                sent = invitations.invite(db, actor=op, application_id=self.app_id, email=form.get("email", ""),
                                          permissions=perms, ip=self.client_ip)
        except DomainError as exc:
            self.error, self.notice = str(exc), ""
            return
        self.error = ""
        self.last_invitation_link = "" if sent.existing_user else sent.link
        self.notice = (f"{sent.email} already had an account and now has access."
                       if sent.existing_user else f"Invitation sent to {sent.email}.")
        return UsersState.load

    @rx.event
    def toggle_permission(self, operator_id: int, permission: str, enabled: bool):
        op = self._current_operator()
        if op is None:
            return ConsoleState.require_operator
        member = next((m for m in self.members if m.operator_id == operator_id), None)
        if member is None:
            return
        perms = set(member.permissions)
        (perms.add if enabled else perms.discard)(permission)
        try:
            with session_scope() as db:
                applications.set_permissions(db, actor=op, application_id=self.app_id, operator_id=operator_id,
                                             permissions=sorted(perms), ip=self.client_ip)
        except DomainError as exc:
            self.error = str(exc)
        return UsersState.load

    @rx.event
    def remove(self, operator_id: int):
        op = self._current_operator()
        if op is None:
            return ConsoleState.require_operator
        try:
            with session_scope() as db:
                applications.remove_member(db, actor=op, application_id=self.app_id, operator_id=operator_id,
                                           ip=self.client_ip)
        except DomainError as exc:
            self.error = str(exc)
        return UsersState.load
