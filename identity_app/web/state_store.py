"""Reflex's state store, kept private and made to forget a deleted person.

Reflex pickles every client's UI state to disk (`IDV_DATA_DIR/ui-state`, the
embedded default) or to Redis, and keeps the disk store's states in the web
process's memory too. Pages show personal data (a session's name, email,
link, document fields), so after a session is deleted every stored state
holding any of its identifying strings ("traces") is dropped: from memory,
from the files and from Redis. A state dropped this way starts again from its
defaults at the client's next event; the page loads its data again.

The disk store's folder is 0700 and its files 0600 (`secure`), and states
expire after `STATE_TTL_S` without use (Reflex's own expiry, set in rxconfig.py).
"""
from __future__ import annotations

import asyncio
import logging
import os
import stat
from pathlib import Path
from typing import Any, Iterable

log = logging.getLogger(__name__)

STATE_TTL_S = 3600     # a page's UI state is forgotten after an hour without use
MIN_TRACE_LENGTH = 3   # shorter strings would match unrelated states


def states_dir() -> Path:
    from reflex.utils import prerequisites

    return prerequisites.get_states_dir().absolute()


def secure(folder: Path | None = None) -> None:
    """The disk store's folder 0700 and every file in it 0600 (also for older installs)."""
    folder = folder or states_dir()
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.chmod(folder, 0o700)
    for path in folder.iterdir():
        if path.is_file() and stat.S_IMODE(path.stat().st_mode) != 0o600:
            os.chmod(path, 0o600)


def needles(traces: Iterable[str]) -> list[bytes]:
    """The byte strings to look for: each trace as given and lower-cased (search text)."""
    found: set[bytes] = set()
    for trace in traces:
        trace = (trace or "").strip()
        if len(trace) >= MIN_TRACE_LENGTH:
            found.update({trace.encode(), trace.lower().encode()})
    return sorted(found)


def _holds(data: bytes, wanted: list[bytes]) -> bool:
    return any(n in data for n in wanted)


# --- disk -------------------------------------------------------------------------


def forget_files(wanted: list[bytes], folder: Path | None = None) -> int:
    """Delete every state file holding a trace; returns how many."""
    folder = folder or states_dir()
    count = 0
    if not folder.is_dir():
        return 0
    for path in folder.glob("*.pkl"):
        try:
            if _holds(path.read_bytes(), wanted):
                path.unlink(missing_ok=True)
                count += 1
        except OSError:
            continue
    return count


def _tree(state: Any) -> list[Any]:
    found, todo = [], [state]
    while todo:
        s = todo.pop()
        found.append(s)
        todo.extend(s.substates.values())
    return found


def _tree_holds(root: Any, wanted: list[bytes]) -> bool:
    for s in _tree(root):
        try:
            data = s._serialize()
        except Exception:  # noqa: BLE001 - unreadable: drop it to be safe
            return True
        if _holds(data, wanted):
            return True
    return False


def _drop(manager: Any, token: Any, root: Any) -> None:
    """Forget one client's whole state tree: memory, pending writes and files."""
    paths = [manager.token_path(token.with_cls(type(s))) for s in _tree(root)]
    for queued in [t for t in manager._write_queue if t.cache_key == token.cache_key]:
        manager._write_queue.pop(queued, None)
    manager._purge_token(token)
    for path in paths:
        path.unlink(missing_ok=True)


async def _drop_when_unlocked(manager: Any, token: Any, wanted: list[bytes]) -> None:
    """A state busy with an event (the deleting operator's own, typically) is dropped
    right after that event has written it."""
    lock = manager._states_locks.get(token.lock_key)
    if lock is None:
        return
    async with lock:
        root = manager.states.get(token.cache_key)
        if root is not None and _tree_holds(root, wanted):
            _drop(manager, token, root)
    await asyncio.to_thread(forget_files, wanted)


_DEFERRED: set[asyncio.Task] = set()


async def _forget_disk_manager(manager: Any, wanted: list[bytes]) -> int:
    from reflex.istate.manager.token import BaseStateToken

    count = 0
    for cache_key, root in list(manager.states.items()):
        if not _tree_holds(root, wanted):
            continue
        touched = manager._token_last_touched.get(cache_key)
        token = touched[1] if touched else BaseStateToken(ident=cache_key, cls=type(root))
        count += 1
        if manager._is_locked(token):
            task = asyncio.create_task(_drop_when_unlocked(manager, token, wanted))
            _DEFERRED.add(task)
            task.add_done_callback(_DEFERRED.discard)
        else:
            _drop(manager, token, root)
    return count + await asyncio.to_thread(forget_files, wanted)


# --- redis ------------------------------------------------------------------------

# Reflex keys a client's substate as "<client token>_<state full name>"; the root is "reflex___state____state".
_STATE_KEYS = "*_reflex___state____state*"


async def _forget_redis(redis: Any, wanted: list[bytes]) -> int:
    count = 0
    async for key in redis.scan_iter(match=_STATE_KEYS, count=500):
        try:
            value = await redis.get(key)
        except Exception:  # noqa: BLE001 - a key of another type (a lock)
            continue
        if value and _holds(value, wanted):
            await redis.delete(key)
            count += 1
    return count


def forget_redis_sync(url: str, wanted: list[bytes]) -> int:
    """The same from a process without the app (the CLI): Redis keys only."""
    import redis as redis_lib

    client = redis_lib.Redis.from_url(url)
    count = 0
    for key in client.scan_iter(match=_STATE_KEYS, count=500):
        try:
            value = client.get(key)
        except redis_lib.ResponseError:
            continue
        if value and _holds(value, wanted):
            client.delete(key)
            count += 1
    return count


# --- entry points -------------------------------------------------------------------


async def forget(traces: Iterable[str]) -> int:
    """In the web process, after a deletion committed: drop every stored UI state holding
    a trace. Returns the number of states (or files/keys) dropped. Never logs the traces."""
    wanted = needles(traces)
    if not wanted:
        return 0
    from reflex.istate.manager.disk import StateManagerDisk
    from reflex.istate.manager.redis import StateManagerRedis

    from identity_app.identity_app import app

    manager = app.state_manager
    if isinstance(manager, StateManagerRedis):
        count = await _forget_redis(manager.redis, wanted)
    elif isinstance(manager, StateManagerDisk):
        count = await _forget_disk_manager(manager, wanted)
    else:
        count = 0
    log.info("deleted data: %d stored UI states dropped", count)
    return count


def forget_offline(traces: Iterable[str]) -> int:
    """From another process (CLI, worker): the disk files and Redis, not the web process's memory."""
    wanted = needles(traces)
    if not wanted:
        return 0
    from reflex_base.config import get_config

    url = get_config().redis_url or ""
    return forget_redis_sync(url, wanted) if url else forget_files(wanted)
