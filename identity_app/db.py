"""The database engine, made once per process from the settings."""
from __future__ import annotations

import logging
from contextlib import contextmanager
from functools import lru_cache
from typing import Iterator

import sqlalchemy as sa
from sqlmodel import Session, create_engine

from identity_app.private_files import private_sqlite_file

log = logging.getLogger(__name__)
CHECKPOINT_BUSY_MS = 2000  # how long a checkpoint waits for other connections' transactions


def make_engine(url: str) -> sa.Engine:
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1] if "///" in url else ""
        if path and path != ":memory:":
            private_sqlite_file(path)  # 0600 in a 0700 folder; the -wal and -shm files follow its mode
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

        @sa.event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record):  # type: ignore[no-untyped-def]
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA foreign_keys=ON")   # cascades need it
            cur.execute("PRAGMA journal_mode=WAL")  # readers don't block the worker
            cur.execute("PRAGMA synchronous=NORMAL")
            # Deleted rows are overwritten with zeros, not left in free space (see truncate_wal).
            cur.execute("PRAGMA secure_delete=ON")
            cur.close()

        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=10)


@lru_cache(maxsize=1)
def get_engine() -> sa.Engine:
    from identity_app.settings import get_settings

    return make_engine(get_settings().database_url)


@contextmanager
def session_scope(engine: sa.Engine | None = None) -> Iterator[Session]:
    """A unit of work: committed on success, rolled back on error."""
    with Session(engine or get_engine(), expire_on_commit=False) as db:
        try:
            yield db
            db.commit()
        except BaseException:
            db.rollback()
            raise


def truncate_wal(engine: sa.Engine) -> bool:
    """SQLite only: copy the write-ahead log into the database file and truncate it to 0 bytes.

    A deletion writes zeros over the deleted rows (secure_delete), but the log still holds the
    earlier versions of those pages, with the deleted person in them, until a checkpoint copies
    the new pages over and the log is reset. Returns False when another connection's transaction
    kept it from completing within CHECKPOINT_BUSY_MS (the worker's `truncate_wal` job retries);
    True on success and on other databases (PostgreSQL: see README, "Deletion")."""
    if engine.dialect.name != "sqlite":
        return True
    with engine.connect() as conn:
        raw = conn.connection.dbapi_connection
        assert raw is not None
        cur = raw.cursor()
        try:
            timeout = cur.execute("PRAGMA busy_timeout").fetchone()[0]
            cur.execute(f"PRAGMA busy_timeout={CHECKPOINT_BUSY_MS}")
            try:
                busy, _log_frames, _copied = cur.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
            finally:
                cur.execute(f"PRAGMA busy_timeout={int(timeout)}")
        finally:
            cur.close()
    if busy:
        log.warning("the SQLite write-ahead log could not be truncated now (busy); it will be retried")
    return not busy


def _engine_of(db: Session) -> sa.Engine:
    bind = db.get_bind()
    return bind if isinstance(bind, sa.Engine) else bind.engine


def _truncate_if_asked(db: Session) -> None:
    if db.info.pop("_truncate_wal", False):
        try:
            truncate_wal(_engine_of(db))
        except Exception:  # noqa: BLE001 - the deletion itself is committed; the worker retries
            log.exception("truncating the SQLite write-ahead log failed")


def _forget_truncation(db: Session) -> None:
    db.info.pop("_truncate_wal", None)


def truncate_wal_after_commit(db: Session) -> None:
    """Truncate SQLite's write-ahead log once this session's transaction has committed (after a
    deletion of personal data); nothing on other databases or when the transaction rolls back."""
    if _engine_of(db).dialect.name != "sqlite":
        return
    db.info["_truncate_wal"] = True
    if not db.info.get("_truncate_wal_hooked"):
        db.info["_truncate_wal_hooked"] = True
        sa.event.listen(db, "after_commit", _truncate_if_asked)
        sa.event.listen(db, "after_rollback", _forget_truncation)
