"""A liveness batch is answered from its newest frames and its other frames are analysed after the answer
(issue 13: services/capture/flow.py analyse_liveness_frames, complete, store_later): the stored frames
carry the same analyses as analysing the whole batch at once, and the analyses made after the answer
count in the next answer's live feedback."""
from __future__ import annotations

import pytest
from sqlmodel import select

from identity_app import image_pool
from identity_app.checks import image_work
from identity_app.checks.liveness import FrameAnalysis
from identity_app.models import MediaItem, MediaKind
from identity_app.services.capture import flow as capture, liveness_feedback
from identity_app.services.capture.flow import PendingFrames
from identity_app.storage import LocalMediaStore
from tests import capture_media as cm
from tests.services.session_factory import make_session

pytestmark = pytest.mark.slow  # analyses frames in the image pool


class _Work:
    def __init__(self, db, store) -> None:
        self.db, self.store = db, store


def test_the_stored_frames_have_the_analyses_of_the_whole_batch_at_once(db, tmp_path, monkeypatch):
    monkeypatch.setattr(capture, "PENDING", PendingFrames())
    store = LocalMediaStore(tmp_path / "media", "test-secret-key-" + "z" * 40)
    vs = make_session(db)
    capture.open_link(db, token=vs.token, user_agent="pytest", ip="127.0.0.1")
    capture.give_consent(db, token=vs.token)
    rid = capture.start_liveness_attempt(db, token=vs.token).resource_id
    db.commit()
    loop = cm.face_loop()
    sent = [(i * 125, cm.jpeg(loop[i * 3])) for i in range(8)]  # blink, then the turn starting

    batch = capture.analyse_liveness_frames(db, token=vs.token, resource_id=rid, frames=sent)
    assert [f[0] for f in batch.frames] == [750, 875]  # the newest, for the answer
    assert [f[0] for f in batch.later] == [0, 125, 250, 375, 500, 625]
    assert all(f[2].startswith(b"\xff\xd8") and f[2] != data for f, (_, data) in zip(batch.later, sent))

    whole = image_pool.run(image_work.liveness_frames, [d for _, d in sent], capture.FRAME_LIMITS, 90)
    capture.PENDING.begin(batch)
    capture.store_pending(lambda use_case: use_case(_Work(db, store)), batch)
    db.commit()
    rows = sorted(db.exec(select(MediaItem).where(MediaItem.resource_id == rid,
                                                  MediaItem.kind == MediaKind.LIVENESS_FRAME)),
                  key=lambda m: m.captured_ms)
    assert [m.captured_ms for m in rows] == [ms for ms, _ in sent]
    assert [FrameAnalysis.from_dict(m.analysis) for m in rows] == \
        [FrameAnalysis.from_dict(f["analysis"]) for f in whole]
    assert [(m.width, m.height) for m in rows] == [(f["width"], f["height"]) for f in whole]
    assert capture.PENDING.count(rid) == 0
    # Stored: no batch is still timed as waiting (admission adds the storing lag to its answers; a batch
    # ended as its completed copy was timed for ever and held admission at its floor).
    assert capture.PENDING.oldest_s() == 0.0


def _turned(yaw: float) -> FrameAnalysis:
    return FrameAnalysis(face_count=1, face_box=(100, 80, 200, 260), yaw=yaw, ear_left=0.3, ear_right=0.3,
                         eye_open=0.1, mouth_open=0.02, image_size=(480, 360))


def test_frames_analysed_after_the_answer_count_in_the_next_answer(monkeypatch):
    monkeypatch.setattr(liveness_feedback, "_redis_store", lambda: None)
    rid, challenges = 987_654, ["TURN_LEFT"]
    liveness_feedback.forget(rid)
    try:
        # Batch 1: frontal. Batch 2: the turn happens in its older frames, which are analysed after
        # its answer; its newest frames are frontal again.
        first = liveness_feedback.add_frames(rid, challenges, [(ms, _turned(0.0)) for ms in range(0, 1000, 125)])
        second = liveness_feedback.add_frames(rid, challenges, [(1750, _turned(0.0)), (1875, _turned(0.0))])
        assert first.answered == second.answered == 0
        liveness_feedback.record(rid, [(ms, _turned(40.0)) for ms in range(1000, 1750, 125)])
        third = liveness_feedback.add_frames(rid, challenges, [(2750, _turned(0.0)), (2875, _turned(0.0))])
        assert third.answered == 1 and third.done and third.answered_at_ms == 1000
    finally:
        liveness_feedback.forget(rid)


def test_analyses_of_an_attempt_nobody_follows_are_not_kept(monkeypatch):
    monkeypatch.setattr(liveness_feedback, "_redis_store", lambda: None)
    liveness_feedback.forget(987_655)
    liveness_feedback.record(987_655, [(0, _turned(40.0))])  # forgotten (finished) or never answered here
    assert 987_655 not in liveness_feedback._cache
