"""Frame analysis over Redis (identity_app/frame_service.py) against the real Redis of this machine
(127.0.0.1:6379, database 13, a key prefix of this test's own, removed afterwards) and real image-pool
children: a call is answered by a frame worker; forged, altered or foreign messages are refused; no
live frame worker, or one killed, is SERVER_BUSY (PoolBusy) within seconds, not a hang."""
from __future__ import annotations

import os
import pickle
import secrets
import signal
import statistics
import subprocess
import sys
import time

import pytest

from identity_app import crypto, frame_service
from identity_app.bench.app_process import ROOT
from identity_app.checks import image_work
from identity_app.checks.image_io import ImageLimits
from identity_app.image_pool import ImagePool, ImageWorkFailed, PoolBusy

REDIS_URL = "redis://127.0.0.1:6379/13"
LIMITS = ImageLimits(max_bytes=2_000_000, max_pixels=4_000_000, max_side=4000)


def _redis():
    redis = pytest.importorskip("redis")
    conn = redis.Redis.from_url(REDIS_URL, socket_timeout=2)
    try:
        conn.ping()
    except redis.RedisError:
        pytest.skip("no Redis at 127.0.0.1:6379")
    return conn


@pytest.fixture()
def prefix():
    conn = _redis()
    name = f"idv.test.{secrets.token_hex(6)}.frames"
    yield name
    for key in conn.scan_iter(f"{name}*"):
        conn.delete(key)


@pytest.fixture(scope="module")
def pool():
    p = ImagePool(1, 1024)
    p.start()
    yield p
    p.close()


@pytest.fixture(scope="module")
def frame() -> bytes:
    """The load benchmark's 480-px face frame when the evaluation data is there, else a drawn one."""
    import cv2
    import numpy as np

    from identity_app.bench import camera

    try:
        return camera.face().ahead
    except Exception:  # noqa: BLE001 - camera.MissingData: no ../shared/data here
        pass
    image = np.full((360, 480, 3), 90, np.uint8)
    cv2.circle(image, (240, 180), 80, (200, 180, 160), -1)
    return cv2.imencode(".jpg", image)[1].tobytes()


KEY = frame_service.frame_key("a secret key for this test, long enough to count as one")


def test_a_call_is_answered_by_a_frame_worker_and_its_extra_time_printed(prefix, pool, frame):
    server = frame_service.FrameServer(REDIS_URL, KEY, pool, 1, prefix=prefix).start()
    try:
        caller = frame_service.RemotePool(REDIS_URL, KEY, prefix=prefix)
        deadline = time.monotonic() + 10
        while not caller.workers_alive() and time.monotonic() < deadline:
            time.sleep(0.1)
        local = pool.run(image_work.liveness_frames, [frame] * 8, LIMITS, 90)
        remote = caller.run(image_work.liveness_frames, [frame] * 8, LIMITS, 90, timeout=20.0)
        assert [f["analysis"] for f in remote] == [f["analysis"] for f in local]
        assert len(remote) == 8 and remote[0]["jpeg"][:2] == b"\xff\xd8"
        assert caller.last_server == server.ident and server.counts["served"] == 1
        quality = caller.run(image_work.frame_quality, frame, LIMITS, timeout=10.0)
        assert set(quality) >= {"ok", "problems"}
        with pytest.raises(ValueError):  # only the capture routes' frame work goes over Redis
            caller.run(image_work.document_photo, frame, LIMITS, 90)
        # The added latency per call on loopback: a batch of 8 frames over Redis, less the same call's time
        # in the worker's pool (which a local call would spend too), so the machine's load cancels out.
        added_ms, total_ms = [], []
        for _ in range(20):
            t = time.perf_counter()
            caller.run(image_work.liveness_frames, [frame] * 8, LIMITS, 90, timeout=20.0)
            total = time.perf_counter() - t
            total_ms.append(total * 1000)
            added_ms.append((total - server.last_pool_s) * 1000)
        print(f"\n8-frame batch ({len(frame)} B each) over Redis, 20 calls: {statistics.median(total_ms):.0f} ms "
              f"p50 in all, added to the pool's own time p50 {statistics.median(added_ms):.1f} ms, "
              f"max {max(added_ms):.1f} ms")
        assert not list(_redis().scan_iter(f"{prefix}.reply.*"))  # each answer taken, none left behind
    finally:
        server.stop()


def test_forged_altered_and_foreign_messages_are_refused(prefix, pool, frame):
    server = frame_service.FrameServer(REDIS_URL, KEY, pool, 1, prefix=prefix)
    call_id = secrets.token_hex(16)
    plain = pickle.dumps((call_id, time.time() + 5, 5.0, frame_service.ALLOWED[0], [frame, {"__image_limits__": {}}]))
    good = crypto.encrypt(KEY, plain, frame_service._CALL_AD)
    assert server.handle_message(good) is not None  # the genuine message (ImageLimits() defaults) is run
    altered = bytearray(good)
    altered[-20] ^= 1
    other_key = crypto.encrypt(frame_service.frame_key("another secret key, another deployment"), plain,
                               frame_service._CALL_AD)
    as_reply = crypto.encrypt(KEY, plain, frame_service._REPLY_AD + call_id.encode())
    not_allowed = crypto.encrypt(KEY, pickle.dumps((call_id, time.time() + 5, 5.0, "os.system", ["true"])),
                                 frame_service._CALL_AD)

    class Evil:
        def __reduce__(self):
            return (os.system, ("true",))
    a_class = crypto.encrypt(KEY, pickle.dumps((call_id, time.time() + 5, 5.0, frame_service.ALLOWED[0], [Evil()])),
                             frame_service._CALL_AD)
    for blob in (bytes(altered), other_key, as_reply, not_allowed, a_class, b"not even ciphertext"):
        assert server.handle_message(blob) is None
    assert server.counts["refused"] == 6 and server.counts["served"] == 1

    # An answer under another call's id (moved in Redis) or altered is refused by the caller.
    caller = frame_service.RemotePool(REDIS_URL, KEY, prefix=prefix)
    conn = _redis()
    conn.zadd(f"{prefix}.workers", {"fake": time.time() + 30})

    def forge_answer():
        got = conn.blpop([f"{prefix}.calls"], timeout=10)
        assert got is not None
        wrong = crypto.encrypt(KEY, pickle.dumps(("ok", [], "fake")), frame_service._REPLY_AD + b"0" * 32)
        decoded = server.handle_message(got[1])  # the call itself is genuine: a real worker would take it
        assert decoded is not None
        conn.rpush(decoded[0], wrong)

    import threading
    t = threading.Thread(target=forge_answer)
    t.start()
    with pytest.raises(ImageWorkFailed):
        caller.run(image_work.frame_quality, frame, LIMITS, timeout=5.0, wait=5.0)
    t.join()
    assert caller.counts["refused_replies"] == 1


def test_no_frame_worker_is_server_busy_at_once(prefix, frame):
    caller = frame_service.RemotePool(REDIS_URL, KEY, prefix=prefix)
    started = time.monotonic()
    with pytest.raises(PoolBusy) as refused:
        caller.run(image_work.frame_quality, frame, LIMITS, timeout=10.0, wait=20.0)
    assert refused.value.code == "SERVER_BUSY" and time.monotonic() - started < 2


def test_a_killed_frame_worker_process_is_server_busy_not_a_hang(prefix, frame):
    """A frame worker of its own (`python -m identity_app.frame_service`) answers, then is killed while
    a call waits for it: the caller is refused once its heartbeat is gone, well before the call's deadline."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("IDV_")}
    secret = secrets.token_urlsafe(48)
    env.update({"IDV_ENV": "production", "IDV_SECRET_KEY": secret, "IDV_QUEUE_URL": REDIS_URL,
                "IDV_FRAME_WORKERS": "1", "IDV_IMAGE_WORKERS": "1", "IDV_DATA_DIR": "/tmp/idv-frame-test-data"})
    code = f"from identity_app import frame_service; frame_service.PREFIX = {prefix!r}; frame_service.serve_forever()"
    worker = subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, env=env, start_new_session=True)
    try:
        caller = frame_service.RemotePool(REDIS_URL, frame_service.frame_key(secret), prefix=prefix)
        deadline = time.monotonic() + 60
        while not caller.workers_alive():
            assert time.monotonic() < deadline and worker.poll() is None, "the frame worker did not start"
            time.sleep(0.2)
        result = caller.run(image_work.frame_quality, frame, LIMITS, timeout=30.0, wait=30.0)
        assert "ok" in result and caller.last_server.endswith(f":{worker.pid}")
        # Stopped while its heartbeat still counts: the call goes out (its blocked BLPOP may even take it),
        # nothing answers, and the caller gives up once the heartbeat is gone, not at the call's 62 s
        # deadline; a call nobody took leaves the list with it.
        os.killpg(worker.pid, signal.SIGSTOP)
        started = time.monotonic()
        with pytest.raises(PoolBusy):
            caller.run(image_work.frame_quality, frame, LIMITS, timeout=30.0, wait=30.0)
        waited = time.monotonic() - started
        print(f"\nrefused {waited:.1f} s after the frame worker stopped")
        assert waited < frame_service.HEARTBEAT_TTL_S + 3
        assert _redis().llen(f"{prefix}.calls") == 0
        with pytest.raises(PoolBusy):  # and the next call at once
            caller.run(image_work.frame_quality, frame, LIMITS, timeout=30.0, wait=30.0)
    finally:
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait(10)
