"""Frames analysed after their batch's answer let answers go first (services/capture/flow.py:
ImageLanes.later_work), and are never refused or starved for it (issue 13)."""
from __future__ import annotations

import threading

from identity_app.services.capture.flow import ImageLanes


def _later_in_thread(lanes: ImageLanes) -> tuple[threading.Thread, threading.Event, threading.Event]:
    got_in, leave = threading.Event(), threading.Event()

    def later() -> None:
        with lanes.later_work():
            got_in.set()
            leave.wait(60)

    thread = threading.Thread(target=later)
    thread.start()
    return thread, got_in, leave


def test_later_work_waits_while_answers_fill_every_child_and_goes_when_one_is_free():
    lanes = ImageLanes(2, aging_s=60)
    with lanes.frame_work():
        with lanes.frame_work():
            thread, got_in, leave = _later_in_thread(lanes)
            assert not got_in.wait(0.3)  # both children answer batches
        assert got_in.wait(10)  # one answer done: the later work takes the free child
        assert lanes.later == 1 and not lanes.halves()  # a batch is not split while it holds a child
    leave.set()
    thread.join(10)
    assert lanes.later == 0 and lanes.halves()


def test_later_work_goes_anyway_after_its_aging():
    lanes = ImageLanes(1, aging_s=0.05)
    with lanes.frame_work():
        thread, got_in, leave = _later_in_thread(lanes)
        assert got_in.wait(10)  # late, never refused: the pool queues it behind the answer
        leave.set()
        thread.join(10)
    assert lanes.later == 0
