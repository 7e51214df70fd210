"""The capture services ask for worker jobs inside their unit of work (jobs.later); the queue gets
them once it commits, never when it rolls back, and an early reading the queue refuses does not
fail the upload. Against the real SQLite queue file, in an interpreter of its own (the worker
module binds its queue from the settings at import: own_interpreter.py)."""
from __future__ import annotations

import pytest

import textwrap

from tests.services.own_interpreter import CONSENTED_SESSION, run_script

pytestmark = pytest.mark.slow  # not in the fast tier: a queue in its own interpreter

SCRIPT = CONSENTED_SESSION + textwrap.dedent("""
    from identity_app import worker
    from identity_app.models import MediaItem
    from identity_app.services import doorway
    from identity_app.services.doorway import Caller

    caller = Caller(ip="203.0.113.9")

    def queued(task: str) -> list[tuple]:
        return [tuple(t.args) for t in worker.huey.pending() if t.name.endswith(task)]

    class Abandoned(Exception):
        pass

    def rolled_back(use_case) -> None:
        def then_fail(w):
            use_case(w)
            raise Abandoned()
        try:
            doorway.run(then_fail, caller)
        except Abandoned:
            return
        raise AssertionError("the use case did not fail")

    def photo(w):
        return capture.store_document_image(w.db, w.store, token=token, data=cm.jpeg(cm.document_frame()), ip=w.ip)

    rolled_back(photo)
    assert queued("read_document") == [] and not worker.early_reading_pending(sid)
    stored = doorway.run(photo, caller)
    assert queued("read_document") == [(stored.resource_id, sid)] and worker.early_reading_pending(sid)

    # Best effort: a queue that refuses the early reading leaves the upload stored and answered.
    worker.huey.storage.delete_data(worker._early_read_key(sid))
    working, worker.read_document = worker.read_document, None  # calling it raises TypeError
    try:
        kept = doorway.run(photo, caller)
    finally:
        worker.read_document = working
    with session_scope() as db:
        assert db.get(MediaItem, kept.media_id) is not None
    assert len(queued("read_document")) == 1 and not worker.early_reading_pending(sid)

    attempt = doorway.run(lambda w: capture.start_liveness_attempt(w.db, token=token, ip=w.ip), caller)

    def finish_attempt(w):
        return capture.finish_liveness_attempt(w.db, token=token, resource_id=attempt.resource_id, ip=w.ip)

    rolled_back(finish_attempt)
    assert queued("evaluate_liveness") == []
    doorway.run(finish_attempt, caller)
    assert queued("evaluate_liveness") == [(attempt.resource_id,)]

    def finish(w):
        return capture.finish_capture(w.db, token=token, ip=w.ip)

    rolled_back(finish)
    assert queued("run_checks") == []
    assert doorway.run(finish, caller) == sid
    assert queued("run_checks") == [(sid,)]
    print("jobs-after-commit-ok")
""")


def test_capture_jobs_reach_the_queue_after_commit_and_never_after_a_rollback(tmp_path):
    assert "jobs-after-commit-ok" in run_script(SCRIPT, tmp_path)
