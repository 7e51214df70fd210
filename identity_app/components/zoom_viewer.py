"""An image viewer that zooms AND pans: the zoom sizes the <img> inside a scrolling box, so a
zoomed image is brought into view by scrolling or by dragging it (assets/workbench.js)."""
from __future__ import annotations

import reflex as rx

from identity_app.state.media_viewer import MediaViewerState as V


def workbench_script() -> rx.Component:
    return rx.script(src="/workbench.js")


def zoom_tools(viewer: str, label: str) -> rx.Component:
    tool = dict(size="1", variant="soft")
    return rx.hstack(
        rx.button(rx.icon("zoom_in", size=14), "Zoom in", on_click=V.zoom_by(viewer, 1.5),
                  aria_label=f"Zoom in ({label})", **tool),
        rx.button(rx.icon("zoom_out", size=14), "Zoom out", on_click=V.zoom_by(viewer, 1 / 1.5),
                  aria_label=f"Zoom out ({label})", **tool),
        rx.button("Fit", on_click=V.reset_view(viewer), aria_label=f"Fit ({label})", **tool),
        rx.text(V.zoom_labels[viewer], size="1", color_scheme="gray", id=f"{viewer}-zoom-level"),
        wrap="wrap", align="center", spacing="2",
    )


def pan_zone(viewer: str, src: rx.Var, alt: str, img_id: str, height: str, extra_style: dict | None = None
             ) -> rx.Component:
    return rx.box(
        rx.el.img(src=src, alt=alt, id=img_id, draggable=False,
                  style={"height": V.heights[viewer], "max_width": V.fits[viewer], "max_height": V.fits[viewer],
                         "width": "auto", "margin": "auto", "display": "block", "flex_shrink": "0",
                         "user_select": "none", **(extra_style or {})}),
        class_name="pan-zone", id=f"{img_id}-zone", tab_index=0,
        aria_label=f"{alt}: drag or scroll to move around when zoomed",
        style={"overflow": "auto", "height": height, "width": "100%", "display": "flex",
               "background": "var(--gray-3)", "border_radius": "var(--radius-3)", "cursor": "grab",
               "touch_action": "pan-x pan-y", "overscroll_behavior": "contain"},
    )


def zoom_viewer(viewer: str, label: str, src: rx.Var, alt: str, img_id: str, height: str = "min(60vh, 30rem)"
                ) -> rx.Component:
    """A titled viewer: its zoom tools, then the pan zone ("Not available" when there is no image)."""
    return rx.vstack(
        rx.hstack(rx.text(label, weight="bold", size="2"), rx.spacer(), zoom_tools(viewer, label), width="100%",
                  wrap="wrap", align="center"),
        rx.cond(src != "", pan_zone(viewer, src, alt, img_id, height),
                rx.text("Not available (deleted or not captured).", color_scheme="gray", size="2")),
        flex="1 1 18rem", min_width="0", width="100%", spacing="2",
        style={"border": "1px solid var(--gray-5)", "border_radius": "var(--radius-3)", "padding": "0.5rem"},
    )
