"""A small pool of child processes that do the image work of uploads.

Decoding a hostile image can cost hundreds of megabytes and seconds of CPU
even within the header limits of checks/image_io.py, and a decoder bug can
crash the process it runs in. So the web server never decodes an upload
itself: it hands the bytes to a child of this pool and gets back plain
values (a clean re-encoded JPEG, a quality verdict, landmark analyses).

- Size: IDV_IMAGE_WORKERS children (default: one per core). A call waits at
  most `wait` seconds for a free child, then `PoolBusy` (SERVER_BUSY).
- Memory: a child caps its own address space (RLIMIT_AS) once it has loaded
  its libraries, at what it then maps plus IDV_IMAGE_WORKER_MEMORY_MB. A
  decoder that wants more gets MemoryError or dies: that request is refused
  with `ImageWorkFailed` (IMAGE_FAILED), the child is replaced, and the web
  process's memory never moves.
- Time: a task that outlives its `timeout` gets its child killed (SIGKILL).
- Recycling: a child that failed, died or timed out, whose resident memory
  after a task stays RECYCLE_ABOVE_MB above its start, or that ran MAX_TASKS
  tasks, is killed and a fresh one started at once, so memory goes back to
  the operating system and the pool is never left broken.
- Isolation: a child is a plain `python -m identity_app.image_pool` process,
  not a multiprocessing one (spawn and forkserver children re-import the
  parent's __main__, which in the web server is reflex's command line). It
  imports the standard library and identity_app.checks (numpy, Pillow,
  OpenCV, MediaPipe), never reflex, sqlmodel or the settings, and runs only
  functions of identity_app.checks. Messages are length-prefixed pickles;
  the parent unpickles plain values only (no class can be named), so even a
  child taken over through a decoder bug cannot run code in the web process
  through its answers.
"""
from __future__ import annotations

import atexit
import importlib
import io
import logging
import os
import pickle
import select
import signal
import struct
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any, Callable

log = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parent.parent
RECYCLE_ABOVE_MB = 200        # resident memory a child may keep above its start after a task
MAX_TASKS = 1000              # then it is replaced anyway
START_TIMEOUT_S = 90.0        # loading OpenCV and MediaPipe: about 1-2 s on an idle machine
MAX_MESSAGE_BYTES = 256 * 1024 * 1024
ALLOWED_PREFIX = "identity_app.checks."
_LENGTH = struct.Struct(">Q")


class PoolBusy(Exception):
    """Every child stayed busy for the whole wait: refuse with SERVER_BUSY, try again later."""

    code = "SERVER_BUSY"


class ImageWorkFailed(Exception):
    """The child failed, ran out of its memory, died or timed out on this input: IMAGE_FAILED."""

    code = "IMAGE_FAILED"


class _ChildGone(Exception):
    pass


class _ChildTimeout(Exception):
    pass


class _PlainUnpickler(pickle.Unpickler):
    """Builds dicts, lists, tuples, bytes, strings, numbers, booleans and None; refuses any class or function."""

    def find_class(self, module: str, name: str) -> Any:
        raise pickle.UnpicklingError(f"{module}.{name} may not come from an image child")


def loads_plain(data: bytes) -> Any:
    return _PlainUnpickler(io.BytesIO(data)).load()


def _status_kb(field: str) -> int:
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


# ------------------------------------------------------------------ parent side


def _wait_fd(fd: int, events: int, deadline: float) -> None:
    poller = select.poll()  # not select(): a busy web server has descriptors above 1024
    poller.register(fd, events | select.POLLERR | select.POLLHUP)
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise _ChildTimeout
        if poller.poll(remaining * 1000):
            return


class _Child:
    def __init__(self, memory_mb: int) -> None:
        env = dict(os.environ)
        env.update({
            "PYTHONPATH": os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH", "")) if p),
            "MALLOC_ARENA_MAX": "2", "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1",
            "GLOG_minloglevel": "2", "TF_CPP_MIN_LOG_LEVEL": "2",
        })
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "identity_app.image_pool", str(int(memory_mb))],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, cwd=str(ROOT), env=env, close_fds=True,
            # A session of its own: where the kernel shares CPU by session (autogroup, the default of
            # many distributions), frame work no longer shares the web process's slice with its console
            # pages (issue 13). It ends with the parent all the same (_leave_with_parent).
            start_new_session=True)
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.wfd, self.rfd = self.proc.stdin.fileno(), self.proc.stdout.fileno()
        os.set_blocking(self.wfd, False)
        os.set_blocking(self.rfd, False)
        self.started = time.monotonic()
        self.ready = False
        self.tasks = 0
        self.start_rss_kb = 0
        self.peak_kb = 0

    @property
    def pid(self) -> int:
        return self.proc.pid

    def _write(self, data: bytes, deadline: float) -> None:
        view = memoryview(data)
        while view:
            _wait_fd(self.wfd, select.POLLOUT, deadline)
            try:
                n = os.write(self.wfd, view[:1 << 20])
            except BlockingIOError:
                continue
            except (BrokenPipeError, OSError):
                raise _ChildGone from None
            view = view[n:]

    def _read(self, size: int, deadline: float) -> bytes:
        buf = bytearray()
        while len(buf) < size:
            _wait_fd(self.rfd, select.POLLIN, deadline)
            try:
                chunk = os.read(self.rfd, min(size - len(buf), 1 << 20))
            except BlockingIOError:
                continue
            except OSError:
                raise _ChildGone from None
            if not chunk:
                raise _ChildGone
            buf += chunk
        return bytes(buf)

    def _recv(self, deadline: float) -> Any:
        (size,) = _LENGTH.unpack(self._read(_LENGTH.size, deadline))
        if size > MAX_MESSAGE_BYTES:
            raise _ChildGone
        return loads_plain(self._read(size, deadline))

    def wait_ready(self) -> None:
        """Until the child has loaded its libraries and said so (at most START_TIMEOUT_S after its start)."""
        if not self.ready:
            hello = self._recv(self.started + START_TIMEOUT_S)
            if not (isinstance(hello, tuple) and hello and hello[0] == "ready"):
                raise _ChildGone
            self.start_rss_kb = int(hello[2])
            self.ready = True

    def call(self, payload: bytes, timeout: float) -> tuple:
        self.wait_ready()
        deadline = time.monotonic() + timeout
        self._write(_LENGTH.pack(len(payload)) + payload, deadline)
        reply = self._recv(deadline)
        if not (isinstance(reply, tuple) and len(reply) >= 2 and isinstance(reply[-1], dict)):
            raise _ChildGone
        self.tasks += 1
        self.peak_kb = max(self.peak_kb, int(reply[-1].get("hwm_kb", 0)))
        return reply

    def kill(self) -> None:
        try:
            self.proc.kill()
        except OSError:
            pass
        for f in (self.proc.stdin, self.proc.stdout):
            try:
                f.close()  # type: ignore[union-attr]
            except OSError:
                pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            log.warning("image child %s did not exit after SIGKILL", self.pid)


class ImagePool:
    """`size` child processes, each capped at `memory_mb` above its libraries; see the module docstring."""

    def __init__(self, size: int, memory_mb: int, *, recycle_above_mb: int = RECYCLE_ABOVE_MB,
                 max_tasks: int = MAX_TASKS) -> None:
        self.size = max(1, int(size))
        self.memory_mb = int(memory_mb)
        self.recycle_above_kb = recycle_above_mb * 1024
        self.max_tasks = max_tasks
        self.pid = os.getpid()
        self._cond = threading.Condition()
        self._idle: list[_Child] = []
        self._alive = 0  # started and not retired: idle or busy
        self._closed = False
        self._warming = 0  # warm() calls holding children while they load their libraries
        self.counts = {"started": 0, "recycled": 0, "failed": 0}
        self.peak_child_kb = 0  # the largest VmHWM any child reported

    # -- children

    def _new_child(self) -> _Child:
        child = _Child(self.memory_mb)
        self.counts["started"] += 1
        return child

    def start(self) -> None:
        """Start every child now (they load their libraries while the caller goes on)."""
        with self._cond:
            while not self._closed and self._alive < self.size:
                self._idle.append(self._new_child())
                self._alive += 1

    def _acquire(self, wait: float) -> _Child:
        started = time.monotonic()
        deadline = started + wait
        with self._cond:
            while True:
                if self._closed:
                    raise PoolBusy("the image pool is closed")
                while self._idle:
                    child = self._idle.pop(0)  # the longest idle: started first, most likely warm
                    if child.proc.poll() is None:
                        return child
                    # Died while idle (killed from outside, out of memory): reap it, use another or a new one.
                    log.warning("image worker %s had exited (%s) while idle", child.pid, child.proc.returncode)
                    child.kill()
                    self._alive -= 1
                    self.counts["recycled"] += 1
                if self._alive < self.size:
                    self._alive += 1
                    break
                remaining = deadline - time.monotonic()
                if remaining <= 0 and self._warming:
                    # Children held by warm() are only loading their libraries: a call that took one
                    # would wait for that in call() (up to START_TIMEOUT_S), so this one waits as long,
                    # not refused as busy (a loaded machine's first upload after a start was).
                    remaining = started + START_TIMEOUT_S - time.monotonic()
                if remaining <= 0:
                    raise PoolBusy(f"no free image worker within {wait:g} s")
                self._cond.wait(remaining)
        try:
            return self._new_child()
        except OSError as exc:
            with self._cond:
                self._alive -= 1
                self._cond.notify()
            raise ImageWorkFailed(f"could not start an image worker: {exc}") from None

    def _release(self, child: _Child, retire: bool) -> None:
        if retire or self._closed:
            child.kill()
            with self._cond:
                self._alive -= 1
                self.counts["recycled"] += 1
                if not self._closed and self._alive < self.size:
                    try:  # the replacement loads its libraries at once, not on the next request
                        self._idle.append(self._new_child())
                        self._alive += 1
                    except OSError:
                        log.exception("could not start a replacement image worker")
                self._cond.notify()
            return
        with self._cond:
            self._idle.append(child)
            self._cond.notify()

    # -- work

    def run(self, fn: Callable[..., Any], *args: Any, timeout: float = 30.0, wait: float = 20.0,
            **kwargs: Any) -> Any:
        """fn(*args, **kwargs) in a child; its plain result, or ImageDecodeError / PoolBusy / ImageWorkFailed."""
        from identity_app.checks.image_io import DecodeFailure, ImageDecodeError

        module, name = fn.__module__, fn.__qualname__
        if not module.startswith(ALLOWED_PREFIX):
            raise ValueError(f"only functions of {ALLOWED_PREFIX}* run in the image pool, not {module}.{name}")
        payload = pickle.dumps((module, name, args, kwargs), protocol=pickle.HIGHEST_PROTOCOL)
        child = self._acquire(wait)
        retire = True
        try:
            reply = child.call(payload, timeout)
            stats = reply[-1]
            self.peak_child_kb = max(self.peak_child_kb, child.peak_kb)
            retire = (reply[0] != "ok" and reply[0] != "refused") \
                or int(stats.get("rss_kb", 0)) > child.start_rss_kb + self.recycle_above_kb \
                or child.tasks >= self.max_tasks
        except (_ChildGone, pickle.UnpicklingError, EOFError, ValueError, TypeError) as exc:
            self.counts["failed"] += 1
            code = child.proc.poll()
            log.warning("image worker %s died or answered nonsense (%s, exit %s) on %s", child.pid,
                        type(exc).__name__, code, name)
            raise ImageWorkFailed("the image worker stopped on this image") from None
        except _ChildTimeout:
            self.counts["failed"] += 1
            log.warning("image worker %s took more than %.0f s on %s: killed", child.pid, timeout, name)
            raise ImageWorkFailed("the image took too long to process") from None
        finally:
            self._release(child, retire)
        if reply[0] == "ok":
            return reply[1]
        if reply[0] == "refused":
            try:
                reason = DecodeFailure(reply[1])
            except ValueError:
                reason = DecodeFailure.CORRUPTED
            raise ImageDecodeError(reason, str(reply[2]) if len(reply) > 3 else "")
        self.counts["failed"] += 1
        log.warning("image worker %s failed on %s: %s", child.pid, name, reply[1] if len(reply) > 2 else "?")
        raise ImageWorkFailed(f"the image could not be processed ({reply[1] if len(reply) > 2 else '?'})")

    def warm(self, wait: float = START_TIMEOUT_S) -> None:
        """Wait until every child has loaded its libraries (a frame worker takes calls only then)."""
        children = []
        with self._cond:
            self._warming += 1
        try:
            for _ in range(self.size):
                children.append(self._acquire(wait))
            for child in children:
                child.wait_ready()
        except (_ChildGone, _ChildTimeout, PoolBusy, ImageWorkFailed, pickle.UnpicklingError, EOFError) as exc:
            log.warning("image workers did not all start: %s", type(exc).__name__)
        finally:  # one that did not start is replaced
            for child in children:
                self._release(child, retire=not child.ready)
            with self._cond:
                self._warming -= 1
                self._cond.notify_all()

    def child_pids(self) -> list[int]:
        with self._cond:
            return [c.pid for c in self._idle]

    def close(self) -> None:
        with self._cond:
            self._closed = True
            idle, self._idle = self._idle, []
            self._alive -= len(idle)
            self._cond.notify_all()
        for child in idle:
            child.kill()


_pool: ImagePool | None = None
_pool_lock = threading.Lock()


def get_pool() -> ImagePool:
    """This process's pool, made (and its children started) on first use, sized by the settings."""
    global _pool
    with _pool_lock:
        if _pool is None or _pool.pid != os.getpid():  # a forked process gets a pool of its own
            from identity_app.settings import get_settings

            s = get_settings()
            _pool = ImagePool(s.image_workers or os.cpu_count() or 1, s.image_worker_memory_mb)
            _pool.start()
        return _pool


def run(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """fn in this process's pool; frame work goes to the frame workers over Redis when the queue is
    there (frame_service.py), so any web process's frames are analysed wherever a core is free."""
    from identity_app import frame_service

    remote = frame_service.client()
    if remote is not None and remote.serves(fn):
        return remote.run(fn, *args, **kwargs)
    return get_pool().run(fn, *args, **kwargs)


def shutdown() -> None:
    global _pool
    with _pool_lock:
        pool, _pool = _pool, None
    if pool is not None and pool.pid == os.getpid():
        pool.close()


atexit.register(shutdown)


# ------------------------------------------------------------------ child side


def _send(fd: int, message: Any) -> None:
    data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    view = memoryview(_LENGTH.pack(len(data)) + data)
    while view:
        view = view[os.write(fd, view):]


def _recv_blocking(fd: int, size: int) -> bytes | None:
    buf = bytearray()
    while len(buf) < size:
        chunk = os.read(fd, min(size - len(buf), 1 << 20))
        if not chunk:
            return None
        buf += chunk
    return bytes(buf)


def _stats() -> dict:
    return {"rss_kb": _status_kb("VmRSS"), "hwm_kb": _status_kb("VmHWM")}


def _leave_with_parent() -> None:
    """Out of the parent's process group, a child would outlive a parent killed mid-task: it exits
    within a second of the parent's end (an idle one also sees its pipe close)."""
    parent = os.getppid()

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1.0)
        os._exit(0)

    threading.Thread(target=watch, daemon=True, name="parent-watch").start()


def _child_main(memory_mb: int) -> None:
    import resource

    _leave_with_parent()
    out_fd = os.dup(1)
    os.dup2(2, 1)  # a library printing to stdout must not corrupt the answers
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C in a terminal reaches the whole group: the parent decides

    from identity_app.checks import image_work
    from identity_app.checks.image_io import ImageDecodeError

    image_work.warm_up()
    if memory_mb > 0:
        limit = (_status_kb("VmSize") + memory_mb * 1024) * 1024
        _, hard = resource.getrlimit(resource.RLIMIT_AS)
        resource.setrlimit(resource.RLIMIT_AS, (limit if hard == resource.RLIM_INFINITY else min(limit, hard), hard))
    _send(out_fd, ("ready", os.getpid(), _status_kb("VmRSS")))
    while True:
        head = _recv_blocking(0, _LENGTH.size)
        if head is None:
            return  # the parent closed the pipe or died: nothing more to do
        body = _recv_blocking(0, _LENGTH.unpack(head)[0])
        if body is None:
            return
        fail = False
        try:
            module, name, args, kwargs = pickle.loads(body)
            if not module.startswith(ALLOWED_PREFIX):
                raise ValueError(f"{module} is not allowed")
            fn = getattr(importlib.import_module(module), name)
            reply: tuple = ("ok", fn(*args, **kwargs))
            del body, args, kwargs
        except ImageDecodeError as exc:
            reply = ("refused", exc.reason.value, exc.detail)
        except MemoryError:
            reply, fail = ("failed", "MemoryError", ""), True
        except Exception as exc:  # noqa: BLE001 - any decoder error refuses this image, then a fresh child
            reply, fail = ("failed", type(exc).__name__, str(exc)[:200]), True
        try:
            _send(out_fd, reply + (_stats(),))
        except MemoryError:
            _send(out_fd, ("failed", "MemoryError", "", _stats()))
            fail = True
        if fail:
            return  # the parent replaces this child: whatever the failure left behind goes with it


if __name__ == "__main__":
    _child_main(int(sys.argv[1]) if len(sys.argv) > 1 else 0)
