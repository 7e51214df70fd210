"""The users tab's pending invitations: revoke one (asked first), send one again (a new link).
A mixin of UsersState (state/applications.py), whose `_then_show` reloads them with the members."""
from __future__ import annotations

import reflex as rx

from identity_app.services.access import invitations
from identity_app.services.access.invitations import PendingInvitation


class PendingInvitations(rx.State, mixin=True):
    pending: list[PendingInvitation] = []
    invitation_to_revoke: int = 0  # the invitation the confirmation dialog asks about (0: no dialog)
    invitation_to_revoke_email: str = ""
    last_invitation_link: str = ""

    @rx.event
    def ask_revoke(self, invitation_id: int):
        """Revoke asks first; 0 closes the dialog."""
        inv = next((i for i in self.pending if i.id == invitation_id), None)
        self.invitation_to_revoke, self.invitation_to_revoke_email = (inv.id, inv.email) if inv else (0, "")

    @rx.event
    async def revoke(self):
        app_id, inv_id, email = self.app_id_value, self.invitation_to_revoke, self.invitation_to_revoke_email
        self.invitation_to_revoke = 0
        if inv_id:
            await self._then_show(lambda w: invitations.revoke_invitation(
                w.db, actor=w.operator, application_id=app_id, invitation_id=inv_id, ip=w.ip),
                f"The invitation to {email} is revoked: its link no longer works.", "invitations")

    @rx.event
    async def resend(self, invitation_id: int):
        app_id = self.app_id_value
        done = await self._then_show(lambda w: invitations.resend_invitation(
            w.db, actor=w.operator, application_id=app_id, invitation_id=invitation_id, ip=w.ip), at="invitations")
        if done.ok:
            self.last_invitation_link = done.value.link
            self.notice = f"Invitation sent again to {done.value.email} with a new link (the old one no longer works)."
