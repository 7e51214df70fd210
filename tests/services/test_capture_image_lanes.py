"""Which capture image work goes to the pool's children first (services/capture/flow.py: ImageLanes):
a liveness batch, whose answer is the live feedback, before document camera frames and photos, which
never hold every child; a batch split in two halves only when two children are free."""
from __future__ import annotations

import threading
import time

import numpy as np
import pytest

from identity_app.services.capture import flow as capture
from identity_app.services.capture.flow import CaptureRefused, ImageLanes
from identity_app.storage import LocalMediaStore
from tests import capture_media as cm
from tests.services.session_factory import make_session

pytestmark = pytest.mark.slow


def _until(condition) -> None:
    while not condition():
        time.sleep(0.01)


def _side_in_thread(lanes: ImageLanes, wait_s: float = 60) -> tuple[threading.Thread, threading.Event]:
    got_in = threading.Event()

    def side() -> None:
        with lanes.side_work(wait_s):
            got_in.set()

    thread = threading.Thread(target=side)
    thread.start()
    return thread, got_in


def test_side_work_waits_while_liveness_batches_fill_every_child_and_goes_when_one_is_free():
    lanes = ImageLanes(2, aging_s=60)
    with lanes.frame_work():
        with lanes.frame_work():
            thread, got_in = _side_in_thread(lanes)
            _until(lambda: lanes.side_waiting == 1)
            assert not got_in.is_set()
        thread.join(60)  # one batch done: a child is free of liveness work
        assert got_in.is_set()
    assert lanes.side == lanes.frames == 0


def test_side_work_never_holds_every_child():
    lanes = ImageLanes(2, aging_s=60)
    with lanes.side_work(1):
        thread, got_in = _side_in_thread(lanes)
        _until(lambda: lanes.side_waiting == 1)
        assert not got_in.is_set() and lanes.side == 1
    thread.join(60)
    assert got_in.is_set() and lanes.side == 0


def test_side_work_kept_waiting_by_liveness_batches_goes_anyway_after_its_aging():
    """Late, never refused for the batches' sake: after aging_s it takes a side place as usual."""
    lanes = ImageLanes(2, aging_s=0.0)
    with lanes.frame_work(2):
        with lanes.side_work(60):
            assert lanes.side == 1


def test_side_work_refused_as_server_busy_when_no_side_place_comes_free():
    lanes = ImageLanes(2, aging_s=0.0)
    with lanes.side_work(1):
        with pytest.raises(CaptureRefused) as refused:
            with lanes.side_work(0.01):
                pass
    assert refused.value.code == "SERVER_BUSY" and lanes.side == 0 and lanes.side_waiting == 0


def test_a_batch_is_split_only_when_two_children_are_free():
    lanes = ImageLanes(2)
    assert lanes.halves()
    with lanes.frame_work():
        assert not lanes.halves()
    with lanes.side_work(1):
        assert not lanes.halves()
    assert lanes.halves() and not ImageLanes(1).halves()


def test_a_liveness_batch_is_analysed_while_side_work_holds_its_place_and_keeps_its_order(db, tmp_path,
                                                                                          monkeypatch):
    monkeypatch.setattr(capture, "_lanes", ImageLanes(2, aging_s=60))
    store = LocalMediaStore(tmp_path / "media", "test-secret-key-" + "z" * 40)
    vs = make_session(db)
    capture.open_link(db, token=vs.token, user_agent="pytest", ip="127.0.0.1")
    capture.give_consent(db, token=vs.token)
    attempt = capture.start_liveness_attempt(db, token=vs.token)
    face = cm.face_loop()[0]
    blank = np.full_like(face, 40)
    images = [blank, blank, face, face, face, face, blank, blank]  # halves of 4: the order must hold
    frames = [(i * 125, cm.jpeg(image)) for i, image in enumerate(images)]
    lanes = capture.image_lanes()
    quality_done = threading.Event()

    def document_frame() -> None:
        capture.frame_quality(cm.jpeg(cm.document_frame()))
        quality_done.set()

    with lanes.side_work(1):  # a document photo in the one side place
        aiming = threading.Thread(target=document_frame)
        aiming.start()
        _until(lambda: lanes.side_waiting == 1)
        analyses = capture.add_liveness_frames(db, store, token=vs.token, resource_id=attempt.resource_id,
                                               frames=frames)
        assert not quality_done.is_set()  # the document frame still waits for the side place
    aiming.join(60)
    assert quality_done.is_set()
    assert [a.has_face for a in analyses] == [False, False, True, True, True, True, False, False]
    assert capture.frame_count(db, attempt.resource_id) == 8


def _urgent_in_thread(lanes: ImageLanes, order: list[str], name: str, urgent: bool) -> threading.Thread:
    def side() -> None:
        with lanes.side_work(60, urgent=urgent):
            order.append(name)

    thread = threading.Thread(target=side)
    thread.start()
    return thread


def test_a_document_photo_does_not_give_way_to_liveness_batches():
    lanes = ImageLanes(2, aging_s=60)
    order: list[str] = []
    with lanes.frame_work(), lanes.frame_work():  # batches in every child
        photo = _urgent_in_thread(lanes, order, "photo", urgent=True)
        photo.join(10)
        assert order == ["photo"]  # a camera frame would wait for a child free of batches (up to its aging)


def test_a_document_photo_goes_before_camera_frames_waiting_for_the_side_lane():
    lanes = ImageLanes(2, aging_s=60)
    order: list[str] = []
    with lanes.side_work(1):  # a camera frame in the side lane
        frame = _urgent_in_thread(lanes, order, "frame", urgent=False)
        _until(lambda: lanes.side_waiting == 1)
        photo = _urgent_in_thread(lanes, order, "photo", urgent=True)
        _until(lambda: lanes.urgent_waiting == 1)
    for t in (photo, frame):
        t.join(10)
    assert order == ["photo", "frame"]
    assert lanes.side == lanes.side_waiting == lanes.urgent_waiting == 0
