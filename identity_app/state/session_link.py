"""The session page's link actions: email the link again, or regenerate it (the old link
stops working). Both through services/sessions/link_actions.py, which checks the
permission and audits; the page then shows the session as it now stands."""
from __future__ import annotations

import reflex as rx

from identity_app.services.sessions import link_actions
from identity_app.state.base import ConsoleState


class SessionLinkState(ConsoleState):
    confirm_regenerate: bool = False

    @rx.event
    def ask_regenerate(self, value: bool):
        self.confirm_regenerate = value

    async def _page(self):
        from identity_app.state.session_detail import SessionDetailState

        return await self.get_state(SessionDetailState)

    @rx.event
    async def resend(self):
        page = await self._page()
        sid = page.session_id_value
        await page._then_show(lambda w: link_actions.resend_link(w.db, actor=w.operator, session_id=sid, ip=w.ip),
                              "The link was emailed again.")
        return rx.toast(page.notice or page.error)

    @rx.event
    async def regenerate(self):
        self.confirm_regenerate = False
        page = await self._page()
        sid = page.session_id_value
        await page._then_show(lambda w: link_actions.regenerate_link(w.db, actor=w.operator, session_id=sid,
                                                                     ip=w.ip),
                              "New link made: the old link no longer works.")
        return rx.toast(page.notice or page.error)
