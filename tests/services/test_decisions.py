"""Decisions on a session captured and checked for real: only once COMPLETED,
changeable, every change kept and audited."""
from __future__ import annotations


import pytest
from sqlmodel import Session, select

from identity_app.models import AuditEvent, Decision, VerificationSession
from identity_app.services.sessions import decisions
from identity_app.services.errors import Conflict, Forbidden, NotFound, ValidationError
from identity_app.services.sessions.detail import get_session_detail
from tests import seed

pytestmark = pytest.mark.slow  # not in the fast tier: a session captured and checked for real


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def world(request, tmp_path_factory):
    # No manual checks: the session completes as soon as its checks are done.
    w = seed.captured_world(request, tmp_path_factory, face_match="NEVER", text="NEVER",
                            members={"decider": ["VIEW_SESSIONS", "DECIDE"], "viewer": ["VIEW_SESSIONS"]})
    with Session(w.engine, expire_on_commit=False) as db:
        w.waiting_id = seed.created_session(db, w.owner, w.app_id, "Bob Waiting", "bob@example.org", "REF-2").id
        db.commit()
    return w

def decide(world, actor, value, note, session_id=None):
    with Session(world.engine, expire_on_commit=False) as db:
        view = decisions.decide(db, actor=actor, session_id=session_id or world.session_id, value=value, note=note,
                                ip="10.0.0.3")
        db.commit()
    return view


def test_the_real_session_completed_by_itself(world):
    with Session(world.engine) as db:
        vs = db.get(VerificationSession, world.session_id)
        assert vs.state.value == "COMPLETED" and vs.completed_at is not None and vs.decision is None


def test_no_decision_before_the_session_is_completed(world):
    with pytest.raises(Conflict, match="COMPLETED"):
        decide(world, world.decider, "APPROVE", "fine", session_id=world.waiting_id)


def test_refusals_bad_values_and_missing_notes(world):
    with pytest.raises(ValidationError, match="APPROVE or REJECT"):
        decide(world, world.decider, "MAYBE", "note")
    with pytest.raises(ValidationError, match="note"):
        decide(world, world.decider, "APPROVE", "   ")
    with pytest.raises(Forbidden, match="Make decisions"):
        decide(world, world.viewer, "APPROVE", "note")
    with pytest.raises(NotFound):
        decide(world, world.outsider, "APPROVE", "note")
    with pytest.raises(Forbidden):
        decide(world, None, "APPROVE", "note")
    with Session(world.engine) as db:
        assert db.exec(select(Decision)).all() == []


def test_a_decision_is_shown_with_who_and_when_and_every_change_is_kept(world):
    first = decide(world, world.decider, "approve", "Document and face reviewed")
    assert first.value == "APPROVE" and first.decided_by == "Decider <decider@example.com>"
    second = decide(world, world.owner, "REJECT", "Specimen document: reject")
    assert second.value == "REJECT" and second.decided_at >= first.decided_at
    with Session(world.engine) as db:
        d = get_session_detail(db, actor=world.viewer, session_id=world.session_id)
        vs = db.get(VerificationSession, world.session_id)
        events = db.exec(select(AuditEvent).where(AuditEvent.action == "session.decided")
                         .order_by(AuditEvent.id)).all()
    assert vs.decision.value == "REJECT"
    assert d.decision.value == "REJECT" and d.decision.decided_by == "Olive Owner <owner@example.com>"
    # The history is the session detail's, newest first (the page shows it).
    assert [h.value for h in d.decisions] == ["REJECT", "APPROVE"]
    assert [h.note for h in d.decisions] == ["Specimen document: reject", "Document and face reviewed"]
    assert [(e.actor, e.details["value"], e.details["previous"]) for e in events] == [
        ("decider@example.com", "APPROVE", None), ("owner@example.com", "REJECT", "APPROVE")]
    # The note may hold personal data: the audit keeps the value only.
    assert all("note" not in e.details and "Specimen" not in repr(e.details) for e in events)
