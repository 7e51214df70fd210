"""The reviewer's workbench (issue 14): media in groups (item 7), the session timeline, the
link resent or regenerated from the session page, the review queue's assignee, notes and age."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import Session, select

from identity_app.models import AuditEvent, MediaItem, MediaKind, Resource, ResourceKind, utcnow
from identity_app.services.errors import Conflict, Forbidden, NotFound
from identity_app.services.review import manual, queue
from identity_app.services.sessions import decisions, link_actions, links, media_groups
from identity_app.services.sessions.detail import get_session_detail
from identity_app.services.sessions.media_groups import CLIP_FRAMES, group_media
from identity_app.services.sessions.timeline import session_timeline
from tests import seed


def _item(i: int, kind, resource_id=None, ms=None) -> MediaItem:
    return MediaItem(id=i, session_id=1, resource_id=resource_id, kind=kind, storage_key=f"k{i}",
                     content_type="image/jpeg", size=1000, captured_ms=ms)


@pytest.mark.fast
def test_302_liveness_frames_make_two_clips_not_302_items():
    doc = Resource(id=1, session_id=1, kind=ResourceKind.ID_DOCUMENT)
    first, second = (Resource(id=2, session_id=1, kind=ResourceKind.LIVENESS, attempt=1),
                     Resource(id=3, session_id=1, kind=ResourceKind.LIVENESS, attempt=2))
    items = [_item(1, MediaKind.MRZ_CROP if hasattr(MediaKind, "MRZ_CROP") else "MRZ_CROP", 1),
             _item(2, MediaKind.DOCUMENT_FRONT, 1), _item(3, "SOMETHING_NEW", 1), _item(4, "PORTRAIT_CROP", 1),
             _item(5, "HOLOGRAM_VIDEO")]
    # Frames stored out of order: the clip follows the capture clock.
    items += [_item(100 + n, MediaKind.LIVENESS_FRAME, 3, ms=(151 - n) * 125) for n in range(151)]
    items += [_item(300 + n, MediaKind.LIVENESS_FRAME, 2, ms=n * 125) for n in range(151)]
    groups = group_media(items, [doc, first, second])
    assert [g.key for g in groups] == ["document", "liveness-2", "liveness-3", "other"]
    document = groups[0]
    assert [i.kind for i in document.items] == ["DOCUMENT_FRONT", "PORTRAIT_CROP", "MRZ_CROP", "SOMETHING_NEW"]
    assert [i.label for i in document.items] == ["Front (original)", "Portrait crop", "MRZ crop", "Something new"]
    assert document.cover_id == 2
    clip = groups[1]
    assert clip.label == "Liveness attempt 1 (151 frames)" and len(clip.items) == 151
    assert len(clip.clip_ids) == CLIP_FRAMES and clip.clip_ids[0] == 300 and clip.clip_ids == tuple(sorted(clip.clip_ids))
    assert groups[2].clip_ids[0] == 250  # the earliest captured frame of attempt 2, whatever its id
    assert groups[3].label == "Other media" and groups[3].items[0].label == "Hologram video"


@pytest.mark.fast
def test_a_queue_age_reads_as_a_person_says_it():
    assert [queue.age_label(s) for s in (30, 45 * 60, 3 * 3600 + 120, 2 * 86400 + 3 * 3600)] == \
        ["0 min", "45 min", "3 h 2 min", "2 d 3 h"]


pytestmark = pytest.mark.slow  # the module's other tests: a session captured and checked for real


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def world(request, tmp_path_factory):
    return seed.captured_world(request, tmp_path_factory, face_match="FALLBACK", text="ALWAYS",
                               members={"viewer": ["VIEW_SESSIONS"], "reviewer": ["VIEW_SESSIONS", "DECIDE"],
                                        "creator": ["VIEW_SESSIONS", "CREATE_SESSIONS"]})


def run(world, fn):
    with Session(world.engine, expire_on_commit=False) as db:
        out = fn(db)
        db.commit()
    return out


def test_the_session_detail_groups_its_media_and_pairs_portrait_and_selfie(world):
    d = run(world, lambda db: get_session_detail(db, actor=world.owner, session_id=world.session_id))
    kinds = [g.kind for g in d.media_groups]
    assert kinds[0] == "DOCUMENT" and "LIVENESS" in kinds
    assert sum(len(g.items) for g in d.media_groups) == len(d.media)
    assert d.portrait_media_id in {i.id for i in d.media_groups[0].items}
    assert d.selfie_media_id in {m.id for m in d.media}
    assert d.link_open is False  # captured and checked: the link has done its work


def test_a_link_is_resent_or_regenerated_and_the_old_one_stops_working(world):
    created = run(world, lambda db: seed.created_session(db, world.owner, world.app_id, "Bea Brown",
                                                         "bea@example.org", "REF-2"))
    sid = created.id
    with pytest.raises(Forbidden):
        run(world, lambda db: link_actions.regenerate_link(db, actor=world.viewer, session_id=sid))
    with pytest.raises(Forbidden):
        run(world, lambda db: link_actions.resend_link(db, actor=world.viewer, session_id=sid))
    with pytest.raises(NotFound):
        run(world, lambda db: link_actions.regenerate_link(db, actor=world.outsider, session_id=sid))
    assert run(world, lambda db: link_actions.resend_link(db, actor=world.creator, session_id=sid)) == "outbox"
    new_link = run(world, lambda db: link_actions.regenerate_link(db, actor=world.creator, session_id=sid))
    assert new_link != created.link and new_link.rsplit("/", 1)[1] != created.token
    assert run(world, lambda db: links.find_by_token(db, created.token)) is None
    assert run(world, lambda db: links.find_by_token(db, new_link.rsplit("/", 1)[1])).id == sid
    titles = [e.title for e in run(world, lambda db: session_timeline(db, sid))]
    assert titles[-2:] == ["Link emailed", "Link regenerated (the old link stopped working)"]
    with pytest.raises(Conflict):  # the captured session's link is closed
        run(world, lambda db: link_actions.regenerate_link(db, actor=world.owner, session_id=world.session_id))


def test_the_queue_has_assignee_notes_and_age_sortable(world):
    oldest = run(world, lambda db: queue.list_queue(db, actor=world.viewer, application_id=world.app_id))
    assert len(oldest) >= 1 and all(e.assignee == "" and e.notes == 0 for e in oldest)
    check_id = oldest[0].check_id
    with pytest.raises(Forbidden):
        run(world, lambda db: queue.assign_to_me(db, actor=world.viewer, check_id=check_id))
    with pytest.raises(NotFound):
        run(world, lambda db: queue.add_note(db, actor=world.outsider, check_id=check_id, text="x"))
    run(world, lambda db: queue.assign_to_me(db, actor=world.reviewer, check_id=check_id))
    with pytest.raises(Conflict):
        run(world, lambda db: queue.assign_to_me(db, actor=world.owner, check_id=check_id))
    run(world, lambda db: queue.add_note(db, actor=world.reviewer, check_id=check_id, text="MRZ line 2 blurred"))
    mine = run(world, lambda db: queue.list_queue(db, actor=world.reviewer, application_id=world.app_id))
    entry = next(e for e in mine if e.check_id == check_id)
    assert (entry.assignee, entry.assigned_to_me, entry.notes, entry.last_note) == \
        ("Reviewer", True, 1, "MRZ line 2 blurred")
    notes = run(world, lambda db: queue.notes_of(db, actor=world.viewer, check_id=check_id))
    assert [(n.text, n.by) for n in notes] == [("MRZ line 2 blurred", "Reviewer")]
    run(world, lambda db: queue.unassign(db, actor=world.owner, check_id=check_id))
    assert next(e for e in run(world, lambda db: queue.list_queue(db, actor=world.owner, application_id=world.app_id))
                if e.check_id == check_id).assignee == ""
    # Age: ten days later, everything has waited ten days more; newest first reverses the order.
    later = run(world, lambda db: queue.list_queue(db, actor=world.owner, application_id=world.app_id,
                                                   now=utcnow() + timedelta(days=10)))
    assert all(e.age.startswith(("10 d", "9 d")) for e in later)
    newest = run(world, lambda db: queue.list_queue(db, actor=world.owner, application_id=world.app_id,
                                                    oldest_first=False))
    assert [e.check_id for e in newest] == [e.check_id for e in reversed(later)]
    actions = run(world, lambda db: [e.action for e in db.exec(select(AuditEvent).where(
        AuditEvent.target == f"check:{check_id}")).all()])
    assert {"review.assigned", "review.unassigned", "review.note_added"} <= set(actions)
    assert "MRZ line 2 blurred" not in repr(run(world, lambda db: [e.details for e in db.exec(select(AuditEvent)).all()]))


def test_the_timeline_tells_what_happened_in_order(world):
    for e in run(world, lambda db: queue.list_queue(db, actor=world.owner, application_id=world.app_id)):
        run(world, lambda db: manual.record_review(db, actor=world.reviewer, check_id=e.check_id, result="PASS",
                                                   reason="compared"))
    run(world, lambda db: decisions.decide(db, actor=world.owner, session_id=world.session_id, value="APPROVE",
                                           note="fine"))
    entries = run(world, lambda db: session_timeline(db, world.session_id))
    titles = [e.title for e in entries]
    for title in ("Session created", "Link opened", "Consent given", "Document photographed",
                  "Liveness attempt started", "Liveness attempt finished", "Capture finished", "Manual review recorded", "Session completed", "Decision"):
        assert title in titles, titles
    assert titles.index("Session created") < titles.index("Link opened") < titles.index("Capture finished") \
        < titles.index("Decision")
    assert any(t.endswith("check finished (attempt 1)") for t in titles)
    assert [e.at for e in entries] == sorted(e.at for e in entries)
    assert next(e for e in entries if e.title == "Consent given").by == "the person"
    assert next(e for e in entries if e.title == "Decision").detail == "APPROVE"
    assert "Ada" not in repr(entries) and "ada@example.org" not in repr(entries)  # no personal data


def test_one_liveness_attempt_is_deleted_as_one_group(world):
    groups = run(world, lambda db: media_groups.session_groups(db, world.session_id))
    attempt = next(g for g in groups if g.kind == "LIVENESS")
    with pytest.raises(Forbidden):
        run(world, lambda db: media_groups.delete_media_group(db, world.store, actor=world.viewer,
                                                              session_id=world.session_id, key=attempt.key))
    n = run(world, lambda db: media_groups.delete_media_group(db, world.store, actor=world.owner,
                                                              session_id=world.session_id, key=attempt.key))
    assert n == len(attempt.items)
    after = run(world, lambda db: media_groups.session_groups(db, world.session_id))
    assert attempt.key not in [g.key for g in after] and any(g.key == "document" for g in after)
    with pytest.raises(NotFound):
        run(world, lambda db: media_groups.delete_media_group(db, world.store, actor=world.owner,
                                                              session_id=world.session_id, key=attempt.key))
    titles = [e.title for e in run(world, lambda db: session_timeline(db, world.session_id))]
    assert titles[-1] == "Media deleted"
