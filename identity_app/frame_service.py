"""Frame analysis over Redis: any web process's frames, analysed by any frame worker (scaled out).

On the embedded defaults a web process analyses camera frames in its own image pool
(image_pool.py). With the queue on Redis (IDV_QUEUE_URL), the frame work of the capture routes
(only the functions in ALLOWED: a liveness batch, a document camera frame) becomes a call on one
Redis list that every frame worker takes from, wherever it runs:

- A caller (`RemotePool.run`) pushes one message on `<prefix>.calls` and waits with BLPOP on its own
  reply key until its deadline. No answer in time, or no frame worker alive (heartbeats in
  `<prefix>.workers`, a sorted set scored by expiry), is `PoolBusy`: SERVER_BUSY, as a busy local
  pool is. A call taken after its `start_by` is answered busy at once, not run late.
- A frame worker (`FrameServer`) has as many threads as its local ImagePool has children; each takes
  a call with BLPOP only when it is free and runs it in that pool, so the children's process
  isolation, memory cap and recycling stay as they are. Web processes serve (IDV_FRAME_WORKERS;
  0: they only send), and `python -m identity_app.frame_service` is a frame worker alone, for
  another machine's cores.
- Frames are biometric data: every message is AES-GCM under a key derived from the app's secret
  key (purpose "frame-calls"), a reply bound to its call's id, so a message forged or altered in
  Redis, or an answer moved to another call, is refused (logged without its content). Every key
  expires within seconds. Messages are pickles of plain values, unpickled with
  image_pool.loads_plain (no class can be named); ImageLimits travels as its fields.
"""
from __future__ import annotations

import dataclasses
import logging
import os
import pickle
import secrets
import socket
import threading
import time
from typing import Any, Callable

from identity_app import crypto
from identity_app.image_pool import ImagePool, ImageWorkFailed, PoolBusy, loads_plain

log = logging.getLogger(__name__)

PREFIX = "idv.frames"
# The frame work of the capture routes (services/capture/flow.py): nothing else may be asked for.
ALLOWED = ("identity_app.checks.image_work.frame_quality", "identity_app.checks.image_work.liveness_frames",
           "identity_app.checks.image_work.liveness_answer", "identity_app.checks.image_work.liveness_rest")
CALLS_TTL_S = 60          # the list of calls goes when nobody has pushed for this long
REPLY_TTL_S = 30          # an answer nobody took goes by itself
HEARTBEAT_S = 1.0
HEARTBEAT_TTL_S = 5.0     # a frame worker silent this long counts as gone
POLL_S = 1.0              # BLPOP slices: a caller looks again for live workers, a server for its stop flag
_CALL_AD = b"idv-frame-call/v1"
_REPLY_AD = b"idv-frame-reply/v1:"
_LIMITS = "__image_limits__"


def is_redis_url(url: str) -> bool:
    return (url or "").strip().startswith(("redis://", "rediss://", "unix://"))


def frame_key(secret: str) -> bytes:
    return crypto.derive_key(secret, "frame-calls")


def _name(fn: Callable[..., Any]) -> str:
    return f"{fn.__module__}.{fn.__qualname__}"


def _encode_arg(value: Any) -> Any:
    from identity_app.checks.image_io import ImageLimits

    if isinstance(value, ImageLimits):
        return {_LIMITS: dataclasses.asdict(value)}
    return value


def _decode_arg(value: Any) -> Any:
    from identity_app.checks.image_io import ImageLimits

    if isinstance(value, dict) and set(value) == {_LIMITS} and isinstance(value[_LIMITS], dict):
        return ImageLimits(**value[_LIMITS])
    return value


def _redis(url: str):
    import redis

    # No socket timeout: BLPOP holds its connection up to POLL_S; a dead Redis still fails at once.
    return redis.Redis.from_url(url, socket_connect_timeout=2, health_check_interval=30)


class RemotePool:
    """The caller's side: `run(fn, *args, timeout=, wait=)` as ImagePool.run, for the ALLOWED functions."""

    def __init__(self, url: str, key: bytes, prefix: str = PREFIX) -> None:
        self.conn = _redis(url)
        self.key, self.prefix = key, prefix
        self.calls_key, self.workers_key = f"{prefix}.calls", f"{prefix}.workers"
        self.counts = {"calls": 0, "busy": 0, "refused_replies": 0}
        self.last_server = ""  # which frame worker answered the last call (host:pid), for tests and logs

    @staticmethod
    def serves(fn: Callable[..., Any]) -> bool:
        return _name(fn) in ALLOWED

    def workers_alive(self) -> int:
        return int(self.conn.zcount(self.workers_key, time.time(), "+inf"))

    def run(self, fn: Callable[..., Any], *args: Any, timeout: float = 30.0, wait: float = 20.0) -> Any:
        from identity_app.checks.image_io import DecodeFailure, ImageDecodeError

        name = _name(fn)
        if name not in ALLOWED:
            raise ValueError(f"{name} is not frame work")
        import redis

        self.counts["calls"] += 1
        call_id = secrets.token_hex(16)
        now = time.time()
        message = pickle.dumps((call_id, now + wait, float(timeout), name, [_encode_arg(a) for a in args]),
                               protocol=pickle.HIGHEST_PROTOCOL)
        reply_key = f"{self.prefix}.reply.{call_id}"
        deadline = time.monotonic() + wait + timeout + 2.0  # the worker's own wait and timeout end first
        sealed = b""
        try:
            if not self.workers_alive():
                raise PoolBusy("no frame worker is running")
            sealed = crypto.encrypt(self.key, message, _CALL_AD)
            del message
            pipe = self.conn.pipeline(transaction=False)
            pipe.rpush(self.calls_key, sealed)
            pipe.expire(self.calls_key, CALLS_TTL_S)
            pipe.execute()
            while True:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise PoolBusy("no frame worker answered in time")
                got = self.conn.blpop([reply_key], timeout=max(0.01, min(POLL_S, remaining)))
                if got is not None:
                    break
                if not self.workers_alive():  # the worker that took it died, and nobody is left
                    raise PoolBusy("the frame workers stopped")
        except redis.RedisError:
            self.counts["busy"] += 1
            raise PoolBusy("Redis did not answer for the frame workers") from None
        except PoolBusy:
            self.counts["busy"] += 1
            if sealed:  # given up: the frames leave Redis now if no worker took them yet
                try:
                    self.conn.lrem(self.calls_key, 1, sealed)
                except redis.RedisError:
                    pass
            raise
        try:
            reply = loads_plain(crypto.decrypt(self.key, got[1], _REPLY_AD + call_id.encode()))
            kind = reply[0]
        except (crypto.DecryptionError, pickle.UnpicklingError, EOFError, ValueError, TypeError, IndexError):
            self.counts["refused_replies"] += 1
            log.warning("a frame worker's answer failed authentication or made no sense: refused")
            raise ImageWorkFailed("the frame worker's answer was refused") from None
        self.last_server = str(reply[-1])
        if kind == "ok":
            return reply[1]
        if kind == "refused":
            try:
                reason = DecodeFailure(reply[1])
            except ValueError:
                reason = DecodeFailure.CORRUPTED
            raise ImageDecodeError(reason, str(reply[2]))
        if kind == "busy":
            self.counts["busy"] += 1
            raise PoolBusy(str(reply[1]))
        raise ImageWorkFailed(str(reply[1]))


class FrameServer:
    """`threads` threads, each taking one call at a time from Redis and running it in `pool`."""

    def __init__(self, url: str, key: bytes, pool: ImagePool | Callable[[], ImagePool], threads: int,
                 prefix: str = PREFIX) -> None:
        self.url, self.key, self.prefix = url, key, prefix
        self._pool = pool
        self.threads = max(1, int(threads))
        self.calls_key, self.workers_key = f"{prefix}.calls", f"{prefix}.workers"
        self.ident = f"{socket.gethostname()}:{os.getpid()}"
        self.counts = {"served": 0, "refused": 0, "late": 0}
        self.last_pool_s = 0.0
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._lock = threading.Lock()

    def pool(self) -> ImagePool:
        return self._pool if isinstance(self._pool, ImagePool) else self._pool()

    def start(self) -> "FrameServer":
        self.pool()  # its children load their libraries now, not on the first call
        self._beat_once(_redis(self.url))  # alive before start() returns: this process's first call finds it
        self._threads = [threading.Thread(target=self._beat, name="frame-heartbeat", daemon=True)]
        self._threads += [threading.Thread(target=self._serve, name=f"frame-server-{i}", daemon=True)
                          for i in range(self.threads)]
        for t in self._threads:
            t.start()
        return self

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        for t in self._threads:
            t.join(timeout)
        try:
            _redis(self.url).zrem(self.workers_key, self.ident)
        except Exception:  # noqa: BLE001 - its heartbeat expires anyway
            pass

    def _beat_once(self, conn) -> None:
        try:
            pipe = conn.pipeline(transaction=False)
            now = time.time()
            pipe.zadd(self.workers_key, {self.ident: now + HEARTBEAT_TTL_S})
            pipe.zremrangebyscore(self.workers_key, "-inf", now - 60)
            pipe.expire(self.workers_key, int(HEARTBEAT_TTL_S) + 1)
            pipe.execute()
        except Exception as exc:  # noqa: BLE001 - Redis away: callers see no live worker, refuse
            log.warning("frame worker heartbeat failed: %s", type(exc).__name__)

    def _beat(self) -> None:
        conn = _redis(self.url)
        while not self._stop.wait(HEARTBEAT_S):
            self._beat_once(conn)

    def _serve(self) -> None:
        conn = _redis(self.url)
        self.pool().warm()  # a call taken now would wait for the children's libraries: let a warm worker take it
        while not self._stop.is_set():
            try:
                got = conn.blpop([self.calls_key], timeout=POLL_S)
            except Exception as exc:  # noqa: BLE001 - Redis away: try again shortly
                log.warning("frame worker could not read calls: %s", type(exc).__name__)
                self._stop.wait(1.0)
                continue
            if got is None:
                continue
            try:
                self._handle(conn, got[1])
            except Exception:  # noqa: BLE001 - one call's failure must not stop the thread
                log.exception("frame worker failed on a call")

    def handle_message(self, blob: bytes) -> tuple[str, tuple] | None:
        """(reply key, reply) for one call message; None when it is refused (forged, altered, not allowed)."""
        try:
            call_id, start_by, timeout, name, args = loads_plain(crypto.decrypt(self.key, blob, _CALL_AD))
            if not (isinstance(call_id, str) and len(call_id) == 32 and name in ALLOWED
                    and isinstance(args, list) and isinstance(timeout, float)):
                raise ValueError("not a frame call")
        except (crypto.DecryptionError, pickle.UnpicklingError, EOFError, ValueError, TypeError):
            with self._lock:
                self.counts["refused"] += 1
            log.warning("a frame call failed authentication or is not allowed: refused")
            return None
        reply_key = f"{self.prefix}.reply.{call_id}"
        left = float(start_by) - time.time()
        if left <= 0:
            with self._lock:
                self.counts["late"] += 1
            return reply_key, ("busy", "taken after its caller's wait", self.ident)
        return reply_key, self._run(call_id, name, [_decode_arg(a) for a in args], min(timeout, 120.0), left)

    def _run(self, call_id: str, name: str, args: list, timeout: float, wait: float) -> tuple:
        import importlib

        from identity_app.checks.image_io import ImageDecodeError

        module, _, attr = name.rpartition(".")
        fn = getattr(importlib.import_module(module), attr)
        started = time.perf_counter()
        try:
            result = self.pool().run(fn, *args, timeout=timeout, wait=wait)
            reply: tuple = ("ok", result, self.ident)
        except ImageDecodeError as exc:
            reply = ("refused", exc.reason.value, exc.detail, self.ident)
        except PoolBusy as exc:
            reply = ("busy", str(exc), self.ident)
        except ImageWorkFailed as exc:
            reply = ("failed", str(exc), self.ident)
        with self._lock:
            self.counts["served"] += 1
            self.last_pool_s = time.perf_counter() - started  # the call's time in the pool, for measurements
        return reply

    def _handle(self, conn, blob: bytes) -> None:
        handled = self.handle_message(blob)
        del blob
        if handled is None:
            return
        reply_key, reply = handled
        call_id = reply_key.rsplit(".", 1)[1]
        data = crypto.encrypt(self.key, pickle.dumps(reply, protocol=pickle.HIGHEST_PROTOCOL),
                              _REPLY_AD + call_id.encode())
        pipe = conn.pipeline(transaction=False)
        pipe.rpush(reply_key, data)
        pipe.expire(reply_key, REPLY_TTL_S)
        pipe.execute()


# ------------------------------------------------------------------ this process's client and server

_client: RemotePool | None = None
_server: FrameServer | None = None
_client_pid = 0
_guard = threading.Lock()


def client() -> RemotePool | None:
    """This process's RemotePool when the queue is on Redis (None on the embedded defaults). A web
    process also starts serving calls then (IDV_FRAME_WORKERS threads; 0: none)."""
    global _client, _client_pid
    with _guard:
        if _client_pid == os.getpid():
            return _client
        from identity_app.settings import get_settings

        s = get_settings()
        _client_pid = os.getpid()
        _client = None
        if is_redis_url(s.queue_url):
            key = frame_key(s.secret_key.get_secret_value())
            _client = RemotePool(s.queue_url.strip(), key, prefix=PREFIX)
            _start_server_locked(s, key)
        return _client


def _start_server_locked(s, key: bytes) -> None:
    global _server
    from identity_app import image_pool

    threads = s.frame_workers if s.frame_workers is not None else (s.image_workers or os.cpu_count() or 1)
    if threads > 0 and _server is None:
        _server = FrameServer(s.queue_url.strip(), key, image_pool.get_pool, threads, prefix=PREFIX).start()


def serve_forever() -> None:
    """`python -m identity_app.frame_service`: a frame worker alone, its pool sized to the cores."""
    import signal

    from identity_app import image_pool, logs
    from identity_app.settings import get_settings

    s = get_settings()
    logs.configure(s.log_level, s.log_format)
    s.validate_for_startup()
    if not is_redis_url(s.queue_url):
        raise SystemExit("a frame worker needs IDV_QUEUE_URL on Redis")
    threads = s.frame_workers or s.image_workers or os.cpu_count() or 1
    server = FrameServer(s.queue_url.strip(), frame_key(s.secret_key.get_secret_value()), image_pool.get_pool,
                         threads, prefix=PREFIX).start()
    log.info("frame worker %s serving with %d thread(s)", server.ident, server.threads)
    done = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: done.set())
    done.wait()
    server.stop()
    image_pool.shutdown()


if __name__ == "__main__":
    serve_forever()
