"""Keep the web server and the check worker running: `python -m identity_app.supervisor`.

`make run` (scripts/run.sh) starts this after the migrations. It starts

- web:    `reflex run --env prod --single-port --frontend-port $IDV_PORT`
          (granian in that process, its worker process serving HTTP), and
- worker: `python -m identity_app.worker` (the Huey consumer and its 2 processes),

each in its own process group, and restarts whichever exits while it is not
being stopped: granian exits as soon as its worker process dies (Reflex does
not ask it to respawn workers), and the consumer may be killed. Before a
restart the whole group of the dead process is killed (no orphan keeps the
port or a queue lock). Restarts back off: 1 s after the first exit, then 2, 4,
... up to 60 s while the process keeps dying within a minute of its start; a
process that ran a minute or more starts again after 1 s. Every exit and
restart is a log line.

SIGTERM or SIGINT stops both: SIGTERM to each group, SIGKILL to what is left
after STOP_TIMEOUT_S; the supervisor then exits 0. Should the supervisor itself
be killed, both get SIGTERM from the kernel (Linux) and stop. The supervisor runs with
umask 077, so nothing its processes create is readable by other accounts.
Standard library only.
"""
from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

log = logging.getLogger("identity_app.supervisor")

BACKOFF_FIRST_S = 1.0
BACKOFF_MAX_S = 60.0
STABLE_AFTER_S = 60.0  # a process that ran this long starts again after BACKOFF_FIRST_S
STOP_TIMEOUT_S = 20.0
# After an unexpected exit, what is left of the group gets this long after SIGTERM, then SIGKILL
# (Huey's worker processes wait for their dead consumer's stop flag and never exit by themselves).
REAP_GRACE_S = 2.0
POLL_S = 0.2


@dataclass
class Child:
    name: str
    argv: list[str]
    proc: subprocess.Popen | None = None
    started_at: float = 0.0
    quick_exits: int = 0  # consecutive exits within STABLE_AFTER_S of the start
    restart_at: float | None = None
    restarts: int = 0
    log_lines: list[str] = field(default_factory=list)

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc is not None else None


def default_children(port: str) -> list[Child]:
    bindir = Path(sys.executable).parent
    reflex = str(bindir / "reflex") if (bindir / "reflex").exists() else "reflex"
    return [
        Child("web", [reflex, "run", "--env", "prod", "--single-port", "--frontend-port", port]),
        Child("worker", [sys.executable, "-m", "identity_app.worker"]),
    ]


def backoff(quick_exits: int) -> float:
    return min(BACKOFF_MAX_S, BACKOFF_FIRST_S * 2 ** max(0, quick_exits - 1))


def _kill_group(pgid: int, sig: int) -> None:
    try:
        os.killpg(pgid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def _group_alive(pgid: int) -> bool:
    """Whether a process of the group still runs (zombies, which hold nothing, do not count)."""
    if not os.path.isdir("/proc/self"):
        try:
            os.killpg(pgid, 0)
            return True
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[2]) == pgid and fields[0] != "Z":
            return True
    return False


def _become_subreaper() -> None:
    """Linux: processes orphaned under us (a killed granian's worker, say) become our children,
    so we reap them, even where the container's PID 1 reaps nothing."""
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER
    except (OSError, AttributeError):
        pass


def _stop_with_parent() -> None:
    """In the child before exec (Linux): SIGTERM when the supervisor dies, even by SIGKILL, so
    nothing runs on unsupervised (granian and the consumer stop their own workers on SIGTERM)."""
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM, 0, 0, 0)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def _reap_orphans(direct: set[int]) -> None:
    """Collect exited processes that are not our direct children (Popen keeps those' codes)."""
    while True:
        try:
            info = os.waitid(os.P_ALL, 0, os.WEXITED | os.WNOHANG | os.WNOWAIT)
        except ChildProcessError:
            return
        if info is None or info.si_pid in direct:
            return
        try:
            os.waitpid(info.si_pid, os.WNOHANG)
        except ChildProcessError:
            pass


class Supervisor:
    def __init__(self, children: list[Child], json_output: bool = False) -> None:
        self.children = children
        self.stopping = False
        # IDV_LOG_FORMAT=json: the children's output passes through us and every line leaves as JSON.
        self.json_output = json_output

    def start(self, child: Child) -> None:
        # Own session and process group: a signal to the group reaches granian's and Huey's
        # worker processes too, and a terminal's Ctrl-C reaches only the supervisor, which forwards it.
        piped = {"stdout": subprocess.PIPE, "stderr": subprocess.STDOUT} if self.json_output else {}
        child.proc = subprocess.Popen(child.argv, start_new_session=True, preexec_fn=_stop_with_parent,
                                      **piped)  # type: ignore[call-overload]
        if self.json_output:
            from identity_app import logs

            threading.Thread(target=logs.relay_as_json, args=(child.proc.stdout, f"{child.name}.output"),
                             daemon=True).start()
        child.started_at = time.monotonic()
        child.restart_at = None
        log.info("started %s (pid %d)", child.name, child.proc.pid)

    def _reap(self, child: Child) -> None:
        """The child exited: clear its group and schedule its restart."""
        assert child.proc is not None
        code = child.proc.returncode
        pgid = child.proc.pid
        ran = time.monotonic() - child.started_at
        # Anything left in its group (granian's worker, Huey's processes) goes with it.
        _kill_group(pgid, signal.SIGTERM)
        deadline = time.monotonic() + REAP_GRACE_S
        while _group_alive(pgid) and time.monotonic() < deadline:
            _reap_orphans(self._direct())
            time.sleep(0.05)
        _kill_group(pgid, signal.SIGKILL)
        child.proc = None
        child.quick_exits = child.quick_exits + 1 if ran < STABLE_AFTER_S else 1
        delay = backoff(child.quick_exits)
        child.restart_at = time.monotonic() + delay
        child.restarts += 1
        log.warning("%s (pid %d) exited with %s after %.1f s; restarting it in %.0f s (restart %d)",
                    child.name, pgid, _describe(code), ran, delay, child.restarts)

    def _direct(self) -> set[int]:
        return {c.proc.pid for c in self.children if c.proc is not None}

    def step(self) -> None:
        _reap_orphans(self._direct())
        now = time.monotonic()
        for child in self.children:
            if child.proc is not None and child.proc.poll() is not None:
                self._reap(child)
            elif child.proc is None and child.restart_at is not None and now >= child.restart_at:
                self.start(child)

    def stop(self) -> None:
        self.stopping = True
        running = [c for c in self.children if c.proc is not None]
        for child in running:
            assert child.proc is not None
            log.info("stopping %s (pid %d)", child.name, child.proc.pid)
            _kill_group(child.proc.pid, signal.SIGTERM)
        deadline = time.monotonic() + STOP_TIMEOUT_S
        for child in running:
            assert child.proc is not None
            try:
                child.proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                log.warning("%s did not stop within %.0f s: killing it", child.name, STOP_TIMEOUT_S)
        for child in running:
            assert child.proc is not None
            pgid = child.proc.pid
            while _group_alive(pgid) and time.monotonic() < deadline:
                _reap_orphans(self._direct())
                time.sleep(0.05)
            _kill_group(pgid, signal.SIGKILL)  # whatever of the group is left
            try:
                child.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                pass
            child.proc = None
        _reap_orphans(self._direct())  # the killed groups' orphans, as we are their subreaper

    def run(self) -> int:
        stop_signal: list[int] = []

        def _on_signal(signum: int, _frame: object) -> None:
            stop_signal.append(signum)

        signal.signal(signal.SIGTERM, _on_signal)
        signal.signal(signal.SIGINT, _on_signal)
        _become_subreaper()
        for child in self.children:
            self.start(child)
        while not stop_signal:
            self.step()
            time.sleep(POLL_S)
        log.info("received %s: stopping", signal.Signals(stop_signal[0]).name)
        self.stop()
        log.info("stopped")
        return 0


def _describe(code: int | None) -> str:
    if code is not None and code < 0:
        try:
            return f"signal {signal.Signals(-code).name}"
        except ValueError:
            return f"signal {-code}"
    return f"code {code}"


def main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(prog="python -m identity_app.supervisor", description=__doc__.split("\n")[0])
    parser.add_argument("--port", default=os.environ.get("IDV_PORT", "3000"), help="the app's one port")
    args = parser.parse_args(argv)
    os.umask(0o077)
    from identity_app import logs  # standard library only, as this module

    logs.configure_from_env()
    json_output = logs.env_value("IDV_LOG_FORMAT", "text") == "json"
    return Supervisor(default_children(str(args.port)), json_output=json_output).run()


if __name__ == "__main__":
    sys.exit(main())
