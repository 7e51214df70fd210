"""The live feedback's per-attempt analyses in Redis (services/capture/liveness_feedback.RedisFeedback),
against the real Redis of this machine (database 13, a key prefix of this test's own, removed after):
two web processes' caches (two instances) see each other's batches in time order, what Redis holds is
ciphertext, an altered entry or one sealed under another key gives no feedback, and the list expires."""
from __future__ import annotations

import secrets

import pytest

from identity_app.checks.liveness import FrameAnalysis
from identity_app.services.capture.liveness_feedback import ATTEMPT_TTL_S, RedisFeedback

REDIS_URL = "redis://127.0.0.1:6379/13"
SECRET = "a secret key for this test, long enough to count as one"


@pytest.fixture()
def prefix():
    redis = pytest.importorskip("redis")
    conn = redis.Redis.from_url(REDIS_URL, socket_timeout=2)
    try:
        conn.ping()
    except redis.RedisError:
        pytest.skip("no Redis at 127.0.0.1:6379")
    name = f"idv.test.{secrets.token_hex(6)}.feedback"
    yield name
    for key in conn.scan_iter(f"{name}*"):
        conn.delete(key)


def _frame(yaw: float) -> FrameAnalysis:
    return FrameAnalysis(face_count=1, face_box=(10, 20, 100, 120), yaw=yaw)


def test_two_processes_share_an_attempt_and_only_genuine_entries_count(prefix):
    one, two = RedisFeedback(REDIS_URL, SECRET, prefix), RedisFeedback(REDIS_URL, SECRET, prefix)
    assert [t for t, _ in one.add(7, [(0.5, _frame(1.0)), (0.625, _frame(2.0))])] == [0.5, 0.625]
    seen = two.add(7, [(0.0, _frame(-3.0))])  # an earlier frame arriving later, through the other process
    assert [(t, a.yaw) for t, a in seen] == [(0.0, -3.0), (0.5, 1.0), (0.625, 2.0)]
    key = f"{prefix}.7"
    stored = one.conn.lrange(key, 0, -1)
    assert len(stored) == 2 and all(b"yaw" not in blob for blob in stored)
    assert 0 < one.conn.ttl(key) <= ATTEMPT_TTL_S

    altered = bytearray(stored[0])
    altered[-1] ^= 1
    one.conn.lset(key, 0, bytes(altered))
    other_key = RedisFeedback(REDIS_URL, "another secret key, another deployment", prefix)
    other_key.add(7, [(0.75, _frame(9.0))])  # sealed under another key: not opened here
    one.conn.rpush(f"{prefix}.8", stored[1])  # moved to another attempt: bound to its key, refused
    assert [(t, a.yaw) for t, a in one.add(7, [])] == [(0.0, -3.0)]
    assert one.add(8, []) == []
    one.forget(7)
    assert not one.conn.exists(key)
