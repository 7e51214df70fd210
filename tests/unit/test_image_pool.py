"""The image pool with real child processes: refusals, memory caps, timeouts, crashes, recycling, isolation."""
from __future__ import annotations

import os
import pickle
import signal
import threading
import time

import numpy as np
import pytest

from identity_app import image_pool
from identity_app.checks import image_work
from identity_app.checks.image_io import DecodeFailure, ImageDecodeError, ImageLimits
from tests import hostile_images as hi

pytestmark = pytest.mark.slow  # not in the fast tier: starts image processes

LIMITS = ImageLimits()
# A complete, valid 36 MP PNG of a few kB: within every header limit, about 250 MB to decode.
BIG = hi.png_zero_bomb(6_000, 6_000)


def small_jpeg() -> bytes:
    image = np.full((120, 160, 3), 128, np.uint8)
    return hi.encode(image, "JPEG")


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(") ")[1][0] not in "ZX"
    except FileNotFoundError:
        return False


@pytest.fixture(scope="module")
def pool():
    p = image_pool.ImagePool(2, 1024)
    p.start()
    yield p
    p.close()


def test_it_returns_plain_results_and_refusals_from_a_child(pool):
    assert len(BIG) < 10_000
    result = pool.run(image_work.frame_quality, small_jpeg(), LIMITS)
    assert result == {"ok": False, "problems": result["problems"], "frame_problems": [], "corners": []} \
        and result["problems"]
    with pytest.raises(ImageDecodeError) as err:
        pool.run(image_work.frame_quality, b"\x89PNG\r\n\x1a\n" + b"\0" * 50, LIMITS)
    assert err.value.reason is DecodeFailure.CORRUPTED
    frames = pool.run(image_work.liveness_frames, [small_jpeg()] * 3, LIMITS)
    assert [f["width"] for f in frames] == [160] * 3 and frames[0]["jpeg"][:3] == b"\xff\xd8\xff"
    assert frames[0]["analysis"]["face_count"] == 0


def test_children_never_import_the_web_framework_the_database_or_the_settings(pool):
    modules = pool.run(image_work.loaded_modules)
    assert "cv2" in modules and "PIL.Image" in modules
    banned = [m for m in modules if m.split(".")[0] in ("reflex", "sqlmodel", "sqlalchemy", "boto3", "starlette",
                                                        "huey", "pydantic_settings")
              or m in ("identity_app.settings", "identity_app.db", "identity_app.models", "identity_app.storage")]
    assert banned == []


def test_only_pure_check_functions_run_in_a_child(pool):
    with pytest.raises(ValueError):
        pool.run(os.getcwd)


def test_the_parent_unpickles_plain_values_only():
    assert image_pool.loads_plain(pickle.dumps({"ok": True, "jpeg": b"\xff", "n": [1, 2.5, None, ("a",)]})) == \
        {"ok": True, "jpeg": b"\xff", "n": [1, 2.5, None, ("a",)]}
    for hostile in (pickle.dumps(os.system), pickle.dumps(ImageLimits()), pickle.dumps(np.zeros(2))):
        with pytest.raises(pickle.UnpicklingError):
            image_pool.loads_plain(hostile)


def test_a_child_over_its_memory_cap_fails_that_image_only_and_is_replaced():
    p = image_pool.ImagePool(1, 96)  # 96 MB beyond its libraries: a 36 MP decode needs about 250
    try:
        with pytest.raises(image_pool.ImageWorkFailed):
            p.run(image_work.document_photo, BIG, LIMITS)
        assert p.counts["failed"] == 1 and p.counts["recycled"] == 1
        assert p.run(image_work.frame_quality, small_jpeg(), LIMITS)["problems"]  # a fresh child answers
    finally:
        p.close()


def test_a_child_that_takes_too_long_is_killed_and_the_pool_goes_on():
    p = image_pool.ImagePool(1, 1024)
    try:
        p.run(image_work.frame_quality, small_jpeg(), LIMITS)  # warm
        pid = p.child_pids()[0]
        t0 = time.monotonic()
        with pytest.raises(image_pool.ImageWorkFailed):
            p.run(image_work.document_photo, BIG, LIMITS, timeout=0.05)
        assert time.monotonic() - t0 < 5
        assert not _alive(pid)
        assert p.run(image_work.frame_quality, small_jpeg(), LIMITS)["problems"]
    finally:
        p.close()


def test_a_child_killed_from_outside_is_replaced_without_failing_the_next_image():
    p = image_pool.ImagePool(1, 1024)
    try:
        p.run(image_work.frame_quality, small_jpeg(), LIMITS)
        pid = p.child_pids()[0]
        os.kill(pid, signal.SIGKILL)
        time.sleep(0.2)
        assert p.run(image_work.frame_quality, small_jpeg(), LIMITS)["problems"]
        assert p.child_pids()[0] != pid
    finally:
        p.close()


def test_a_child_that_keeps_memory_after_a_big_image_is_recycled():
    p = image_pool.ImagePool(1, 1024, recycle_above_mb=50)
    try:
        p.run(image_work.frame_quality, small_jpeg(), LIMITS)
        pid = p.child_pids()[0]
        result = p.run(image_work.document_photo, BIG, LIMITS)
        assert result["ok"] is False  # a blank page: no document
        assert p.peak_child_kb > 200 * 1024  # the decode did use its 250 MB, in the child
        if p.counts["recycled"]:  # glibc kept the memory: the child went, and the memory with it
            assert not _alive(pid) and p.child_pids()[0] != pid
    finally:
        p.close()


def test_when_every_child_stays_busy_a_call_is_refused_after_its_wait():
    p = image_pool.ImagePool(1, 1024)
    try:
        p.run(image_work.frame_quality, small_jpeg(), LIMITS)
        slow = threading.Thread(target=lambda: p.run(image_work.document_photo, BIG, LIMITS))
        slow.start()
        time.sleep(0.1)
        with pytest.raises(image_pool.PoolBusy):
            p.run(image_work.frame_quality, small_jpeg(), LIMITS, wait=0.05)
        slow.join()
        assert p.run(image_work.frame_quality, small_jpeg(), LIMITS, wait=5)["problems"]
    finally:
        p.close()
