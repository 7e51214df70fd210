"""The session page's media, grouped (item 7 of issue 14): the document with its derived images,
the selfie, and each liveness attempt as ONE clip with a play button, one delete per group
(after a confirmation), the main viewer with zoom, pan, rotation and brightness."""
from __future__ import annotations

import reflex as rx

from identity_app.components.confirm_dialog import confirm_dialog
from identity_app.components.zoom_viewer import pan_zone, zoom_tools
from identity_app.state.media_viewer import MediaViewerState as V
from identity_app.state.session_detail import SessionDetailState as S
from identity_app.state.workbench_rows import GroupRow, ItemRow


def _item_chip(i: ItemRow) -> rx.Component:
    return rx.button(i.label, size="1", variant=rx.cond(V.media_id == i.id, "solid", "soft"), on_click=V.show(i.id),
                     class_name="media-item", aria_label=i.label + " (media " + i.id.to_string() + ")")


def group_card(g: GroupRow) -> rx.Component:
    clip_id = "clip-" + g.key
    return rx.card(
        rx.vstack(
            rx.hstack(rx.text(g.label, weight="bold", size="2"), rx.spacer(),
                      rx.cond(S.can_delete_media,
                              rx.icon_button(rx.icon("trash_2", size=14), size="1", color_scheme="red",
                                             variant="ghost", aria_label="Delete " + g.label,
                                             on_click=V.ask_delete_group(g.key))),
                      width="100%", align="center"),
            rx.box(
                rx.el.img(src=g.cover_url, alt=g.label, id=clip_id, loading="lazy",
                          custom_attrs={"data-frames": g.clip},
                          style={"width": "100%", "height": "9rem", "object_fit": "contain",
                                 "background": "var(--gray-3)", "border_radius": "var(--radius-2)",
                                 "cursor": "zoom-in"}),
                on_click=V.show(g.cover_id), width="100%",
            ),
            rx.hstack(
                rx.cond(g.clip != "",
                        rx.button(rx.icon("play", size=14), "Play", size="1", variant="soft", type="button",
                                  custom_attrs={"data-clip": clip_id, "aria-pressed": "false"},
                                  aria_label="Play " + g.label, class_name="play-clip")),
                rx.foreach(g.parts, _item_chip),
                rx.text(g.size, size="1", color_scheme="gray"),
                wrap="wrap", spacing="2", align="center",
            ),
            spacing="2", width="100%",
        ),
        class_name="media-group", width="100%",
    )


def delete_group_dialog() -> rx.Component:
    return confirm_dialog("Delete these media?", "Every image of this group goes for good. Reports, extracted "
                          "details and the decision stay.", "Delete for good", is_open=V.group_to_delete != "",
                          on_cancel=V.ask_delete_group(""), on_confirm=V.delete_group)


def delete_item_dialog() -> rx.Component:
    """The viewer's 'Delete this item' asks first: one item (say a derived crop), the group stays."""
    return confirm_dialog("Delete media item " + S.media_to_delete.to_string() + "?",
                          "This image goes for good. Reports, extracted details and the decision stay.",
                          "Delete this item", is_open=S.media_to_delete != 0, on_cancel=S.ask_delete_media(0),
                          on_confirm=S.delete_media)


def delete_all_media_button() -> rx.Component:
    return rx.alert_dialog.root(
        rx.alert_dialog.trigger(rx.button("Delete all media", color_scheme="red", variant="soft")),
        rx.alert_dialog.content(
            rx.alert_dialog.title("Delete all media of this session?"),
            rx.alert_dialog.description("The images go for good. Reports, extracted details and the decision stay."),
            rx.hstack(
                rx.alert_dialog.cancel(rx.button("Cancel", variant="soft", color_scheme="gray")),
                rx.alert_dialog.action(rx.button("Delete media", color_scheme="red", on_click=V.delete_all)),
                justify="end", spacing="3", margin_top="1rem",
            ),
        ),
    )


def main_viewer() -> rx.Component:
    tool = dict(size="1", variant="soft")
    return rx.vstack(
        rx.hstack(zoom_tools("main", "viewer"),
                  rx.button("Rotate", on_click=V.rotate, **tool),
                  rx.button("Brighter", on_click=V.brighten(20), **tool),
                  rx.button("Darker", on_click=V.brighten(-20), **tool),
                  rx.button("Reset", on_click=V.reset_view("main"), **tool),
                  rx.cond(S.can_delete_media, rx.button(rx.icon("trash_2", size=14), "Delete the item shown",
                                                        color_scheme="red", on_click=S.ask_delete_media(V.media_id),
                                                        **tool)),
                  wrap="wrap", spacing="2"),
        pan_zone("main", V.url, "Selected media", "media-viewer-image", "min(70vh, 36rem)",
                 {"transform": V.transform, "filter": V.filter, "transition": "transform 0.2s"}),
        width="100%", spacing="2",
    )


def media_section() -> rx.Component:
    return rx.card(
        rx.heading("Media", size="4", as_="h2", margin_bottom="0.5rem"),
        rx.cond(
            S.has_media,
            rx.vstack(
                rx.grid(rx.foreach(V.groups, group_card), columns=rx.breakpoints(initial="1", sm="2", md="3", lg="4"),
                        spacing="3", width="100%", id="media-groups"),
                main_viewer(),
                rx.cond(S.can_delete_media, rx.fragment(delete_all_media_button(), delete_group_dialog(),
                                                        delete_item_dialog())),
                width="100%", spacing="3",
            ),
            rx.text("No media (deleted, or not captured yet).", color_scheme="gray", size="2", id="no-media"),
        ),
        width="100%",
    )
