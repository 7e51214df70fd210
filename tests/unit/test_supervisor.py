"""The supervisor with real (small) processes: restarts with a growing back-off,
clears a dead process's group, and stops every process of every group.
The app itself under the supervisor: tests/browser/test_supervision.py."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

from identity_app import supervisor as sv

pytestmark = pytest.mark.slow  # not in the fast tier: starts and kills processes


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie (exited, not yet reaped by its parent) counts as gone
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def test_the_backoff_grows_and_is_capped():
    assert [sv.backoff(n) for n in (1, 2, 3, 4, 5, 6, 7, 8)] == [1, 2, 4, 8, 16, 32, 60, 60]


def test_a_process_that_keeps_dying_is_restarted_ever_more_slowly(monkeypatch, caplog):
    monkeypatch.setattr(sv, "BACKOFF_FIRST_S", 0.2)
    crashing = sv.Child("crashing", [sys.executable, "-c", "import sys; sys.exit(3)"])
    sup = sv.Supervisor([crashing])
    starts = []
    real_start = sup.start

    def start(child):
        starts.append(time.monotonic())
        real_start(child)

    sup.start = start  # type: ignore[method-assign]
    sup.start(crashing)
    deadline = time.monotonic() + 15
    while len(starts) < 5 and time.monotonic() < deadline:
        sup.step()
        time.sleep(0.02)
    sup.stop()
    gaps = [b - a for a, b in zip(starts, starts[1:])]
    assert len(gaps) == 4, gaps
    # 0.2, 0.4, 0.8, 1.6 s after each exit (plus the exit itself): never a hot loop.
    for gap, wait in zip(gaps, (0.2, 0.4, 0.8, 1.6)):
        assert wait <= gap < wait + 1.0, gaps
    assert "crashing (pid" in caplog.text and "exited with code 3" in caplog.text


def test_a_dead_process_group_is_cleared_before_the_restart_and_stop_ends_every_group(monkeypatch, tmp_path):
    monkeypatch.setattr(sv, "BACKOFF_FIRST_S", 0.1)
    pids = tmp_path / "pids"
    # A parent that starts a grandchild (like granian and its worker) and writes both pids.
    script = ("import os, subprocess, sys, time\n"
              "g = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(600)'])\n"
              f"open({str(pids)!r}, 'a').write(f'{{os.getpid()}} {{g.pid}}\\n')\n"
              "time.sleep(600)\n")
    child = sv.Child("web", [sys.executable, "-c", script])
    other = sv.Child("worker", [sys.executable, "-c", "import time; time.sleep(600)"])
    sup = sv.Supervisor([child, other])

    def pid_lines() -> list[tuple[int, int]]:
        return [tuple(map(int, line.split())) for line in pids.read_text().splitlines()] if pids.exists() else []

    def wait_for(cond, timeout=20.0):
        deadline = time.monotonic() + timeout
        while not cond():
            assert time.monotonic() < deadline
            time.sleep(0.05)

    # run() installs signal handlers, which only the main thread may: drive it by steps instead.
    for c in sup.children:
        sup.start(c)
    wait_for(lambda: len(pid_lines()) == 1)
    parent, grandchild = pid_lines()[0]
    os.kill(parent, signal.SIGKILL)  # the parent dies; its grandchild would live on, holding the port
    wait_for(lambda: (sup.step() or True) and len(pid_lines()) == 2)
    assert not alive(grandchild) and not alive(parent)
    new_parent, new_grandchild = pid_lines()[1]
    worker_pid = other.pid
    assert worker_pid is not None and alive(worker_pid)
    assert child.restarts == 1 and other.restarts == 0
    sup.stop()
    assert not any(alive(p) for p in (new_parent, new_grandchild, worker_pid))


@pytest.mark.timeout(60)
def test_sigterm_stops_the_supervisor_and_everything_it_started(tmp_path):
    code = ("import logging, sys, time\n"
            "from identity_app import supervisor as sv\n"
            "logging.basicConfig(level='INFO')\n"
            "kids = [sv.Child('a', ['sh', '-c', 'sleep 600 & sleep 600']),\n"
            "        sv.Child('b', [sys.executable, '-c', 'import time; time.sleep(600)'])]\n"
            "sys.exit(sv.Supervisor(kids).run())\n")
    proc = subprocess.Popen([sys.executable, "-c", code], stderr=subprocess.PIPE, text=True)
    time.sleep(1.5)
    kids = [int(line.split()[0]) for line in subprocess.run(
        ["ps", "-o", "pid=", "--ppid", str(proc.pid)], capture_output=True, text=True).stdout.split()]
    assert len(kids) == 2
    groups = {os.getpgid(k) for k in kids}
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=30) == 0
    for pgid in groups:  # nothing of either group runs (the sh's background sleep included)
        assert not sv._group_alive(pgid)
    assert "received SIGTERM: stopping" in proc.stderr.read()


@pytest.mark.timeout(60)
def test_killing_the_supervisor_stops_what_it_started(tmp_path):
    code = ("import sys\n"
            "from identity_app import supervisor as sv\n"
            "kids = [sv.Child('a', [sys.executable, '-c', 'import time; time.sleep(600)'])]\n"
            "sys.exit(sv.Supervisor(kids).run())\n")
    proc = subprocess.Popen([sys.executable, "-c", code])
    deadline = time.monotonic() + 20
    kids: list[int] = []
    while not kids and time.monotonic() < deadline:
        time.sleep(0.1)
        kids = [int(p) for p in subprocess.run(["ps", "-o", "pid=", "--ppid", str(proc.pid)],
                                               capture_output=True, text=True).stdout.split()]
    assert len(kids) == 1
    proc.kill()
    proc.wait(timeout=10)
    deadline = time.monotonic() + 10
    while alive(kids[0]) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not alive(kids[0])
