"""The session page's media: the groups (state/workbench_rows.py), the item in the viewer,
and each viewer's zoom (main, portrait, selfie), rotation and brightness. Zoom sizes the
<img> inside a scrolling box, so a zoomed image is panned by scrolling or dragging
(assets/workbench.js); the bytes come from the authenticated /api/media route."""
from __future__ import annotations

import reflex as rx

from identity_app import routes
from identity_app.services.sessions import deletion, media_groups
from identity_app.services.sessions.detail import SessionDetail
from identity_app.state.base import ConsoleState
from identity_app.state.workbench_rows import GroupRow, group_row

VIEWERS = ("main", "portrait", "selfie")


class MediaViewerState(ConsoleState):
    groups: list[GroupRow] = []
    media_id: int = 0
    zooms: dict[str, float] = {v: 1.0 for v in VIEWERS}
    rotation: int = 0
    brightness: int = 100
    portrait_url: str = ""
    selfie_url: str = ""
    group_to_delete: str = ""  # the group the confirmation dialog asks about ("": no dialog)

    def _fill(self, d: SessionDetail) -> None:
        """After a (re)load: the groups, the side-by-side pair; keep the item shown if still there."""
        self.groups = [group_row(g) for g in d.media_groups]
        p, s = d.portrait_media_id, d.selfie_media_id
        self.portrait_url = routes.media_path(p, portrait=not d.portrait_is_crop) if p else ""
        self.selfie_url = routes.media_path(s) if s else ""
        if self.media_id not in {m.id for m in d.media}:
            self.media_id = self.groups[0].cover_id if self.groups else 0

    @rx.event
    def show(self, media_id: int):
        self.media_id = media_id
        self.reset_view()

    @rx.event
    def zoom_by(self, viewer: str, factor: float):
        if viewer in VIEWERS:
            self.zooms = {**self.zooms, viewer: min(6.0, max(1.0, round(self.zooms[viewer] * factor, 3)))}

    @rx.event
    def rotate(self):
        self.rotation = (self.rotation + 90) % 360

    @rx.event
    def brighten(self, delta: int):
        self.brightness = min(300, max(20, self.brightness + delta))

    @rx.event
    def reset_view(self, viewer: str = "main"):
        if viewer in VIEWERS:
            self.zooms = {**self.zooms, viewer: 1.0}
        if viewer == "main":
            self.rotation, self.brightness = 0, 100

    @rx.event
    def ask_delete_group(self, key: str):
        self.group_to_delete = key  # a trash icon asks first; "" closes the dialog

    @rx.event
    async def delete_group(self):
        from identity_app.state.session_detail import SessionDetailState

        key, self.group_to_delete = self.group_to_delete, ""
        page = await self.get_state(SessionDetailState)
        sid, label = page.session_id_value, next((g.label for g in self.groups if g.key == key), "Media")
        if key:  # the message also as a toast: the trash icon may be far below the page's messages
            await page._then_show(lambda w: media_groups.delete_media_group(
                w.db, w.store, actor=w.operator, session_id=sid, key=key, ip=w.ip), f"{label}: deleted.")
            return rx.toast(page.notice) if page.notice else None

    @rx.event
    async def delete_all(self):
        from identity_app.state.session_detail import SessionDetailState

        page = await self.get_state(SessionDetailState)
        sid = page.session_id_value
        await page._then_show(lambda w: deletion.delete_session_media(w.db, w.store, actor=w.operator,
                              session_id=sid, ip=w.ip), "All media of this session were deleted.")

    @rx.var
    def url(self) -> str:
        return routes.media_path(self.media_id) if self.media_id else ""

    @rx.var
    def heights(self) -> dict[str, str]:
        """Each viewer's image height: fitted at 1x, else a multiple of its box (then it scrolls)."""
        return {v: "auto" if z <= 1 else f"{round(z * 100)}%" for v, z in self.zooms.items()}

    @rx.var
    def fits(self) -> dict[str, str]:
        return {v: "100%" if z <= 1 else "none" for v, z in self.zooms.items()}

    @rx.var
    def zoom_labels(self) -> dict[str, str]:
        return {v: f"{z:.1f}x" for v, z in self.zooms.items()}

    @rx.var
    def transform(self) -> str:
        return f"rotate({self.rotation}deg)"

    @rx.var
    def filter(self) -> str:
        return f"brightness({self.brightness}%)"
