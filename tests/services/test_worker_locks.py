"""The per-session lock of the check worker, against a real Redis and SQLite queue.

The worker module binds its queue from the settings at import, so each
backend runs in its own interpreter."""
from __future__ import annotations

import random
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = textwrap.dedent("""
    from huey.exceptions import TaskLockedException
    from identity_app import worker

    sid = 4242
    worker.clear_session_lock(sid)
    assert not worker.session_locked(sid)
    with worker.session_lock(sid):
        assert worker.session_locked(sid)
        try:
            with worker.session_lock(sid):
                raise SystemExit("a second worker got the lock")
        except TaskLockedException:
            pass
        if {redis}:
            ttl = worker.huey.storage.conn.ttl(worker._redis_lock_key(sid))
            assert 0 < ttl <= worker.LOCK_TTL_S, ttl
    assert not worker.session_locked(sid)
    if {redis}:
        # A lock that expired under a slow job and was taken by another worker stays theirs.
        conn = worker.huey.storage.conn
        with worker.session_lock(sid):
            conn.set(worker._redis_lock_key(sid), "another-worker")
        assert worker.session_locked(sid)
        worker.clear_session_lock(sid)
    print("locks-ok")
""")


def _run(env_extra: dict[str, str], tmp_path: Path, redis: bool) -> str:
    env = {"PATH": "/usr/bin:/bin", "IDV_DATA_DIR": str(tmp_path / "data"), **env_extra}
    out = subprocess.run([sys.executable, "-c", SCRIPT.format(redis=redis)], cwd=ROOT, env=env,
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-3000:]
    return out.stdout


def test_the_session_lock_on_the_sqlite_queue(tmp_path):
    assert "locks-ok" in _run({}, tmp_path, redis=False)


def test_the_session_lock_on_redis_expires_by_itself(tmp_path):
    import redis

    url = f"redis://127.0.0.1:6379/{random.randint(1, 15)}"
    try:
        redis.Redis.from_url(url, socket_timeout=2).ping()
    except redis.RedisError:
        pytest.fail("Redis is not reachable at 127.0.0.1:6379")
    assert "locks-ok" in _run({"IDV_QUEUE_URL": url}, tmp_path, redis=True)
