"""How the workbench's media groups and timeline read on the session page (plain dataclasses
for Reflex; ids and authenticated /api/media URLs only, never bytes)."""
from __future__ import annotations

import dataclasses

from identity_app import routes
from identity_app.services.sessions.media_groups import MediaGroup
from identity_app.services.sessions.timeline import TimelineEntry
from identity_app.state.rows import size_label, when


@dataclasses.dataclass
class ItemRow:
    id: int
    label: str


@dataclasses.dataclass
class GroupRow:
    key: str
    kind: str
    label: str
    size: str
    cover_id: int
    cover_url: str
    clip: str  # a liveness attempt's frame URLs for playback, space-separated ("" when not a clip)
    parts: list[ItemRow]  # the items shown as chips (documents: original, corrected, crops)


@dataclasses.dataclass
class TimelineRow:
    at: str
    category: str
    title: str
    detail: str
    by: str


def group_row(g: MediaGroup) -> GroupRow:
    items = [ItemRow(i.id, i.label) for i in g.items] if g.kind != "LIVENESS" else []
    return GroupRow(g.key, g.kind, g.label, size_label(g.size), g.cover_id, routes.media_path(g.cover_id),
                    " ".join(routes.media_path(i) for i in g.clip_ids), items)


def timeline_row(e: TimelineEntry) -> TimelineRow:
    return TimelineRow(when(e.at), e.category, e.title, e.detail, e.by)
