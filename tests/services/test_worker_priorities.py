"""A liveness decision does not wait behind document readings (issue 13).

A person waits on the capture page for their liveness result while the worker reads other people's
documents. Jobs carry priorities (worker.PRIORITY_*): here several document readings and a session's
checks are queued first, the liveness decision last, then the real worker starts (`python -m
identity_app.worker`, one consumer process, as make run starts it) on the SQLite queue and on Redis;
the order in which it executes them is read from its log. The job ids point at nothing: the order
of execution is the subject, not what each job finds.
"""
from __future__ import annotations

import os
import random
import re
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from tests.services.own_interpreter import ROOT, run_script

pytestmark = pytest.mark.slow  # starts the worker, which loads the check models

ENQUEUE = textwrap.dedent("""
    from identity_app.migrations import upgrade
    from identity_app.settings import get_settings
    upgrade(get_settings().database_url)
    from identity_app import worker
    for i in range(4):
        worker.read_document(900_000 + i, None)     # four people's document photos
    worker.run_checks(800_000)                        # someone finished
    worker.evaluate_liveness(700_000)                 # the liveness attempt that finished last
    print(worker.huey.pending_count())
""")


def _free_redis_url() -> str:
    import redis

    dbs = list(range(1, 16))
    random.shuffle(dbs)
    for db in dbs:
        url = f"redis://127.0.0.1:6379/{db}"
        try:
            if redis.Redis.from_url(url, socket_timeout=2).dbsize() == 0:
                return url
        except redis.RedisError:
            pytest.fail("Redis is not reachable at 127.0.0.1:6379")
    pytest.skip("no empty Redis database among 1-15")


def _executed_in_order(tmp_path: Path, env_extra: dict[str, str]) -> list[str]:
    assert run_script(ENQUEUE, tmp_path, env_extra).strip() == "6"
    env = {"PATH": "/usr/bin:/bin", "IDV_ENV": "test", "IDV_SECRET_KEY": "test-secret-key-" + "x" * 40,
           "IDV_DATA_DIR": str(tmp_path / "data"), "OMP_THREAD_LIMIT": "1", "PYTHONPATH": str(ROOT),
           "IDV_WORKERS": "1", **env_extra}
    log = tmp_path / "worker.log"
    with log.open("w") as out:
        proc = subprocess.Popen([sys.executable, "-m", "identity_app.worker"], cwd=ROOT, env=env, stdout=out,
                                stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline:
            # The jobs queued above; the scheduled upkeep (every 5 minutes, before readings) is not counted.
            executed = re.findall(r"Executing identity_app\.worker\.(evaluate_liveness|run_checks|read_document):",
                                  log.read_text())
            if len(executed) >= 6 or proc.poll() is not None:
                break
            time.sleep(0.5)
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    print(log.read_text()[-1500:])
    return executed


def _assert_liveness_first(executed: list[str]) -> None:
    assert executed[:6] == ["evaluate_liveness", "run_checks"] + ["read_document"] * 4, executed


def test_a_liveness_decision_queued_last_runs_first_on_the_sqlite_queue(tmp_path):
    _assert_liveness_first(_executed_in_order(tmp_path, {}))


def test_a_liveness_decision_queued_last_runs_first_on_redis(tmp_path):
    import redis

    url = _free_redis_url()
    conn = redis.Redis.from_url(url)
    try:
        _assert_liveness_first(_executed_in_order(tmp_path, {"IDV_QUEUE_URL": url}))
    finally:
        conn.flushdb()


def test_jobs_left_in_the_fifo_list_of_an_earlier_version_keep_their_place_by_priority(tmp_path):
    """Before priorities the Redis queue was a list: the worker moves what it holds into the sorted set."""
    url = _free_redis_url()
    script = textwrap.dedent("""
        from huey import RedisHuey
        from identity_app import worker
        old = RedisHuey("identity-checks", url=worker.get_settings().queue_url, utc=True, results=False)
        for task in [worker.read_document.s(900_000 + i, None) for i in range(3)] + [worker.evaluate_liveness.s(700_000)]:
            old.storage.enqueue(worker.huey.serialize_task(task))  # what the earlier version queued: a list
        assert worker.adopt_fifo_queue() == 4
        assert worker.adopt_fifo_queue() == 0
        worker.read_document(900_010, None)  # the web processes go on enqueueing into the sorted set
        print([(t.name.rsplit(".", 1)[-1], t.args[0]) for t in worker.huey.pending()])
    """)
    import redis

    try:
        out = run_script(script, tmp_path, {"IDV_QUEUE_URL": url})
    finally:
        redis.Redis.from_url(url).flushdb()
    assert out.strip() == str([("evaluate_liveness", 700_000), ("read_document", 900_000), ("read_document", 900_001),
                               ("read_document", 900_002), ("read_document", 900_010)])
