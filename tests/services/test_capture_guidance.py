"""What the capture page is told while a person captures (issue 14 item 8, issue 12's automatic capture):
the same number of challenges in every attempt, each challenge's time and the moment its predecessor
was answered (the page's countdown), and whether a document frame may be taken by itself."""
from __future__ import annotations

import pytest

from identity_app.services.capture import flow as capture, liveness_feedback
from identity_app.services.capture.flow import QualityFeedback
from tests import capture_media as cm
from tests.services.session_factory import NO_REVIEW, make_session

pytestmark = pytest.mark.slow  # real images through the image pool, MediaPipe for the liveness frames

CORNERS = ((0.05, 0.1), (0.95, 0.1), (0.95, 0.9), (0.05, 0.9))


def test_every_attempt_draws_the_same_number_of_challenges(monkeypatch):
    monkeypatch.delenv("IDV_TEST_HOOKS", raising=False)
    counts = {len(capture.choose_challenges()) for _ in range(200)}
    assert counts == {capture.CHALLENGES_PER_ATTEMPT}  # was 2 or 3 at random, attempt by attempt


def test_attempts_of_one_session_have_as_many_challenges(db, monkeypatch):
    monkeypatch.delenv("IDV_TEST_HOOKS", raising=False)
    vs = make_session(db, checks={**NO_REVIEW, "liveness": {"max_retries": 3}})
    capture.open_link(db, token=vs.token)
    capture.give_consent(db, token=vs.token)
    sizes = []
    for _ in range(3):
        attempt = capture.start_liveness_attempt(db, token=vs.token)
        sizes.append(len(attempt.challenges))
        capture.finish_liveness_attempt(db, token=vs.token, resource_id=attempt.resource_id)
    assert sizes == [capture.CHALLENGES_PER_ATTEMPT] * 3


def test_each_challenge_has_the_checks_own_time():
    from identity_app.checks.liveness import LivenessThresholds

    assert capture.seconds_per_challenge() == LivenessThresholds().max_response_s == 10.0


def test_progress_says_when_the_last_challenge_was_answered():
    """The countdown of the pending challenge runs from its predecessor's answer, as the check counts."""
    from identity_app.checks.liveness import analyse_frame

    frames = cm.face_loop()
    times = cm.timestamps(len(frames) * 2)
    analyses = [analyse_frame(f) for f in frames] * 2
    first = liveness_feedback.add_frames(9001, ["TURN_LEFT", "BLINK"], [(0, analyses[0])])
    assert first.answered == 0 and first.answered_at_ms == 0
    progress = liveness_feedback.add_frames(9001, ["TURN_LEFT", "BLINK"],
                                            [(int(t * 1000), a) for t, a in zip(times[1:], analyses[1:])])
    liveness_feedback.forget(9001)
    assert progress.answered >= 1
    assert 0 < progress.answered_at_ms <= int(times[-1] * 1000)


def test_a_whole_sharp_document_may_be_taken_by_itself():
    feedback = capture.frame_quality(cm.jpeg(cm.document_frame(), 80))
    assert feedback.ok and len(feedback.corners) == 4 and feedback.auto_ready
    assert all(0 <= x <= 1 and 0 <= y <= 1 for x, y in feedback.corners)


def test_a_document_cut_by_the_frame_is_not_taken_by_itself():
    feedback = capture.frame_quality(cm.jpeg(cm.document_frame(fill=1.25), 80))
    assert not feedback.ok and not feedback.auto_ready and feedback.hint_codes == ("PARTIAL_PHOTO",)


@pytest.mark.parametrize("frame_problems", [("PARTLY_OUT_OF_FRAME",), ("TOO_SMALL",), ("BLURRED",)])
def test_the_framing_problems_of_an_accepted_frame_are_told_and_stop_the_automatic_capture(frame_problems):
    feedback = QualityFeedback(True, (), frame_problems, CORNERS)
    assert feedback.hint_codes == frame_problems and not feedback.auto_ready


def test_an_accepted_frame_without_a_found_document_is_not_taken_by_itself():
    assert not QualityFeedback(True, (), ("DOCUMENT_NOT_FOUND",), ()).auto_ready
    assert QualityFeedback(True, (), ("GLARE",), CORNERS).auto_ready  # glare is the quality check's to judge
