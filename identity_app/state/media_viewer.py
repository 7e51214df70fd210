"""The session page's media viewer: which item is shown, zoom, rotation and brightness
(CSS on the <img>; the bytes come from the authenticated /api/media route)."""
from __future__ import annotations

import reflex as rx

from identity_app import routes


class MediaViewerState(rx.State):
    media_id: int = 0
    zoom: float = 1.0
    rotation: int = 0
    brightness: int = 100

    def _choose(self, media_ids: list[int]) -> None:
        """After a (re)load: keep the item shown if it is still there, else the first."""
        if self.media_id not in media_ids:
            self.media_id = media_ids[0] if media_ids else 0

    @rx.event
    def show(self, media_id: int):
        self.media_id = media_id
        self.reset_view()

    @rx.event
    def zoom_by(self, factor: float):
        self.zoom = min(4.0, max(0.25, round(self.zoom * factor, 3)))

    @rx.event
    def rotate(self):
        self.rotation = (self.rotation + 90) % 360

    @rx.event
    def brighten(self, delta: int):
        self.brightness = min(300, max(20, self.brightness + delta))

    @rx.event
    def reset_view(self):
        self.zoom, self.rotation, self.brightness = 1.0, 0, 100

    @rx.var
    def url(self) -> str:
        return routes.media_path(self.media_id) if self.media_id else ""

    @rx.var
    def transform(self) -> str:
        return f"scale({self.zoom}) rotate({self.rotation}deg)"

    @rx.var
    def filter(self) -> str:
        return f"brightness({self.brightness}%)"
