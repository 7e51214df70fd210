"""Issue 14, item 4: the last liveness attempt ends the capture on the server, so a page closed at
"No attempts left" does not leave the session waiting for its link to be opened again."""
from __future__ import annotations

import pytest
from sqlmodel import select

from identity_app.jobs import Job, JobKind
from identity_app.models import Check, CheckState, VerificationSession
from identity_app.services.capture import flow as capture
from identity_app.services.capture.flow import LinkStatus
from identity_app.storage import LocalMediaStore
from tests import capture_media as cm
from tests.services.session_factory import NO_REVIEW, make_session


@pytest.fixture
def store(tmp_path):
    return LocalMediaStore(tmp_path / "media", "test-secret-key-" + "z" * 40)


def _consented(db):
    vs = make_session(db, checks=NO_REVIEW)  # two liveness attempts
    capture.open_link(db, token=vs.token)
    capture.give_consent(db, token=vs.token)
    return vs


def _attempt(db, vs) -> int:
    attempt = capture.start_liveness_attempt(db, token=vs.token)
    return capture.finish_liveness_attempt(db, token=vs.token, resource_id=attempt.resource_id)


def test_the_last_attempt_closes_the_capture_and_queues_the_checks(db, store):
    vs = _consented(db)
    capture.store_document_image(db, store, token=vs.token, data=cm.jpeg(cm.document_frame()))
    _attempt(db, vs)
    assert capture.status(db, token=vs.token).status == LinkStatus.OPEN  # one attempt left
    _attempt(db, vs)  # the last one; the page is closed now and never calls finish
    queued = list(db.info.get("identity_app.jobs", []))
    db.commit()
    assert capture.status(db, token=vs.token).status == LinkStatus.CHECKING
    assert Job(JobKind.SESSION_CHECKS, vs.id) in queued
    checks = {c.type: c.state for c in db.exec(select(Check).where(Check.session_id == vs.id))}
    assert set(checks) == {"LIVENESS", "ID_DOCUMENT_AUTHENTICITY", "ID_DOCUMENT_TEXT_DATA_CHECK",
                           "ID_DOCUMENT_FACE_MATCH"}
    assert set(checks.values()) == {CheckState.PENDING}
    finished_at = db.get(VerificationSession, vs.id).capture_finished_at
    assert finished_at is not None
    # The page's own "Continue" afterwards is answered, and changes nothing.
    assert capture.finish_capture(db, token=vs.token) == vs.id
    db.commit()
    assert db.get(VerificationSession, vs.id).capture_finished_at == finished_at
    assert len(db.exec(select(Check).where(Check.session_id == vs.id)).all()) == 5  # 2 attempts + 3


def test_without_the_document_the_link_stays_open_for_it(db, store):
    vs = _consented(db)
    _attempt(db, vs)
    _attempt(db, vs)
    db.commit()
    assert capture.status(db, token=vs.token).status == LinkStatus.OPEN
    capture.store_document_image(db, store, token=vs.token, data=cm.jpeg(cm.document_frame()))
    assert capture.finish_capture(db, token=vs.token) == vs.id
    db.commit()
    assert capture.status(db, token=vs.token).status == LinkStatus.CHECKING
