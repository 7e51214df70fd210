"""A call made while warm() holds the pool's children (they are loading their libraries, as a
scaled-out web process's frame server does at its first call) waits for them, as a call that took a
loading child itself would, instead of being refused SERVER_BUSY after its short wait. CI saw a
loaded machine's first document photo refused that way."""
from __future__ import annotations

import threading
import time

import cv2
import numpy as np

from identity_app import image_pool
from identity_app.checks import image_work
from identity_app.checks.image_io import ImageLimits


def test_a_call_during_warm_up_waits_for_the_children_instead_of_busy():
    pool = image_pool.ImagePool(1, 1024)  # not started: warm() starts its child and holds it while it loads
    try:
        warming = threading.Thread(target=pool.warm)
        warming.start()
        deadline = time.monotonic() + 10
        while not pool._warming and time.monotonic() < deadline:  # warm() has the child now
            time.sleep(0.001)
        assert pool._warming, "warm() did not start"
        started = time.monotonic()
        # A wait far shorter than loading OpenCV and MediaPipe in the child takes (1-2 s idle).
        out = pool.run(image_work.frame_quality, _jpeg(), ImageLimits(), wait=0.05, timeout=60)
        waited = time.monotonic() - started
        warming.join(120)
        assert isinstance(out, dict) and out["ok"] is False, out  # a grey frame holds no document
        assert pool.counts["started"] == 1, "the warmed child served the call"
        print(f"waited {waited:.2f} s for the warming child")
    except image_pool.PoolBusy as exc:
        raise AssertionError(f"refused as busy while the child was only loading: {exc}") from None
    finally:
        pool.close()


def _jpeg() -> bytes:
    image = np.full((360, 480, 3), 128, np.uint8)
    return cv2.imencode(".jpg", image)[1].tobytes()
