"""Media storage on local disk and on a real S3-protocol server (moto, on loopback)."""
from __future__ import annotations

import os
import socket
import time
from pathlib import Path

import pytest

from tests.conftest import free_port as _free_port
from identity_app.storage import LocalMediaStore, MediaNotFound, S3MediaStore, StorageError, new_media_key

SECRET = "storage-test-secret-" + "y" * 40
PAYLOAD = b"\xff\xd8\xff\xe0 pretend jpeg with a unique marker: PASSPORT-NUMBER-X1234567 " * 50
MARKER = b"PASSPORT-NUMBER-X1234567"


@pytest.fixture
def s3_store(s3_endpoint):
    import boto3

    bucket = f"media-{os.getpid()}-{time.time_ns()}"
    kw = dict(endpoint_url=s3_endpoint, region_name="us-east-1", aws_access_key_id="test",
              aws_secret_access_key="test")
    boto3.client("s3", **kw).create_bucket(Bucket=bucket)
    store = S3MediaStore(SECRET, bucket=bucket, prefix="idv", endpoint_url=s3_endpoint, region="us-east-1",
                         access_key_id="test", secret_access_key="test")
    store.raw = boto3.client("s3", **kw)  # type: ignore[attr-defined]
    return store


@pytest.fixture
def local_store(tmp_path):
    return LocalMediaStore(tmp_path / "media", SECRET)


@pytest.fixture(params=["local", "s3"])
def store(request):
    return request.getfixturevalue(f"{request.param}_store")


def all_stored_bytes(store) -> bytes:
    """Every byte the backend holds, as its owner could read it."""
    if isinstance(store, LocalMediaStore):
        return b"".join(p.read_bytes() for p in Path(store.root).rglob("*") if p.is_file())
    objs = store.raw.list_objects_v2(Bucket=store.bucket).get("Contents", [])
    return b"".join(store.raw.get_object(Bucket=store.bucket, Key=o["Key"])["Body"].read() for o in objs)


def test_it_round_trips_and_encrypts_at_rest(store):
    key = new_media_key("sessions/1")
    store.put(key, PAYLOAD)
    assert store.exists(key)
    assert store.get(key) == PAYLOAD
    raw = all_stored_bytes(store)
    assert raw and MARKER not in raw  # nothing readable at rest


def test_deleting_really_deletes(store):
    keep, gone = new_media_key("sessions/1"), new_media_key("sessions/2")
    store.put(keep, b"keep me")
    store.put(gone, PAYLOAD)
    store.delete(gone)
    assert not store.exists(gone)
    with pytest.raises(MediaNotFound):
        store.get(gone)
    assert store.get(keep) == b"keep me"
    store.delete(gone)  # deleting twice is fine


def test_delete_prefix_removes_every_item_of_a_session(store):
    keys = [new_media_key("sessions/7") for _ in range(3)]
    other = new_media_key("sessions/70")  # a prefix of the same digits must survive
    for k in keys:
        store.put(k, PAYLOAD)
    store.put(other, b"other session")
    assert store.delete_prefix("sessions/7") == 3
    assert not any(store.exists(k) for k in keys)
    assert store.exists(other)
    assert store.delete_prefix("sessions/7") == 0


def test_no_byte_of_a_deleted_item_remains_on_disk(local_store):
    key = new_media_key("sessions/9")
    local_store.put(key, PAYLOAD)
    stored = (Path(local_store.root) / key).read_bytes()
    local_store.delete_prefix("sessions/9")
    remaining = all_stored_bytes(local_store)
    assert stored[20:60] not in remaining
    assert not (Path(local_store.root) / "sessions" / "9").exists()


def test_tampered_or_foreign_ciphertext_is_refused(local_store, tmp_path):
    key = new_media_key("sessions/3")
    local_store.put(key, PAYLOAD)
    path = Path(local_store.root) / key
    data = bytearray(path.read_bytes())
    data[-1] ^= 1
    path.write_bytes(bytes(data))
    with pytest.raises(StorageError, match="could not be decrypted"):
        local_store.get(key)
    other = LocalMediaStore(tmp_path / "other", "another-secret-" + "z" * 40)
    other.put(key, PAYLOAD)
    (Path(local_store.root) / key).write_bytes((Path(other.root) / key).read_bytes())
    with pytest.raises(StorageError):
        local_store.get(key)


def test_keys_are_checked(local_store):
    for bad in ("../etc/passwd", "sessions/../../x", "/abs", "Sessions/UPPER", "a b"):
        with pytest.raises(ValueError):
            local_store.put(bad, b"x")


def test_a_crash_mid_write_leaves_no_partial_file(local_store, monkeypatch):
    key = new_media_key("sessions/4")

    def boom(*_a, **_k):
        raise OSError("disk full")

    monkeypatch.setattr(os, "fsync", boom)
    with pytest.raises(OSError):
        local_store.put(key, PAYLOAD)
    assert not local_store.exists(key)
    assert not list(Path(local_store.root).rglob(".tmp-*"))


def test_an_unreachable_s3_endpoint_is_one_clear_error():
    port = _free_port()  # nothing listens there
    store = S3MediaStore(SECRET, bucket="b", endpoint_url=f"http://127.0.0.1:{port}", access_key_id="x",
                         secret_access_key="y")
    with pytest.raises(StorageError, match="unreachable"):
        store.put(new_media_key("sessions/1"), b"x")
