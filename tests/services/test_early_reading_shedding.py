"""An early document reading gives way to urgent work (issue 13: the scaled-out backlog).

A reading that waited long in the queue still reads (its job carries when it was queued), and a reading
does not go another round while a liveness decision or a session's checks wait in the queue; the scheduled upkeep jobs do not wait
behind the readings. The worker module binds its queue from the
settings at import, so each backend runs in its own interpreter, against a real database, real media
storage, the real image pool and the real OCR; on Redis in an empty database of the local server,
emptied afterwards."""
from __future__ import annotations

import textwrap

import pytest

from tests.services.own_interpreter import CONSENTED_SESSION, run_script
from tests.services.test_worker_priorities import _free_redis_url

pytestmark = pytest.mark.slow  # not in the fast tier: runs a worker's jobs in its own interpreter

SCRIPT = CONSENTED_SESSION + textwrap.dedent("""
    import time
    from sqlmodel import select
    from identity_app import worker
    from identity_app.models import Task, TaskState
    from identity_app.storage import get_media_store

    def read_tasks():
        with session_scope() as db:
            return {t.resource_id: t.state for t in db.exec(select(Task).where(Task.session_id == sid))}

    with session_scope() as db:
        first = capture.store_document_image(db, get_media_store(), token=token, data=cm.jpeg(cm.document_frame()))
    assert worker.early_reading_pending(sid)
    [queued] = [t for t in worker.huey.pending() if t.name.endswith("read_document")]
    assert queued.args == (first.resource_id, sid) and abs(queued.kwargs["queued_at"] - time.time()) < 60

    # However long it waited, it reads (a dropped reading would move into the session's checks at the finish).
    worker.read_document.call_local(first.resource_id, sid, queued_at=time.time() - 120)
    assert read_tasks() == {first.resource_id: TaskState.DONE}, read_tasks()
    assert not worker.early_reading_pending(sid)

    # Urgent work in the queue: what stops a second round.
    assert not worker.urgent_work_waiting()  # only the document reading is queued
    worker.evaluate_liveness(700_000)
    assert worker.urgent_work_waiting()

    # The scheduled upkeep (here the webhook sweep, as the consumer's scheduler enqueues it) comes after
    # the people waiting and before the document reading queued before it.
    worker.huey.enqueue(worker.sweep_webhooks.s())
    order = [worker.huey.dequeue().name.rsplit(".", 1)[-1] for _ in range(3)]
    assert order == ["evaluate_liveness", "sweep_webhooks", "read_document"], order
    print("shedding-ok")
""")


def test_early_readings_give_way_on_the_sqlite_queue(tmp_path):
    assert "shedding-ok" in run_script(SCRIPT, tmp_path)


def test_early_readings_give_way_on_redis(tmp_path):
    import redis

    url = _free_redis_url()
    try:
        assert "shedding-ok" in run_script(SCRIPT, tmp_path, {"IDV_QUEUE_URL": url})
    finally:
        redis.Redis.from_url(url).flushdb()
