"""The check worker: a Huey queue, durable on SQLite (one container) or Redis.

Start it with `python -m identity_app.worker` (scripts/run.sh does): it first
recovers (clears the per-session locks a killed worker left behind and
re-enqueues captured sessions whose checks are unfinished), then runs
`huey_consumer identity_app.worker.huey -w 2 -k process`.

Delivery is at least once (a job lost with a killed worker is re-enqueued by
the recovery and by a periodic sweep); the services make a job idempotent
(finished checks are never redone) and a per-session lock keeps two workers
off one session, so each session's checks run once to completion.
Models load once per worker process, as it starts, never in the web server.
"""
from __future__ import annotations

import logging
import os
import sys
import time
import uuid
from contextlib import contextmanager
from datetime import timedelta
from functools import lru_cache
from typing import Iterator

from huey import Huey, PriorityRedisHuey, RedisHuey, SqliteHuey, crontab
from huey.exceptions import TaskLockedException

from identity_app import logs
from identity_app.private_files import private_sqlite_file
from identity_app.settings import Settings, get_settings

log = logging.getLogger("identity_app.worker")
LOCK_TTL_S = 10 * 60  # Redis lock expiry, far above a job's seconds; SQLite locks: see recover()

# Which job a free worker process takes first (higher first; equal ones in the order they came).
# A person waits on the capture page for their liveness decision, and for the result once they
# finish; an early document reading only gives the checks a head start, and a webhook or a
# scheduled job waits for nobody. Without this a liveness decision waited behind every document
# photo stored before it (bench load: a liveness result 31 s p50 at 10 people).
PRIORITY_LIVENESS = 30
PRIORITY_SESSION_CHECKS = 20
# The scheduled upkeep (sweeps, expiry, reminders, retention): tens of milliseconds each, and the sweep
# re-enqueues lost checks. Without a priority they came after every queued document reading: at the
# 5-minute marks both consumers' upkeep jobs (10 of them) waited 16 s behind readings in `bench load
# --scaled-out`, and the backlog counted them.
PRIORITY_UPKEEP = 15
PRIORITY_DOCUMENT = 10
PRIORITY_WEBHOOK = 5


def make_huey(settings: Settings) -> Huey:
    """The queue holds ids only (a job's arguments are a session or resource id). Results are not
    kept (results=False): nothing reads them, and a failed job's stored error would hold its
    exception text and traceback, which can quote a database row."""
    url = settings.queue_url.strip()
    if not url:
        private_sqlite_file(settings.data_dir / "queue.db")  # 0600 in a 0700 folder, -wal and -shm too
        return SqliteHuey("identity-checks", filename=str(settings.data_dir / "queue.db"), utc=True,
                          results=False)
    if url.startswith(("redis://", "rediss://", "unix://")):
        # A sorted set, not a list: jobs come out by priority (Redis >= 5). See adopt_fifo_queue().
        return PriorityRedisHuey("identity-checks", url=url, utc=True, results=False)
    raise ValueError("IDV_QUEUE_URL must be empty (SQLite queue under IDV_DATA_DIR) or a redis:// URL")


huey = make_huey(get_settings())
if get_settings().log_format == "json":  # huey_consumer imports this module before it sets up logging
    logs.configure(get_settings().log_level, "json")
    logs.huey_consumer_to_root()


@lru_cache(maxsize=1)
def _models_ready() -> bool:
    """Load every check model once per worker process, not per job: the face models and both
    OCR engines (about 2 s in all, which the first session after a start would otherwise wait)."""
    from identity_app.checks import face_models, faces, ocr_engines

    os.environ.setdefault("OMP_THREAD_LIMIT", "1")
    face_models.warm_up()
    ocr_engines.warm_up()
    faces.use_encoder_process()  # face encodings must not hold this process's GIL (see faces)
    return True


# Set by main when the consumer leads its own session; its worker processes inherit it.
OWN_SESSION_ENV = "IDV_WORKER_OWN_SESSION"


def mark_own_session() -> None:
    """Tell this process's worker processes that the session is the consumer's alone."""
    if os.getsid(0) == os.getpid():
        os.environ[OWN_SESSION_ENV] = str(os.getpid())
    else:
        os.environ.pop(OWN_SESSION_ENV, None)


def yield_cpu_to_capture(nice: int) -> int:
    """Lower this process's priority to `nice` (never raise it); returns the nice value now.

    Where sched_autogroup is on, the kernel shares the CPU between sessions first and nice only
    orders processes inside one, so the session's own nice is set too, but only when the session
    is the consumer's (main marks a session it leads, as under the supervisor), never a terminal's
    or a test run's.
    """
    now = os.nice(0)
    if nice > now:
        now = os.nice(nice - now)
    if os.environ.get(OWN_SESSION_ENV) == str(os.getsid(0)):
        group_nice = autogroup_nice()
        if group_nice is not None and nice > group_nice:
            try:
                with open("/proc/self/autogroup", "w") as f:
                    f.write(str(nice))
            except OSError:  # not allowed: the process's own nice applies
                pass
    return now


def autogroup_nice(path: str = "/proc/self/autogroup") -> int | None:
    """The nice value of this process's autogroup, or None where it has none: the file is missing
    without autogroups, and empty for a process in the init session's group or another cgroup."""
    try:
        with open(path) as f:  # "/autogroup-85 nice 0"
            fields = f.read().split()
        return int(fields[-1]) if fields else None
    except (OSError, ValueError):
        return None


@huey.on_startup()
def _warm_worker_process() -> None:
    # Each consumer process loads the models as it starts, before it takes a job.
    yield_cpu_to_capture(get_settings().worker_nice)
    try:
        _models_ready()
    except Exception:  # noqa: BLE001 - a job will load (and report) them again
        log.exception("loading the check models failed")


def _lock_name(session_id: int) -> str:
    return f"session-checks-{session_id}"


# One session's checks run in one worker at a time. On Redis the lock is a key with an expiry
# (SET NX EX: a killed worker's lock goes by itself; huey's own lock TTL needs Redis 7.4 hash-field
# expiry). On SQLite it is huey's lock, which the recovery step clears at start.
_RELEASE = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end return 0"


def _redis_lock_key(session_id: int) -> str:
    return f"{huey.name}.lock.{_lock_name(session_id)}"


@contextmanager
def session_lock(session_id: int) -> Iterator[None]:
    """Held while a session's checks run; TaskLockedException when another worker holds it."""
    if not isinstance(huey, RedisHuey):
        with huey.lock_task(_lock_name(session_id)):
            yield
        return
    conn, key, token = huey.storage.conn, _redis_lock_key(session_id), uuid.uuid4().hex
    if not conn.set(key, token, nx=True, ex=LOCK_TTL_S):
        raise TaskLockedException(f"{_lock_name(session_id)} is held")
    try:
        yield
    finally:
        conn.eval(_RELEASE, 1, key, token)  # only our own lock: it may have expired and been retaken


def session_locked(session_id: int) -> bool:
    if isinstance(huey, RedisHuey):
        return bool(huey.storage.conn.exists(_redis_lock_key(session_id)))
    return huey.is_locked(_lock_name(session_id))


def clear_session_lock(session_id: int) -> None:
    if isinstance(huey, RedisHuey):
        huey.storage.conn.delete(_redis_lock_key(session_id))
    else:
        huey.lock_task(_lock_name(session_id)).clear()


def _run(use_case):
    """A job's work: one use case through the doorway (services/doorway.py), as the system."""
    from identity_app.services import doorway

    return doorway.run(use_case)


@huey.task(retries=2, retry_delay=10, priority=PRIORITY_SESSION_CHECKS)
def run_checks(session_id: int) -> None:
    from identity_app.services.review.verification import run_session_checks

    _models_ready()
    try:
        with session_lock(session_id):
            _run(lambda w: run_session_checks(w.db, w.store, session_id=session_id))
    except TaskLockedException:
        log.info("session %s is being checked by another worker", session_id)


@huey.task(retries=1, retry_delay=5, priority=PRIORITY_LIVENESS)
def evaluate_liveness(resource_id: int) -> None:
    from identity_app.services.review.verification import evaluate_liveness_attempt

    _models_ready()
    _run(lambda w: evaluate_liveness_attempt(w.db, w.store, resource_id=resource_id))


# At most one early document reading per session is queued or running: its marker (in the queue's own
# key-value store, so both web processes and every worker see it when scaled out) is set when the job is
# enqueued and removed when it ends. Photos stored meanwhile enqueue nothing; the job reads the session's
# newest photo when it runs, and again while newer ones keep coming (at most EARLY_READ_ROUNDS readings).
EARLY_READ_TTL_S = LOCK_TTL_S  # an older marker was left by a killed worker and no longer counts
EARLY_READ_ROUNDS = 3
# A reading is not dropped for having waited: tried (fbdc732, dropped after 15 s in the queue), at a load
# average of 21 the dropped readings were those of people still finishing, whose session checks then read
# the document at the end of `bench load --scaled-out` (the backlog it left was 21-22 s of such checks).


def _early_read_key(session_id: int) -> str:
    return f"early-read.{session_id}"


def early_reading_pending(session_id: int) -> bool:
    held = huey.storage.peek_data(_early_read_key(session_id))
    try:
        return time.time() - float(held) < EARLY_READ_TTL_S
    except (TypeError, ValueError):
        return False


def urgent_work_waiting() -> bool:
    """A liveness decision or a session's checks (someone waits for them) is queued."""
    return any(getattr(t, "priority", 0) > PRIORITY_DOCUMENT for t in huey.pending(limit=100))


@huey.task(retries=1, retry_delay=5, priority=PRIORITY_DOCUMENT)
def read_document(resource_id: int, session_id: int | None = None, queued_at: float | None = None) -> None:
    """Read a document's text while its user goes on to liveness (services.verification.read_document_early):
    the session's newest photo, again while newer ones came during a reading (EARLY_READ_ROUNDS), but no
    further round while urgent work waits. `queued_at`: when it was queued (how late it starts is logged)."""
    from identity_app.services.review.verification import read_newest_document_early

    try:
        if queued_at is not None:
            log.debug("early document reading starts %.1f s after it was queued", time.time() - queued_at)
        _models_ready()
        for round_ in range(EARLY_READ_ROUNDS):
            if round_ and urgent_work_waiting():
                break  # the newer photo is read by the session's checks
            if not _run(lambda w: read_newest_document_early(w.db, w.store, resource_id=resource_id, rounds=1)):
                break
    finally:
        if session_id is not None:
            huey.storage.delete_data(_early_read_key(session_id))


def enqueue_document_reading(resource_id: int, session_id: int | None = None) -> bool:
    """Read the document early, unless a reading of this session's documents is queued or running already
    (that one reads the newest photo). True when a job was enqueued."""
    if session_id is not None:
        key, now = _early_read_key(session_id), repr(time.time()).encode()
        if not huey.storage.put_if_empty(key, now):
            if early_reading_pending(session_id):
                return False
            huey.storage.put_data(key, now)  # a killed worker's marker: take it over
    try:
        read_document(resource_id, session_id, queued_at=time.time())
    except Exception:
        if session_id is not None:
            huey.storage.delete_data(_early_read_key(session_id))
        raise
    return True


@huey.task(priority=PRIORITY_WEBHOOK)
def deliver_webhook(delivery_id: int) -> None:
    """Send one webhook delivery; a failure schedules the next attempt (backoff with jitter, up to
    three days: services/api/webhooks.py). The request is made outside any unit of work."""
    import httpx

    from identity_app.services.api import webhooks

    out = _run(lambda w: webhooks.outgoing(w.db, delivery_id))
    if out is None:
        return
    status, error, started = None, "", time.monotonic()
    try:
        response = httpx.post(out.url, content=out.body, headers=out.headers, timeout=webhooks.TIMEOUT_S,
                              follow_redirects=False)
        status = response.status_code
    except httpx.HTTPError as exc:
        error = f"{type(exc).__name__}: {exc}"[:500]
    elapsed_ms = round((time.monotonic() - started) * 1000)
    delay = _run(lambda w: webhooks.record_attempt(w.db, delivery_id, status=status, elapsed_ms=elapsed_ms,
                                                   error=error))
    if delay is not None:
        deliver_webhook.schedule((delivery_id,), delay=delay.total_seconds())


@huey.periodic_task(crontab(minute="*/5"), priority=PRIORITY_UPKEEP)
def sweep_webhooks() -> None:
    """Deliveries due but not queued (the enqueue failed, or the queue lost them) go out again."""
    from identity_app.services.api import webhooks

    for delivery_id in _run(lambda w: webhooks.due_deliveries(w.db)):
        deliver_webhook(delivery_id)


def enqueue_session_checks(session_id: int) -> None:
    run_checks(session_id)


def enqueue_liveness(resource_id: int) -> None:
    evaluate_liveness(resource_id)


def _pending_session_ids() -> set[int]:
    ids = set()
    for task in huey.pending():
        if getattr(task, "name", "").endswith("run_checks") and task.args:
            ids.add(int(task.args[0]))
    return ids


def requeue_unfinished(*, older_than: timedelta | None = None, clear_locks: bool = False) -> list[int]:
    """Enqueue captured sessions with unfinished checks that are not queued already."""
    from identity_app.models import utcnow
    from identity_app.services.review.verification import sessions_needing_checks

    ids = _run(lambda w: sessions_needing_checks(w.db, finished_before=utcnow() - older_than if older_than else None))
    queued = _pending_session_ids()
    enqueued = []
    for sid in ids:
        if clear_locks:
            clear_session_lock(sid)
        elif session_locked(sid):
            continue
        if sid not in queued:
            run_checks(sid)
            enqueued.append(sid)
    return enqueued


@huey.periodic_task(crontab(minute="*/5"), priority=PRIORITY_UPKEEP)
def sweep() -> None:
    """Safety net: re-enqueue captured sessions whose checks were lost (expiry: expire_links)."""
    from identity_app.services.review.verification import STALE_AFTER

    requeue_unfinished(older_than=STALE_AFTER)


def _scheduled(use_case, done: str) -> None:
    """A scheduled job: one use case through the doorway, one log line when it did something."""
    count = _run(use_case)
    if count:
        log.info(done, count)


@huey.periodic_task(crontab(minute="17", hour="*"), priority=PRIORITY_UPKEEP)
def media_retention() -> None:
    """Hourly: delete media older than each application's retention period."""
    from identity_app.services.sessions.deletion import delete_expired_media

    _scheduled(lambda w: delete_expired_media(w.db, w.store), "retention deleted %d media item(s)")


@huey.periodic_task(crontab(minute="*/10"), priority=PRIORITY_UPKEEP)
def truncate_wal() -> None:
    """SQLite: copy the write-ahead log into the database and truncate it. Each deletion does this
    as it commits; this retries one that found the database busy (see db.truncate_wal)."""
    from identity_app.db import get_engine, truncate_wal as _truncate

    _truncate(get_engine())


@huey.periodic_task(crontab(minute="*/5"), priority=PRIORITY_UPKEEP)
def expire_links() -> None:
    """Sessions whose link lifetime passed before completion become EXPIRED (see services/sessions/expiry.py)."""
    from identity_app.services.sessions.expiry import expire_sessions

    _scheduled(lambda w: expire_sessions(w.db), "expired %d session(s)")


@huey.periodic_task(crontab(minute="*/15"), priority=PRIORITY_UPKEEP)
def send_reminders() -> None:
    """Reminder emails for sessions not started yet (each application's count and interval)."""
    from identity_app.services.sessions.reminders import send_due_reminders

    _scheduled(lambda w: send_due_reminders(w.db), "sent %d reminder email(s)")


@huey.periodic_task(crontab(minute="41", hour="*"), priority=PRIORITY_UPKEEP)
def forget_old_guesses() -> None:
    """Hourly: wrong passwords and codes older than the guessing window (services/access/guessing.py) go."""
    from identity_app.services.access.guessing import purge

    _scheduled(lambda w: purge(w.db), "forgot %d old wrong password(s) and code(s)")


def adopt_fifo_queue() -> int:
    """Redis: jobs left in the list an earlier version queued into (before priorities) move into the
    sorted set under the same key, each with its task's priority. The number moved."""
    if not isinstance(huey, PriorityRedisHuey):
        return 0
    conn, key = huey.storage.conn, huey.storage.queue_key
    if conn.type(key) not in (b"list", "list"):
        return 0
    aside = f"{key}.fifo"
    conn.rename(key, aside)  # atomic: from now on the web processes enqueue into a new sorted set
    moved = 0
    while (data := conn.rpop(aside)) is not None:  # the list's oldest first (it was lpush'ed)
        huey.storage.enqueue(data, huey.deserialize_task(data).priority)
        moved += 1
    return moved


def recover() -> list[int]:
    """Before the consumer starts: lost jobs come back. On SQLite (one machine, no job runs yet)
    the locks a killed worker left go too; Redis locks may belong to another machine's running
    job, so they are left to expire (LOCK_TTL_S) and the sweep takes those sessions up then."""
    return requeue_unfinished(clear_locks=not isinstance(huey, RedisHuey))


def main(argv: list[str] | None = None) -> None:
    logs.configure(get_settings().log_level, get_settings().log_format)
    get_settings().validate_for_startup()  # as the web process: no default secret, no half-done key rotation
    if adopted := adopt_fifo_queue():
        log.info("moved %d queued job(s) into the priority queue", adopted)
    requeued = recover()
    if requeued:
        log.info("re-enqueued the checks of %d session(s) after a restart", len(requeued))
    mark_own_session()
    workers = os.environ.get("IDV_WORKERS", "2")
    consumer = os.path.join(os.path.dirname(sys.executable), "huey_consumer")
    # An idle consumer polls the SQLite queue ever more slowly, up to every 10 s by default: a
    # session's checks could wait that long to start. A quarter second costs a few cheap reads
    # a second. (Redis blocks on the queue instead of polling.)
    os.execv(consumer, [consumer, "identity_app.worker.huey", "-w", workers, "-k", "process",
                        "-d", "0.05", "-m", "0.25"])


if __name__ == "__main__":
    # Run from the importable module, not from __main__: tasks enqueued by the
    # recovery must carry the names the consumer knows (identity_app.worker.*).
    from identity_app.worker import main as _main

    _main()
