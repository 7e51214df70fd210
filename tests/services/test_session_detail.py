"""The session detail view on a session captured and checked for real
(real passport photo, real liveness frames, the real check modules)."""
from __future__ import annotations

import dataclasses

import pytest
from sqlmodel import Session, select

from identity_app.models import AuditEvent, MediaKind
from identity_app.services.errors import Forbidden, NotFound
from identity_app.services.sessions.detail import MediaView, SessionDetail, get_session_detail
from tests import seed

pytestmark = pytest.mark.slow  # not in the fast tier: a session captured and checked for real


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def world(request, tmp_path_factory):
    return seed.captured_world(request, tmp_path_factory, face_match="FALLBACK", text="NEVER", liveness_retries=2,
                               printed_photo_first=True, members={"viewer": ["VIEW_SESSIONS"]})

def detail(world, actor) -> SessionDetail:
    with Session(world.engine, expire_on_commit=False) as db:
        d = get_session_detail(db, actor=actor, session_id=world.session_id, ip="10.0.0.1")
        db.commit()
    return d


def test_it_shows_one_card_per_check_with_the_real_reports(world):
    d = detail(world, world.owner)
    types = sorted(c.type for c in d.checks)
    assert types == ["ID_DOCUMENT_AUTHENTICITY", "ID_DOCUMENT_FACE_MATCH", "ID_DOCUMENT_TEXT_DATA_CHECK",
                     "LIVENESS", "LIVENESS"]
    for card in d.checks:
        assert card.state == "DONE"
        assert card.recommendation in ("APPROVE", "REJECT", "NOT_AVAILABLE")
        assert card.breakdown, card.type
        assert card.process == "AUTOMATED"
        assert card.algorithm_version
        if card.recommendation != "APPROVE":  # every REJECT / NOT_AVAILABLE says why
            assert card.reason, card
    # The UTO specimen is recognised as such by the authenticity check.
    auth_card = next(c for c in d.checks if c.type == "ID_DOCUMENT_AUTHENTICITY")
    assert (auth_card.recommendation, auth_card.reason) == ("REJECT", "SPECIMEN")
    assert any(s.sub_check == "specimen" or "specimen" in s.sub_check for s in auth_card.breakdown)
    assert all(s.process == "AUTOMATED" and s.result in ("PASS", "FAIL") for c in d.checks for s in c.breakdown)


def test_every_liveness_attempt_is_its_own_card(world):
    d = detail(world, world.owner)
    attempts = sorted((c.attempt, c.recommendation) for c in d.checks if c.type == "LIVENESS")
    assert [a for a, _ in attempts] == [1, 2]
    # The first attempt was a printed photo tilted in front of the camera.
    assert attempts[0][1] == "REJECT"


def test_it_shows_who_created_it_the_link_the_state_and_the_fields(world):
    d = detail(world, world.owner)
    assert d.created_by == "Olive Owner <owner@example.com>"
    assert d.link.endswith("/s/" + world.token)
    assert (d.user_name, d.user_email, d.reference) == ("Ada Lovelace", "ada@example.org", "REF-1")
    # Face match is FALLBACK and not APPROVE: the session waits for a person.
    face = next(c for c in d.checks if c.type == "ID_DOCUMENT_FACE_MATCH")
    assert face.review_state == "PENDING" and d.pending_reviews == 1
    assert (d.state, d.state_label) == ("ONGOING", "IN PROGRESS")
    assert d.capture_finished_at is not None and d.completed_at is None
    fields = dict((f.name, f.value) for f in d.document_fields)
    assert fields["surname"] == "ERIKSSON" and fields["given_names"] == "ANNA MARIA"
    assert fields["issuing_country"] == "UTO" and fields["document_number"] == "L898902C3"


def test_media_are_listed_with_ids_kinds_and_sizes_never_bytes(world):
    d = detail(world, world.owner)
    kinds = [m.kind for m in d.media]
    assert kinds.count(MediaKind.DOCUMENT_FRONT.value) == 1
    assert kinds.count(MediaKind.SELFIE.value) == 1
    assert kinds.count(MediaKind.LIVENESS_FRAME.value) > 20
    assert all(m.size > 1000 and m.id > 0 for m in d.media)
    assert {f.name for f in dataclasses.fields(MediaView)} == {
        "id", "kind", "content_type", "size", "width", "height", "resource_id", "created_at"}
    assert not any(isinstance(v, bytes) for m in d.media for v in dataclasses.astuple(m))


def test_each_view_is_audited_without_personal_data(world):
    with Session(world.engine) as db:
        before = len(db.exec(select(AuditEvent).where(AuditEvent.action == "session.viewed")).all())
    detail(world, world.owner)
    detail(world, world.viewer)
    with Session(world.engine) as db:
        views = db.exec(select(AuditEvent).where(AuditEvent.action == "session.viewed")
                        .order_by(AuditEvent.id)).all()
    assert len(views) == before + 2
    assert [v.actor for v in views[-2:]] == ["owner@example.com", "viewer@example.com"]
    assert all(v.session_id == world.session_id and v.application_id == world.app_id for v in views)
    text = repr([(v.target, v.details) for v in views])
    assert "Ada" not in text and "ada@example.org" not in text and "ERIKSSON" not in text


def test_a_viewer_may_read_it_and_an_operator_of_another_application_may_not(world):
    d = detail(world, world.viewer)
    assert d.permissions == ("VIEW_SESSIONS",)
    with pytest.raises(NotFound, match="does not exist"):
        detail(world, world.outsider)
    with pytest.raises(Forbidden):
        detail(world, None)
    with Session(world.engine) as db, pytest.raises(NotFound):
        get_session_detail(db, actor=world.owner, session_id=world.session_id + 10_000)
