"""The UI state store forgets a deleted person (identity_app/web/state_store.py): files on disk
and keys in a real Redis that hold any of the person's traces go, the rest stay; the
disk store is private. (The web process's in-memory copies are covered by the browser
test of deletion, which runs the real app.)"""
from __future__ import annotations

import asyncio
import os
import pickle
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest

from identity_app.web import state_store as store

TRACES = ["Zelda Quillfeather", "zelda@example.net", "L898902C3"]
ROOT = "reflex___state____state"


def test_short_or_empty_traces_match_nothing():
    assert store.needles(["", "  ", "Li", None]) == []  # type: ignore[list-item]
    assert store.needles(["Zelda Q"]) == [b"Zelda Q", b"zelda q"]


def test_disk_files_holding_a_trace_go_and_the_folder_is_private(tmp_path):
    folder = tmp_path / "ui-state"
    folder.mkdir(mode=0o755)
    holder = folder / "a.pkl"
    holder.write_bytes(pickle.dumps({"user_name": "Zelda Quillfeather", "rows": ["x"]}))
    searched = folder / "b.pkl"
    searched.write_bytes(pickle.dumps({"q": "zelda quillfeather"}))  # the lower-cased search text
    other = folder / "c.pkl"
    other.write_bytes(pickle.dumps({"user_name": "Someone Else"}))
    os.chmod(other, 0o644)
    assert store.forget_files(store.needles(TRACES), folder) == 2
    assert not holder.exists() and not searched.exists() and other.exists()
    store.secure(folder)
    assert oct(folder.stat().st_mode & 0o777) == "0o700" and oct(other.stat().st_mode & 0o777) == "0o600"


@pytest.fixture
def redis_url():
    import redis

    url = "redis://127.0.0.1:6379/13"
    try:
        client = redis.Redis.from_url(url)
        client.ping()
    except redis.ConnectionError:
        if os.environ.get("CI"):
            pytest.fail("Redis is not reachable at 127.0.0.1:6379")
        pytest.skip("Redis is not reachable at 127.0.0.1:6379")
    prefix = uuid.uuid4().hex
    yield url, client, prefix
    for key in client.scan_iter(match=f"{prefix}*"):
        client.delete(key)


def _seed(client, prefix: str) -> dict[str, bytes]:
    keys = {
        f"{prefix}_{ROOT}.identity_app___state___session_detail____session_detail_state":
            pickle.dumps({"user_email": "zelda@example.net"}),
        f"{prefix}_{ROOT}.identity_app___state___sessions_list____sessions_list_state":
            pickle.dumps({"rows": [("Zelda Quillfeather", "IN PROGRESS")]}),
        f"{prefix}_{ROOT}": pickle.dumps({"router": "/applications/1"}),
        f"{prefix}-not-a-state": pickle.dumps({"user_name": "Zelda Quillfeather"}),
    }
    for key, value in keys.items():
        client.set(key, value)
    client.hset(f"{prefix}_{ROOT}_lock", "x", "Zelda Quillfeather")  # another type: skipped, no error
    return keys


def test_redis_keys_holding_a_trace_go_from_a_process_without_the_app(redis_url):
    url, client, prefix = redis_url
    keys = _seed(client, prefix)
    assert store.forget_redis_sync(url, store.needles(TRACES)) == 2
    left = {k.decode() for k in client.scan_iter(match=f"{prefix}*")}
    assert left == {f"{prefix}_{ROOT}", f"{prefix}-not-a-state", f"{prefix}_{ROOT}_lock"}
    assert len(keys) == 4


def test_redis_keys_go_from_the_web_process_too(redis_url):
    import redis.asyncio as aredis

    url, client, prefix = redis_url
    _seed(client, prefix)

    async def run() -> int:
        conn = aredis.Redis.from_url(url)
        try:
            return await store._forget_redis(conn, store.needles(TRACES))
        finally:
            await conn.aclose()

    with ThreadPoolExecutor(1) as thread:  # a loop of its own, whatever runs in this one (Playwright's)
        assert thread.submit(asyncio.run, run()).result() == 2
    assert client.exists(f"{prefix}_{ROOT}") and not client.exists(
        f"{prefix}_{ROOT}.identity_app___state___session_detail____session_detail_state")
