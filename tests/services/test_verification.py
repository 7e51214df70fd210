"""Running a captured session's checks: real images, real checks, both databases."""
from __future__ import annotations

import time
from datetime import date

import pytest
from sqlmodel import select

from identity_app.checks.report import CheckReport
from identity_app.models import (
    Check,
    CheckState,
    MediaItem,
    MediaKind,
    ReviewState,
    SessionState,
    Task,
    TaskState,
    TaskType,
    WebhookDelivery,
    WebhookTopic,
)
from identity_app.services.capture import flow as capture
from identity_app.services.api import webhooks
from identity_app.services.review import completion, verification
from identity_app.storage import LocalMediaStore
from tests import capture_media as cm, seed
from tests.services.session_factory import NO_REVIEW, make_session

pytestmark = pytest.mark.slow  # not in the fast tier: the real check job on a real passport photo and real frames

TODAY = date(2026, 11, 25)


@pytest.fixture
def store(tmp_path):
    return LocalMediaStore(tmp_path / "media", "test-secret-key-" + "z" * 40)


@pytest.fixture
def fixed_challenges(monkeypatch):
    monkeypatch.setenv("IDV_TEST_HOOKS", "true")
    monkeypatch.setenv("IDV_TEST_LIVENESS_CHALLENGES", "TURN_LEFT,BLINK")


def captured(db, store, frames, *, checks, session=None):
    """A session taken through the capture services: document, one liveness attempt, finished."""
    vs, _ = with_document(db, store, checks=checks, session=session)
    return vs, liveness_and_finish(db, store, vs, frames)


def with_document(db, store, *, checks, document_type="PASSPORT", session=None):
    """A consented session with the front of its document stored."""
    vs = session or make_session(db, checks=checks)
    capture.open_link(db, token=vs.token, user_agent="pytest", ip="127.0.0.1")
    capture.give_consent(db, token=vs.token)
    doc = capture.store_document_image(db, store, token=vs.token, data=cm.jpeg(cm.document_frame(), 92),
                                       document_type=document_type)
    db.commit()
    return vs, doc


def liveness_and_finish(db, store, vs, frames):
    """One liveness attempt streamed in batches of 10 frames, then the capture finished."""
    attempt = capture.start_liveness_attempt(db, token=vs.token)
    batch = [(int(t * 1000), cm.jpeg(f)) for f, t in zip(frames, cm.timestamps(len(frames)))]
    for k in range(0, len(batch), 10):
        capture.add_liveness_frames(db, store, token=vs.token, resource_id=attempt.resource_id,
                                    frames=batch[k:k + 10])
    capture.finish_liveness_attempt(db, token=vs.token, resource_id=attempt.resource_id)
    capture.finish_capture(db, token=vs.token)
    db.commit()
    return attempt


def reports(db, session_id) -> dict[str, Check]:
    return {c.type: c for c in db.exec(select(Check).where(Check.session_id == session_id))}


def test_a_captured_session_is_checked_and_completed_with_real_reports(db, store, fixed_challenges):
    vs = make_session(db, checks=NO_REVIEW)
    hook = webhooks.create_endpoint(db, actor=seed.owner(db), application_id=vs.application_id,
                                    url="https://hooks.example.com/idv", topics=[t.value for t in WebhookTopic])
    db.commit()
    vs, attempt = captured(db, store, cm.face_loop() * 2, checks=NO_REVIEW, session=vs)
    started = time.perf_counter()
    verification.run_session_checks(db, store, session_id=vs.id, today=TODAY)
    print(f"checks of one session: {time.perf_counter() - started:.1f} s")
    db.refresh(vs)
    assert vs.state == SessionState.COMPLETED and vs.completed_at is not None
    checks = reports(db, vs.id)
    assert set(checks) == {"LIVENESS", "ID_DOCUMENT_AUTHENTICITY", "ID_DOCUMENT_TEXT_DATA_CHECK",
                           "ID_DOCUMENT_FACE_MATCH"}
    assert all(c.state == CheckState.DONE and c.review_state == ReviewState.NOT_REQUIRED for c in checks.values())
    liveness = CheckReport.from_dict(checks["LIVENESS"].report)
    assert liveness.recommendation.value == "APPROVE", liveness.to_dict()
    assert checks["LIVENESS"].resource_id == attempt.resource_id
    text = CheckReport.from_dict(checks["ID_DOCUMENT_TEXT_DATA_CHECK"].report)
    assert text.recommendation.value == "APPROVE" and text.data_dict()["issuing_country"] == "UTO"
    # The ICAO specimen passport is honestly reported as a specimen.
    doc = checks["ID_DOCUMENT_AUTHENTICITY"]
    assert (doc.recommendation, doc.reason) == ("REJECT", "SPECIMEN")
    face = CheckReport.from_dict(checks["ID_DOCUMENT_FACE_MATCH"].report)
    assert face.recommendation.value in ("APPROVE", "REJECT") and any(
        s.sub_check == "ai_face_match" for s in face.breakdown)
    (task,) = db.exec(select(Task).where(Task.session_id == vs.id)).all()
    assert task.state == TaskState.DONE and task.result["mrz_found"]
    selfies = db.exec(select(MediaItem).where(MediaItem.session_id == vs.id, MediaItem.kind == MediaKind.SELFIE)).all()
    assert len(selfies) == 1 and selfies[0].resource_id == attempt.resource_id

    # The application's webhook heard every step, in order, with ids and no personal data.
    told = [d.payload for d in db.exec(select(WebhookDelivery).where(
        WebhookDelivery.endpoint_id == hook.endpoint.id).order_by(WebhookDelivery.id))]
    topics = [p["type"] for p in told]
    assert topics[:2] == ["resource.updated", "resource.updated"] and topics[-1] == "session.completed", topics
    assert sorted(topics[2:-1]) == ["check.completed"] * 4 + ["task.completed"], topics
    assert {p["data"]["check_id"]: p["data"]["recommendation"] for p in told if p["type"] == "check.completed"} == {
        c.id: c.recommendation for c in checks.values()}
    assert [p["data"]["resource_type"] for p in told[:2]] == ["ID_DOCUMENT", "LIVENESS"]
    assert "Ada" not in str(told) and "ada@" not in str(told)

    # Running the job again (a duplicate delivery) changes nothing.
    before = {t: (c.completed_at, c.report) for t, c in checks.items()}
    verification.run_session_checks(db, store, session_id=vs.id, today=TODAY)
    assert {t: (c.completed_at, c.report) for t, c in reports(db, vs.id).items()} == before
    assert verification.sessions_needing_checks(db) == []


def test_an_interrupted_job_resumes_without_redoing_finished_checks(db, store, fixed_challenges):
    vs, attempt = captured(db, store, cm.face_loop() * 2,
                           checks={**NO_REVIEW, "document_authenticity": {"enabled": False},
                                   "text_extraction": {"enabled": False}})
    # The liveness attempt was decided (as the capture page asks for), then the worker died.
    verification.evaluate_liveness_attempt(db, store, resource_id=attempt.resource_id)
    liveness_done = reports(db, vs.id)["LIVENESS"].completed_at
    assert verification.sessions_needing_checks(db) == [vs.id]
    verification.run_session_checks(db, store, session_id=vs.id, today=TODAY)
    checks = reports(db, vs.id)
    assert checks["LIVENESS"].completed_at == liveness_done
    assert set(checks) == {"LIVENESS", "ID_DOCUMENT_FACE_MATCH"}
    db.refresh(vs)
    assert vs.state == SessionState.COMPLETED


def test_the_worker_decides_from_the_analyses_stored_while_frames_streamed(db, store, fixed_challenges,
                                                                           monkeypatch):
    from identity_app.checks import liveness
    from identity_app.checks.liveness import FrameAnalysis

    vs, attempt = captured(db, store, cm.face_loop() * 2,
                           checks={**NO_REVIEW, "document_authenticity": {"enabled": False},
                                   "text_extraction": {"enabled": False}})
    frames = list(db.exec(select(MediaItem).where(MediaItem.resource_id == attempt.resource_id)))
    stored = [FrameAnalysis.from_dict(m.analysis) for m in frames]
    assert frames and all(a is not None for a in stored)
    assert sum(a.has_face for a in stored) >= 0.8 * len(stored)  # type: ignore[union-attr]

    analysed_again = []
    real = liveness.analyse_frame
    monkeypatch.setattr(liveness, "analyse_frame", lambda f: analysed_again.append(1) or real(f))
    verification.run_session_checks(db, store, session_id=vs.id, today=TODAY)
    assert analysed_again == []  # the job read the analyses, it did not redo them
    from_stored = reports(db, vs.id)["LIVENESS"]
    assert from_stored.recommendation == "APPROVE"
    first = [(b["sub_check"], b["result"]) for b in from_stored.report["breakdown"]]

    # Frames stored without an analysis (rows from before it was stored) are analysed by the
    # worker, from the stored JPEGs, and reach the same decision.
    for m in frames:
        m.analysis = None
        db.add(m)
    from_stored.state = CheckState.CREATED
    db.add(from_stored)
    db.commit()
    verification.evaluate_liveness_attempt(db, store, resource_id=attempt.resource_id)
    assert len(analysed_again) == len(frames)
    again = reports(db, vs.id)["LIVENESS"]
    assert again.recommendation == "APPROVE"
    assert [(b["sub_check"], b["result"]) for b in again.report["breakdown"]] == first


def _text_tasks(db, session_id):
    return list(db.exec(select(Task).where(Task.session_id == session_id, Task.type == TaskType.ID_DOCUMENT_TEXT_DATA_EXTRACTION)))


def test_the_document_is_read_while_the_user_goes_on_and_the_checks_reuse_it(db, store, fixed_challenges,
                                                                              monkeypatch):
    from identity_app.checks import text_extraction

    vs, doc = with_document(db, store, checks=NO_REVIEW)
    assert verification.read_document_early(db, store, resource_id=doc.resource_id, today=TODAY)
    [task] = _text_tasks(db, vs.id)
    assert task.state == TaskState.DONE and task.result["mrz_found"]
    assert task.result[verification.MEDIA_KEY] == [doc.media_id]
    assert not verification.read_document_early(db, store, resource_id=doc.resource_id)  # read once

    liveness_and_finish(db, store, vs, cm.face_loop() * 2)
    assert len(_text_tasks(db, vs.id)) == 1  # finishing reuses the early task, no second one

    read_again = []
    real = text_extraction.extract_document_text
    monkeypatch.setattr(text_extraction, "extract_document_text", lambda *a, **k: read_again.append(1) or real(*a, **k))
    verification.run_session_checks(db, store, session_id=vs.id, today=TODAY)
    assert read_again == []
    checks = reports(db, vs.id)
    text = checks["ID_DOCUMENT_TEXT_DATA_CHECK"]
    assert text.state == CheckState.DONE and text.recommendation == "APPROVE"
    assert {d["name"] for d in text.report["data"]} >= {"surname", "document_number", "date_of_birth"}
    assert checks["ID_DOCUMENT_AUTHENTICITY"].state == CheckState.DONE
    db.refresh(vs)
    assert vs.state == SessionState.COMPLETED


def test_an_early_reading_of_other_photos_is_not_reused(db, store, monkeypatch):
    from identity_app.checks import text_extraction

    # An ID card: nothing is read until its back (where the MRZ is) arrives, then front and back.
    vs, front = with_document(db, store, checks=NO_REVIEW, document_type="NATIONAL_ID")
    assert not verification.read_document_early(db, store, resource_id=front.resource_id, today=TODAY)
    assert _text_tasks(db, vs.id) == []
    back = capture.store_document_image(db, store, token=vs.token, side="BACK",
                                        data=cm.jpeg(cm.document_frame(), 92))
    db.commit()
    assert verification.read_document_early(db, store, resource_id=front.resource_id, today=TODAY)
    [task] = _text_tasks(db, vs.id)
    assert task.result[verification.MEDIA_KEY] == [front.media_id, back.media_id]
    assert task.result[verification.SOURCE_KEY] == "DOCUMENT_FRONT"  # this front holds an MRZ

    # A new photo of the back after the reading: the stored reading is stale and is read again.
    new_back = capture.store_document_image(db, store, token=vs.token, side="BACK",
                                            data=cm.jpeg(cm.document_frame(), 92))
    db.commit()
    read = []
    real = text_extraction.extract_document_text
    monkeypatch.setattr(text_extraction, "extract_document_text", lambda *a, **k: read.append(1) or real(*a, **k))
    assert verification.read_document_early(db, store, resource_id=front.resource_id, today=TODAY)
    assert read
    [task] = _text_tasks(db, vs.id)
    assert task.result[verification.MEDIA_KEY] == [front.media_id, new_back.media_id]


def test_a_capture_finished_during_the_early_reading_leaves_one_text_task(db, store, fixed_challenges,
                                                                           monkeypatch):
    from identity_app.checks import text_extraction

    vs, doc = with_document(db, store, checks=NO_REVIEW)
    real = text_extraction.extract_document_text

    def read_while_the_user_finishes(*a, **k):
        liveness_and_finish(db, store, vs, cm.face_loop() * 2)  # finish_capture adds its PENDING task
        return real(*a, **k)

    monkeypatch.setattr(text_extraction, "extract_document_text", read_while_the_user_finishes)
    assert verification.read_document_early(db, store, resource_id=doc.resource_id, today=TODAY)
    [task] = _text_tasks(db, vs.id)
    assert task.state == TaskState.DONE and task.result[verification.MEDIA_KEY] == [doc.media_id]


def test_no_early_reading_when_text_extraction_is_off_or_capture_is_over(db, store):
    vs, doc = with_document(db, store, checks={**NO_REVIEW, "text_extraction": {"enabled": False}})
    assert not verification.read_document_early(db, store, resource_id=doc.resource_id, today=TODAY)
    vs2, doc2 = with_document(db, store, checks=NO_REVIEW)
    vs2.capture_finished_at = vs2.created_at
    db.add(vs2)
    db.commit()
    assert not verification.read_document_early(db, store, resource_id=doc2.resource_id, today=TODAY)
    assert _text_tasks(db, vs.id) == [] and _text_tasks(db, vs2.id) == []
    assert not verification.read_document_early(db, store, resource_id=10**6)  # unknown resource


def test_a_manual_review_keeps_the_session_in_progress(db, store, fixed_challenges):
    vs, _ = captured(db, store, cm.face_loop() * 2,
                     checks={"document_authenticity": {"enabled": False}, "text_extraction": {"enabled": False},
                             "face_match": {"manual_check": "ALWAYS"}})
    verification.run_session_checks(db, store, session_id=vs.id, today=TODAY)
    face = reports(db, vs.id)["ID_DOCUMENT_FACE_MATCH"]
    assert face.state == CheckState.DONE and face.review_state == ReviewState.PENDING
    assert face.manual_check.value == "ALWAYS"
    db.refresh(vs)
    assert vs.state == SessionState.ONGOING
    assert verification.sessions_needing_checks(db) == []  # waiting for a person, not for the worker
    face.review_state = ReviewState.DONE
    db.add(face)
    db.commit()
    assert completion.complete_if_ready(db, vs.id)  # as record_review does once the last review is done
    db.commit()
    db.refresh(vs)
    assert vs.state == SessionState.COMPLETED


def test_a_printed_photo_held_up_fails_liveness(db, store, fixed_challenges):
    vs, attempt = captured(db, store, cm.printed_photo_loop(),
                           checks={**NO_REVIEW, "document_authenticity": {"enabled": False},
                                   "text_extraction": {"enabled": False}})
    verification.evaluate_liveness_attempt(db, store, resource_id=attempt.resource_id)
    check = reports(db, vs.id)["LIVENESS"]
    assert check.recommendation == "REJECT" and check.reason
    result = capture.liveness_result(db, token=vs.token, resource_id=attempt.resource_id)
    assert result.done and not result.passed and result.reason == check.reason


def test_links_that_expire_before_capture_finishes_become_expired(db):
    from datetime import timedelta

    from identity_app.models import utcnow

    vs = make_session(db, lifetime=timedelta(seconds=-5))
    from identity_app.services.sessions.expiry import expire_sessions

    assert expire_sessions(db) == 1
    db.commit()
    db.refresh(vs)
    assert vs.state == SessionState.EXPIRED
