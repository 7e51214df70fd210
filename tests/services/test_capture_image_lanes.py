"""Side image work (document camera frames, document photos) never holds every image child: a liveness
batch, whose answer is the live feedback, is analysed while side work waits its turn
(services/capture/flow.py: SideLane, and a batch's halves analysed in two children at once)."""
from __future__ import annotations

import threading
import time

import numpy as np
import pytest

from identity_app.services.capture import flow as capture
from identity_app.services.capture.flow import CaptureRefused, SideLane
from identity_app.storage import LocalMediaStore
from tests import capture_media as cm
from tests.services.session_factory import make_session

pytestmark = pytest.mark.slow


def _until(condition) -> None:
    while not condition():
        time.sleep(0.01)


def test_side_work_waits_for_a_place_and_takes_the_one_given_back():
    lane = SideLane(1)
    got_in = threading.Event()

    def second() -> None:
        with lane.hold(60):
            got_in.set()

    with lane.hold(1):
        waiter = threading.Thread(target=second)
        waiter.start()
        _until(lambda: lane.waiting == 1)
        assert not got_in.is_set() and lane.busy == 1
    waiter.join(60)
    assert got_in.is_set() and lane.busy == 0 and lane.waiting == 0


def test_side_work_refused_as_server_busy_when_no_place_comes_free():
    lane = SideLane(1)
    with lane.hold(1):
        with pytest.raises(CaptureRefused) as refused:
            with lane.hold(0.01):
                pass
    assert refused.value.code == "SERVER_BUSY" and lane.busy == 0
    with lane.hold(0.01):  # free again afterwards
        assert lane.busy == 1


def test_a_liveness_batch_is_analysed_while_side_work_holds_every_place_and_keeps_its_order(db, tmp_path,
                                                                                           monkeypatch):
    monkeypatch.setenv("IDV_IMAGE_WORKERS", "2")
    from identity_app.settings import get_settings

    get_settings.cache_clear()
    monkeypatch.setattr(capture, "_side_lane", None)
    store = LocalMediaStore(tmp_path / "media", "test-secret-key-" + "z" * 40)
    vs = make_session(db)
    capture.open_link(db, token=vs.token, user_agent="pytest", ip="127.0.0.1")
    capture.give_consent(db, token=vs.token)
    attempt = capture.start_liveness_attempt(db, token=vs.token)
    face = cm.face_loop()[0]
    blank = np.full_like(face, 40)
    images = [blank, blank, face, face, face, face, blank, blank]  # halves of 4: the order must hold
    frames = [(i * 125, cm.jpeg(image)) for i, image in enumerate(images)]
    lane = capture.side_lane()
    assert lane.limit == 1  # two children: one kept from side work
    quality_done = threading.Event()

    def document_frame() -> None:
        capture.frame_quality(cm.jpeg(cm.document_frame()))
        quality_done.set()

    try:
        with lane.hold(1):  # a document photo in the one side place
            aiming = threading.Thread(target=document_frame)
            aiming.start()
            _until(lambda: lane.waiting == 1)
            analyses = capture.add_liveness_frames(db, store, token=vs.token, resource_id=attempt.resource_id,
                                                   frames=frames)
            assert not quality_done.is_set()  # the document frame still waits for the side place
        aiming.join(60)
        assert quality_done.is_set()
    finally:
        get_settings.cache_clear()
    assert [a.has_face for a in analyses] == [False, False, True, True, True, True, False, False]
    assert capture.frame_count(db, attempt.resource_id) == 8
