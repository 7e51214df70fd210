"""Scaled out, frame analysis is reachable by every web process (identity_app/frame_service.py): two
real web processes (backend only) that serve no frame calls themselves (IDV_FRAME_WORKERS=0) and a frame
worker of their own (`python -m identity_app.frame_service`) on the setup of `bench load --scaled-out`
(PostgreSQL, Redis, S3 on moto's server). An attempt's frame batches sent to either web process are
analysed by that worker, the live feedback of the attempt is shared through Redis, and with the worker
killed the next batch is refused SERVER_BUSY within seconds."""
from __future__ import annotations

import json
import os
import signal
import struct
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest

from identity_app.bench.app_process import ROOT, _group

pytestmark = pytest.mark.slow  # starts two web servers and a frame worker
SHARED = (ROOT / ".." / "shared" / "data").resolve()


def _post(url: str, body: bytes = b"") -> tuple[int, dict]:
    request = urllib.request.Request(url, data=body, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=90) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read())


def _cmdline(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return f.read().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def _ppid(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return int(f.read().rsplit(")", 1)[1].split()[1])
    except (OSError, ValueError, IndexError):
        return 0


def _image_children(pgid: int) -> list[int]:
    """Image-pool children of the processes of group `pgid` (each child runs in a session of its own)."""
    group = set(_group(pgid))
    return [int(p) for p in os.listdir("/proc") if p.isdigit() and _ppid(int(p)) in group
            and "identity_app.image_pool" in _cmdline(int(p))]


SEED = """
import json
from identity_app.bench import world
from identity_app.services import doorway
from identity_app.services.capture import flow
made = world.build(1, b"a document photo, not looked at here")
[token] = world.new_links(made.application_id, 1)
doorway.run(lambda w: flow.give_consent(w.db, token=token))
print(json.dumps(token))
"""


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    if not (SHARED / "liveness-pose-eyes-insightface").is_dir():
        pytest.skip(f"evaluation data missing: {SHARED} (see ../shared/data/README.md)")
    from identity_app.bench import app_process

    folder = tmp_path_factory.mktemp("frame-service")
    app = app_process.start_scaled_out(folder, webs=2, workers=0, extra_env={"IDV_FRAME_WORKERS": "0"})
    worker = subprocess.Popen([sys.executable, "-m", "identity_app.frame_service"], cwd=ROOT,
                              env={**app.env, "IDV_FRAME_WORKERS": "1", "IDV_IMAGE_WORKERS": "1"},
                              stdout=(folder / "frames.log").open("wb"), stderr=subprocess.STDOUT,
                              start_new_session=True)
    app.procs.append(worker)  # stopped with the rest
    yield app, worker
    app.stop()


def _batch(frames: list[tuple[int, bytes]]) -> bytes:
    return b"".join(struct.pack(">II", ms, len(data)) + data for ms, data in frames)


def test_frames_sent_to_either_web_process_are_analysed_by_a_frame_worker_they_do_not_own(setup):
    import redis

    from identity_app.bench import camera

    app, worker = setup
    one, two = app.urls
    seeded = subprocess.run([sys.executable, "-c", SEED], cwd=ROOT, env=app.env, capture_output=True, text=True,
                            timeout=120)
    assert seeded.returncode == 0, seeded.stderr[-3000:]
    token = json.loads(seeded.stdout.strip().splitlines()[-1])
    queue = redis.Redis.from_url(app.env["IDV_QUEUE_URL"])
    deadline = time.monotonic() + 120
    while not queue.zcount("idv.frames.workers", time.time(), "+inf"):
        assert time.monotonic() < deadline and worker.poll() is None, "the frame worker did not start"
        time.sleep(0.3)

    status, started = _post(f"{one}/api/capture/{token}/liveness")
    assert status == 200 and started["ok"], started
    rid = started["resource_id"]
    face = camera.face()
    frames = f"{one}/api/capture/{token}/liveness/{rid}/frames"
    status, first = _post(frames, _batch([(i * 125, face.ahead) for i in range(4)]))
    assert status == 200 and first["ok"] and first["face"] == "ok", first
    # The next batch to the other web process: answered there from the attempt's analyses in Redis.
    status, second = _post(f"{two}/api/capture/{token}/liveness/{rid}/frames",
                           _batch([(500 + i * 125, face.ahead) for i in range(4)]))
    assert status == 200 and second["ok"] and second["face"] == "ok", second
    assert queue.llen(f"idv.feedback.{rid}") == 2 and 0 < queue.ttl(f"idv.feedback.{rid}") <= 600
    for key in queue.scan_iter("idv.feedback.*"):  # what Redis holds of the analyses is ciphertext
        assert b"yaw" not in b"".join(queue.lrange(key, 0, -1))
    # Neither web process analysed a frame: no image-pool child in their process groups; the worker has one.
    for web in app.procs[1:3]:
        assert _image_children(web.pid) == [], "a web process started image children of its own"
    deadline = time.monotonic() + 10  # a child being replaced shows its parent's command line for a moment
    while len(_image_children(worker.pid)) != 1 and time.monotonic() < deadline:
        time.sleep(0.2)
    assert len(_image_children(worker.pid)) == 1, [(p, _cmdline(p)) for p in _group(worker.pid)]

    # The frame worker dies: the next batch is refused SERVER_BUSY within seconds, not left to hang.
    os.killpg(worker.pid, signal.SIGKILL)
    worker.wait(10)
    began = time.monotonic()
    status, refused = _post(f"{two}/api/capture/{token}/liveness/{rid}/frames",
                            _batch([(1000 + i * 125, face.ahead) for i in range(4)]))
    assert status == 503 and refused["code"] == "SERVER_BUSY", refused
    print(f"\nframe batch refused {time.monotonic() - began:.1f} s after the frame worker was killed")
    assert time.monotonic() - began < 20
    status, finished = _post(f"{one}/api/capture/{token}/liveness/{rid}/finish")
    assert status == 200 and finished["ok"]
    assert queue.llen(f"idv.feedback.{rid}") == 0  # the attempt's cache is gone with its finish
