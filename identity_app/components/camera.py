"""The live camera view with a guide (a card frame or a face oval), plain
<video> + getUserMedia from assets/capture.js (no webcam package)."""
from __future__ import annotations

import reflex as rx


def camera_view(guide: str = "card", mirrored: bool = False) -> rx.Component:
    """A 4:3 live view; `guide` is "card" (document) or "oval" (face)."""
    overlay = rx.box(
        id="idv-guide",
        position="absolute",
        border="3px solid rgba(255,255,255,0.9)",
        box_shadow="0 0 0 9999px rgba(0,0,0,0.35)",
        pointer_events="none",
        **({"top": "12%", "left": "7%", "width": "86%", "height": "76%", "border_radius": "12px"}
           if guide == "card" else
           {"top": "8%", "left": "30%", "width": "40%", "height": "84%", "border_radius": "50%"}),
    )
    return rx.box(
        rx.el.video(
            id="idv-video",
            auto_play=True,
            plays_inline=True,
            muted=True,
            aria_label="Camera preview",
            style={"width": "100%", "height": "100%", "objectFit": "cover", "background": "#111",
                   "transform": "scaleX(-1)" if mirrored else "none"},
        ),
        overlay,
        position="relative",
        width="100%",
        aspect_ratio="4 / 3",
        overflow="hidden",
        border_radius="12px",
        background="#111",
    )


def live_text(element_id: str, **props) -> rx.Component:
    """A text line the camera script updates (announced to screen readers unless aria_live says "off")."""
    props.setdefault("aria_live", "polite")
    return rx.text("", id=element_id, min_height="1.5em", **props)
