"""A liveness batch is answered once analysed and stored right after (services/capture/flow.py:
analyse_liveness_frames, store_later, PENDING): its attempt finishes only once its frames are stored,
a batch whose storing failed is stored by the finish, and the frame limit counts frames not yet stored."""
from __future__ import annotations

import threading
import time

import pytest
from sqlmodel import select

from identity_app.models import Check, CheckState, MediaItem, MediaKind
from identity_app.services.capture import flow as capture
from identity_app.services.capture.flow import CaptureRefused, PendingFrames
from identity_app.storage import LocalMediaStore
from tests import capture_media as cm
from tests.services.session_factory import make_session

pytestmark = pytest.mark.slow  # analyses frames in the image pool


@pytest.fixture
def attempt(db, tmp_path, monkeypatch):
    monkeypatch.setattr(capture, "PENDING", PendingFrames())
    store = LocalMediaStore(tmp_path / "media", "test-secret-key-" + "z" * 40)
    vs = make_session(db)
    capture.open_link(db, token=vs.token, user_agent="pytest", ip="127.0.0.1")
    capture.give_consent(db, token=vs.token)
    started = capture.start_liveness_attempt(db, token=vs.token)
    db.commit()
    return vs, started.resource_id, store


def _frames(n: int, start_ms: int = 0) -> list[tuple[int, bytes]]:
    face = cm.jpeg(cm.face_loop()[0])
    return [(start_ms + i * 125, face) for i in range(n)]


def _stored(db, resource_id: int) -> list[MediaItem]:
    return list(db.exec(select(MediaItem).where(MediaItem.resource_id == resource_id,
                                                MediaItem.kind == MediaKind.LIVENESS_FRAME)))


def test_the_finish_waits_for_frames_being_stored_and_then_has_them_all(db, attempt):
    vs, rid, store = attempt
    batch = capture.analyse_liveness_frames(db, token=vs.token, resource_id=rid, frames=_frames(4))
    # checked and cleaned, the newest analysed for the answer, nothing written yet
    assert batch.size == 4 and len(batch.analyses) == capture.ANSWER_FRAMES and not _stored(db, rid)
    release, finished = threading.Event(), threading.Event()

    def slow_unit(use_case) -> None:  # the storing's unit of work, held until released
        release.wait(60)
        use_case(_Work(db, store))

    capture.store_later(slow_unit, batch)
    assert capture.PENDING.count(rid) == 4

    def finish() -> None:
        capture.finish_liveness_attempt(db, token=vs.token, resource_id=rid, store=store, settle_s=60)
        finished.set()

    finisher = threading.Thread(target=finish)
    finisher.start()
    time.sleep(0.3)  # (give the finish a chance to run ahead: it must not)
    assert not finished.is_set()
    release.set()
    finisher.join(60)
    assert finished.is_set() and capture.PENDING.count(rid) == 0
    assert sorted(m.captured_ms for m in _stored(db, rid)) == [0, 125, 250, 375]
    assert db.exec(select(Check).where(Check.resource_id == rid)).one().state == CheckState.PENDING


def test_a_batch_whose_storing_failed_is_stored_by_the_finish(db, attempt):
    vs, rid, store = attempt
    batch = capture.analyse_liveness_frames(db, token=vs.token, resource_id=rid, frames=_frames(4))

    def failing_unit(use_case) -> None:
        raise OSError("disk full for a moment")

    capture.PENDING.begin(batch)
    capture.store_pending(failing_unit, batch)
    assert not _stored(db, rid) and capture.PENDING.count(rid) == 4  # not lost: kept for the finish
    capture.finish_liveness_attempt(db, token=vs.token, resource_id=rid, store=store, settle_s=1)
    assert len(_stored(db, rid)) == 4 and capture.PENDING.count(rid) == 0


def test_the_finish_is_refused_while_frames_are_still_being_stored_past_its_wait(db, attempt):
    vs, rid, store = attempt
    batch = capture.analyse_liveness_frames(db, token=vs.token, resource_id=rid, frames=_frames(4))
    capture.PENDING.begin(batch)
    with pytest.raises(CaptureRefused) as refused:
        capture.finish_liveness_attempt(db, token=vs.token, resource_id=rid, store=store, settle_s=0.01)
    assert refused.value.code == "SERVER_BUSY" and not db.exec(select(Check).where(Check.resource_id == rid)).all()
    capture.PENDING.end(batch, stored=False)  # its storing failed: the next finish stores it
    capture.finish_liveness_attempt(db, token=vs.token, resource_id=rid, store=store, settle_s=1)
    assert len(_stored(db, rid)) == 4


def test_the_frame_limit_counts_frames_not_yet_stored(db, attempt, monkeypatch):
    vs, rid, store = attempt
    monkeypatch.setattr(capture, "MAX_FRAMES_PER_ATTEMPT", 6)
    batch = capture.analyse_liveness_frames(db, token=vs.token, resource_id=rid, frames=_frames(4))
    capture.PENDING.begin(batch)
    with pytest.raises(CaptureRefused) as refused:
        capture.analyse_liveness_frames(db, token=vs.token, resource_id=rid, frames=_frames(4, 500))
    assert refused.value.code == "TOO_MANY_FRAMES"


class _Work:
    def __init__(self, db, store) -> None:
        self.db, self.store = db, store
