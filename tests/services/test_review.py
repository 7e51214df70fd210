"""The manual review queue on sessions captured and checked for real."""
from __future__ import annotations


import cv2
import numpy as np
import pytest
from sqlmodel import Session, select

from identity_app.checks.report import CheckReport, CheckType, Detail, Process, Recommendation, sub_check
from identity_app.models import AuditEvent, ManualCheck, MediaItem, ReviewState, VerificationSession
from identity_app.services.review import manual as review, queue as review_queue
from identity_app.services.errors import Conflict, Forbidden, NotFound, ValidationError
from identity_app.services.capture.media_views import portrait_crop
from identity_app.services.sessions.detail import get_session_detail
from tests import seed

pytestmark = pytest.mark.slow  # not in the fast tier: a session captured and checked for real


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def world(request, tmp_path_factory):
    # Text extraction ALWAYS goes to a person; face match when not APPROVE.
    return seed.captured_world(request, tmp_path_factory, face_match="FALLBACK", text="ALWAYS",
                               members={"reviewer": ["VIEW_SESSIONS", "DECIDE"], "viewer": ["VIEW_SESSIONS"]})

def queue(world, actor=None):
    with Session(world.engine) as db:
        return review_queue.list_queue(db, actor=actor or world.reviewer, application_id=world.app_id)


def item_of(world, check_type: str):
    return next(i for i in queue(world) if i.check_type == check_type)


def test_review_state_follows_the_manual_check_setting():
    # The rule the worker applies to every check it writes (verification._write_check); the
    # world above went through it: text ALWAYS and face match FALLBACK-not-approved wait in the queue.
    fm, text = CheckType.ID_DOCUMENT_FACE_MATCH, "ID_DOCUMENT_TEXT_DATA_CHECK"
    assert review.initial_review_state(fm, ManualCheck.ALWAYS, "APPROVE") is ReviewState.PENDING
    assert review.initial_review_state(fm, "FALLBACK", Recommendation.APPROVE) is ReviewState.NOT_REQUIRED
    assert review.initial_review_state(fm, "FALLBACK", "REJECT") is ReviewState.PENDING
    assert review.initial_review_state(text, "FALLBACK", "NOT_AVAILABLE") is ReviewState.PENDING
    assert review.initial_review_state(text, "FALLBACK", None) is ReviewState.PENDING
    assert review.initial_review_state(fm, "NEVER", "REJECT") is ReviewState.NOT_REQUIRED
    # Checks a person cannot review never wait for one, whatever the setting says.
    assert review.initial_review_state(CheckType.LIVENESS, "ALWAYS", "REJECT") is ReviewState.NOT_REQUIRED
    assert review.initial_review_state(CheckType.ID_DOCUMENT_AUTHENTICITY, "FALLBACK", "REJECT") \
        is ReviewState.NOT_REQUIRED


def test_a_persons_result_joins_the_report_and_the_recommendation_follows_it():
    automated = CheckReport(CheckType.ID_DOCUMENT_FACE_MATCH, Recommendation.REJECT, reason="DIFFERENT_PERSON",
                            breakdown=(sub_check("ai_face_match", False, confidence_score=0.31),))
    passed = review.reviewed_report(automated, "PASS", None)
    assert (passed.recommendation, passed.reason) == (Recommendation.APPROVE, None)
    assert [(s.sub_check, s.process) for s in passed.breakdown] == [
        ("ai_face_match", Process.AUTOMATED), ("manual_face_match", Process.EXPERT_REVIEW)]
    assert passed.breakdown[-1].details == (Detail("automated_recommendation", "REJECT"),)
    assert CheckReport.from_dict(passed.to_dict()) == passed  # stored and read back by the report type
    # A check that could not run has no automated report: the person's result is the report.
    failed = review.reviewed_report(CheckReport(CheckType.ID_DOCUMENT_TEXT_DATA_CHECK, Recommendation.NOT_AVAILABLE),
                                    "FAIL", "DATA_MISMATCH")
    assert (failed.recommendation, failed.reason) == (Recommendation.REJECT, "DATA_MISMATCH")
    assert [s.sub_check for s in failed.breakdown] == ["manual_text_data_check"]


def test_the_queue_holds_always_checks_and_fallback_checks_not_approved(world):
    items = queue(world)
    by_type = {i.check_type: i for i in items}
    assert set(by_type) == {"ID_DOCUMENT_TEXT_DATA_CHECK", "ID_DOCUMENT_FACE_MATCH"}
    text, face = by_type["ID_DOCUMENT_TEXT_DATA_CHECK"], by_type["ID_DOCUMENT_FACE_MATCH"]
    assert text.manual_check == "ALWAYS" and text.automated == "APPROVE"
    assert face.manual_check == "FALLBACK" and not face.automated.startswith("APPROVE")
    assert all(i.session_id == world.session_id and i.user_name == "Ada Lovelace" for i in items)
    # A viewer sees the queue too; an operator of another application does not.
    assert len(queue(world, world.viewer)) == 2
    with pytest.raises(NotFound):
        queue(world, world.outsider)


def test_the_evidence_is_side_by_side(world):
    with Session(world.engine) as db:
        face = review.get_review_item(db, actor=world.reviewer,
                                      check_id=item_of(world, "ID_DOCUMENT_FACE_MATCH").check_id)
        text = review.get_review_item(db, actor=world.reviewer,
                                      check_id=item_of(world, "ID_DOCUMENT_TEXT_DATA_CHECK").check_id)
        kinds = {m.id: m.kind.value for m in db.exec(select(MediaItem)).all()}
        doc_key = db.get(MediaItem, face.document_media_id).storage_key
    assert kinds[face.document_media_id] == "DOCUMENT_FRONT" and kinds[face.selfie_media_id] == "SELFIE"
    assert face.can_review and face.fail_reasons[0] == "DIFFERENT_PERSON"
    assert text.document_media_id == face.document_media_id and text.selfie_media_id is None
    assert dict((f.name, f.value) for f in text.fields)["surname"] == "ERIKSSON"
    # The document portrait the reviewer sees is a real face cut from the real document photo.
    crop = portrait_crop(world.store.get(doc_key))
    img = cv2.imdecode(np.frombuffer(crop, np.uint8), cv2.IMREAD_COLOR)
    assert img is not None and 40 < img.shape[0] < 400


def test_a_reviewer_passes_a_check_and_the_report_follows_the_person(world):
    check_id = item_of(world, "ID_DOCUMENT_TEXT_DATA_CHECK").check_id
    with Session(world.engine, expire_on_commit=False) as db:
        with pytest.raises(ValidationError, match="reason"):
            review.record_review(db, actor=world.reviewer, check_id=check_id, result="PASS", reason="  ")
        with pytest.raises(ValidationError, match="PASS or FAIL"):
            review.record_review(db, actor=world.reviewer, check_id=check_id, result="MAYBE", reason="x")
        with pytest.raises(Forbidden):
            review.record_review(db, actor=world.viewer, check_id=check_id, result="PASS", reason="looks right")
        card = review.record_review(db, actor=world.reviewer, check_id=check_id, result="PASS",
                                    reason="MRZ and printed page agree", ip="10.0.0.2")
        db.commit()
    assert card.recommendation == "APPROVE" and card.process == "EXPERT_REVIEW"
    assert card.review_state == "DONE" and card.review_result == "PASS"
    assert card.reviewed_by == "Reviewer <reviewer@example.com>"
    last = card.breakdown[-1]
    assert (last.sub_check, last.result, last.process) == ("manual_text_data_check", "PASS", "EXPERT_REVIEW")
    assert any(s.process == "AUTOMATED" for s in card.breakdown)  # the automated evidence stays
    # Still waiting for the face match review: not completed yet.
    assert [i.check_type for i in queue(world)] == ["ID_DOCUMENT_FACE_MATCH"]
    with Session(world.engine) as db:
        assert db.get(VerificationSession, world.session_id).state.value == "ONGOING"
        with pytest.raises(Conflict):
            review.record_review(db, actor=world.reviewer, check_id=check_id, result="FAIL", reason="again")


def test_a_fail_rejects_and_the_session_completes_when_its_queue_is_done(world):
    check_id = item_of(world, "ID_DOCUMENT_FACE_MATCH").check_id
    with Session(world.engine, expire_on_commit=False) as db:
        with pytest.raises(NotFound):
            review.record_review(db, actor=world.outsider, check_id=check_id, result="PASS", reason="x")
        with pytest.raises(ValidationError, match="Choose one of"):
            review.record_review(db, actor=world.reviewer, check_id=check_id, result="FAIL", reason="x",
                                 reason_code="SPECIMEN")
        card = review.record_review(db, actor=world.reviewer, check_id=check_id, result="FAIL",
                                    reason="Not the same person as Ada's portrait", reason_code="DIFFERENT_PERSON")
        db.commit()
    assert (card.recommendation, card.reason) == ("REJECT", "DIFFERENT_PERSON")
    assert card.breakdown[-1].sub_check == "manual_face_match" and card.breakdown[-1].result == "FAIL"
    assert queue(world) == []
    with Session(world.engine) as db:
        d = get_session_detail(db, actor=world.owner, session_id=world.session_id)
        events = db.exec(select(AuditEvent).where(AuditEvent.action == "review.recorded")).all()
    assert d.state_label == "COMPLETED" and d.completed_at is not None and d.pending_reviews == 0
    assert {c.type for c in d.checks if c.process == "EXPERT_REVIEW"} == {
        "ID_DOCUMENT_FACE_MATCH", "ID_DOCUMENT_TEXT_DATA_CHECK"}
    assert sorted(e.details["result"] for e in events) == ["FAIL", "PASS"]
    # The reviewer's free text stays out of the audit log.
    assert "Ada" not in repr([e.details for e in events]) and "MRZ and printed" not in repr([e.details for e in events])
