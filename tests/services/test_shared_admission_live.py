"""Two real web processes (backend only, each its own port) share the capture admission's places through
Redis, on the scaled-out setup of `bench load --scaled-out` (PostgreSQL, Redis, S3 on moto's server):
people admitted through one are known to the other, the next person waits in line on both, and a place
freed through one goes to the first in line on the other."""
from __future__ import annotations

import json
import subprocess
import sys
import urllib.error
import urllib.request

import pytest

from identity_app.bench.app_process import ROOT

pytestmark = pytest.mark.slow  # starts two web servers


def _post(url: str, body: bytes = b"") -> tuple[int, dict]:
    request = urllib.request.Request(url, data=body, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read())


@pytest.fixture(scope="module")
def two_webs(tmp_path_factory):
    from identity_app.bench import app_process

    app = app_process.start_scaled_out(tmp_path_factory.mktemp("two-webs"), webs=2, workers=0,
                                       extra_env={"IDV_LIVE_CAPTURES": "2"})
    yield app
    app.stop()


SEED = """
import json
from identity_app.bench import world
from identity_app.services import doorway
from identity_app.services.capture import flow
made = world.build(1, b"a document photo, not looked at here")
tokens = world.new_links(made.application_id, 4)
for token in tokens:
    doorway.run(lambda w, token=token: flow.give_consent(w.db, token=token))
print(json.dumps(tokens))
"""


def test_two_web_processes_share_the_places(two_webs):
    import redis

    seeded = subprocess.run([sys.executable, "-c", SEED], cwd=ROOT, env=two_webs.env, capture_output=True,
                            text=True, timeout=120)
    assert seeded.returncode == 0, seeded.stderr[-3000:]
    tokens = json.loads(seeded.stdout.strip().splitlines()[-1])
    one, two = two_webs.urls
    ada, grace, carl, dora = tokens
    frame = b"\xff\xd8 not decoded: refused for its content once admitted"
    wait = lambda answer: answer[0] == 503 and answer[1]["code"] == "WAIT"  # noqa: E731

    assert not wait(_post(f"{one}/api/capture/{ada}/quality", frame))
    assert not wait(_post(f"{two}/api/capture/{grace}/quality", frame))
    for web in (one, two):  # both places taken, whichever process Carl asks; Ada is known to both
        status, body = _post(f"{web}/api/capture/{carl}/quality", frame)
        assert wait((status, body)) and body["position"] == 1, body
        assert not wait(_post(f"{web}/api/capture/{ada}/quality", frame))
    status, body = _post(f"{two}/api/capture/{dora}/quality", frame)
    assert wait((status, body)) and body["position"] == 2, body
    queue = redis.Redis.from_url(two_webs.env["IDV_QUEUE_URL"])
    assert queue.zcard("idv.admission.members") == 2 and queue.zcard("idv.admission.active") == 2

    # Ada's liveness attempt starts on one and finishes on two: Carl's turn, on one.
    status, started = _post(f"{one}/api/capture/{ada}/liveness")
    assert status == 200 and started["ok"], started
    assert _post(f"{two}/api/capture/{ada}/liveness/{started['resource_id']}/finish")[1]["ok"]
    assert not wait(_post(f"{one}/api/capture/{carl}/quality", frame))
    status, body = _post(f"{one}/api/capture/{dora}/quality", frame)
    assert wait((status, body)) and body["position"] == 1, body
