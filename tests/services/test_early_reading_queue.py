"""At most one early document reading per session is queued or running, and it reads the newest photo.

Issue 9: one fuzz run queued 140 document-reading jobs for one link. The
worker module binds its queue from the settings at import, so each backend
runs in its own interpreter (like test_worker_locks), against a real
database, real media storage, the real image pool and the real OCR."""
from __future__ import annotations

import pytest

import textwrap

from tests.services.own_interpreter import CONSENTED_SESSION, redis_queue_url, run_script

pytestmark = pytest.mark.slow  # not in the fast tier: runs a worker in its own interpreter

SCRIPT = CONSENTED_SESSION + textwrap.dedent("""
    import time
    from sqlmodel import select
    from identity_app import worker
    from identity_app.models import Task, TaskState
    from identity_app.storage import get_media_store

    def photo():
        with session_scope() as db:
            return capture.store_document_image(db, get_media_store(), token=token, data=cm.jpeg(cm.document_frame()))

    def queued():
        return [t for t in worker.huey.pending() if t.name.endswith("read_document") and t.args[1] == sid
                and not worker.huey.is_revoked(t)]

    worker.huey.storage.delete_data(worker._early_read_key(sid))  # a Redis database may hold an earlier run's
    for t in queued():
        worker.huey.revoke_by_id(t.id)
    before = len(queued())
    first = photo()  # its reading is queued once the photo is committed (jobs.later)
    assert first.session_id == sid
    assert len(queued()) == before + 1 and worker.early_reading_pending(sid)
    assert queued()[-1].args == (first.resource_id, sid)
    for _ in range(5):  # the user keeps retaking (each front a new document resource): nothing more is queued
        retake = photo()
        assert not worker.enqueue_document_reading(retake.resource_id, sid)
    assert len(queued()) == before + 1 and worker.early_reading_pending(sid)

    worker.read_document.call_local(first.resource_id, sid)  # what the consumer runs
    with session_scope() as db:
        tasks = {t.resource_id: t.state for t in db.exec(select(Task).where(Task.session_id == sid))}
    assert tasks == {retake.resource_id: TaskState.DONE}, tasks  # the newest photo was read, once
    assert not worker.early_reading_pending(sid)
    assert worker.enqueue_document_reading(retake.resource_id, sid)  # the next photo may queue again

    # A marker left by a killed worker stops counting after EARLY_READ_TTL_S.
    worker.huey.storage.put_data(worker._early_read_key(sid), repr(time.time() - worker.EARLY_READ_TTL_S - 1).encode())
    assert worker.enqueue_document_reading(retake.resource_id, sid)
    for t in queued():
        worker.huey.revoke_by_id(t.id)
    worker.huey.storage.delete_data(worker._early_read_key(sid))
    print("early-reading-ok")
""")


def test_one_early_reading_per_session_on_the_sqlite_queue(tmp_path):
    assert "early-reading-ok" in run_script(SCRIPT, tmp_path)


def test_one_early_reading_per_session_on_redis(tmp_path):
    assert "early-reading-ok" in run_script(SCRIPT, tmp_path, {"IDV_QUEUE_URL": redis_queue_url()})
