"""Readiness (/api/ready): the database, the queue and the media store each answer, timed.

Liveness (/api/health) says only that the process serves requests; readiness says whether it can do
its work, so a load balancer or the container runtime sends people elsewhere (or waits) when a
store it depends on is down. The reasons go to the log, not to the (unauthenticated) answer.
"""
from __future__ import annotations

import logging
import os
import time
from dataclasses import dataclass
from typing import Callable

import sqlalchemy as sa
from sqlmodel import Session

from identity_app import jobs
from identity_app.storage import LocalMediaStore, MediaStore, S3MediaStore

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Probe:
    name: str
    ok: bool
    ms: float


@dataclass(frozen=True)
class Readiness:
    probes: tuple[Probe, ...]

    @property
    def ready(self) -> bool:
        return all(p.ok for p in self.probes)


def _timed(name: str, probe: Callable[[], object]) -> Probe:
    started = time.perf_counter()
    try:
        ok = probe() is not False
    except Exception as exc:  # noqa: BLE001 - any failure means not ready; the kind goes to the log
        log.warning("readiness: %s does not answer (%s)", name, type(exc).__name__)
        ok = False
    return Probe(name, ok, round((time.perf_counter() - started) * 1000, 1))


def _database(db: Session) -> bool:
    try:
        return db.exec(sa.text("SELECT 1")).scalar() == 1  # type: ignore[call-overload]
    finally:
        db.rollback()  # nothing to keep; a failed connection leaves no half transaction behind


def _storage(store: MediaStore) -> bool:
    if isinstance(store, LocalMediaStore):
        return store.root.is_dir() and os.access(store.root, os.W_OK | os.X_OK)
    if isinstance(store, S3MediaStore):
        store.client.head_bucket(Bucket=store.bucket)
        return True
    return False


def check(db: Session, store: MediaStore) -> Readiness:
    return Readiness((_timed("database", lambda: _database(db)),
                      _timed("queue", jobs.queue_depth),
                      _timed("storage", lambda: _storage(store))))
