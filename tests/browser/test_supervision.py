"""A crash does not take the app down (issue 9, finding 6): the app as `make run`
starts it (migrate, then `python -m identity_app.supervisor`), the granian worker
serving HTTP killed with SIGKILL, then the check worker: /api/health answers
again, a job enqueued after the kill is taken, and SIGTERM stops everything.
Prints the measured recovery times (README, "What happens on a crash"):

    .venv/bin/python -m pytest -s tests/browser/test_supervision.py
"""
from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

from identity_app.supervisor import _group_alive
from tests.browser.conftest import ROOT, app_env, free_port

PYTHON = str(ROOT / ".venv/bin/python")


def children(pid: int) -> list[int]:
    out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(pid)], capture_output=True, text=True).stdout
    return [int(p) for p in out.split()]


def cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except FileNotFoundError:
        return ""


def running(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(url + "/api/health", timeout=2) as r:
            return r.status == 200
    except OSError:
        return False


def wait_until(cond, timeout: float, what: str) -> float:
    start = time.monotonic()
    while not cond():
        if time.monotonic() - start > timeout:
            raise AssertionError(f"{what}: not within {timeout:.0f} s")
        time.sleep(0.1)
    return time.monotonic() - start


def supervised(sup: int) -> dict[str, int]:
    found = {}
    for pid in children(sup):
        cmd = cmdline(pid)
        if "reflex run" in cmd or cmd.startswith(str(ROOT / ".venv/bin/reflex")):
            found["web"] = pid
        elif "huey_consumer" in cmd or "identity_app.worker" in cmd:
            found["worker"] = pid
    return found


def queued_jobs(data: Path) -> int:
    with sqlite3.connect(data / "queue.db", timeout=10) as conn:
        return conn.execute("SELECT COUNT(*) FROM task WHERE queue = 'identity-checks'").fetchone()[0]


@pytest.fixture
def app(tmp_path):
    port = free_port()
    env = app_env(tmp_path, port)
    subprocess.run([PYTHON, "-m", "identity_app.cli", "migrate"], cwd=ROOT, env=env, check=True,
                   capture_output=True, timeout=120)
    log = tmp_path / "supervisor.log"
    proc = subprocess.Popen([PYTHON, "-m", "identity_app.supervisor", "--port", str(port)], cwd=ROOT, env=env,
                            stdout=log.open("wb"), stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until(lambda: healthy(url) or proc.poll() is not None, 600, "the app starting")
        assert proc.poll() is None, log.read_text()[-4000:]
        yield proc, url, env, tmp_path / "data", log
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)


def test_the_app_comes_back_after_its_web_and_check_workers_are_killed(app):
    proc, url, env, data, log = app
    first = supervised(proc.pid)
    assert set(first) == {"web", "worker"}, first
    # Granian runs in the `reflex run` process; its worker process (a fork of it) serves HTTP.
    [granian_worker] = [p for p in children(first["web"]) if "resource_tracker" not in cmdline(p)]

    os.kill(granian_worker, signal.SIGKILL)
    killed = time.monotonic()
    wait_until(lambda: not healthy(url), 30, "the port going dark after the kill")
    wait_until(lambda: healthy(url), 180, "/api/health answering again")
    web_recovery = time.monotonic() - killed
    second = supervised(proc.pid)
    assert second["web"] != first["web"] and second["worker"] == first["worker"]
    assert not running(first["web"]) and not running(granian_worker)

    # The check worker: the consumer killed. Its worker processes, orphaned, go with it (they
    # would go on taking jobs unsupervised); then a job enqueued is taken by the new consumer.
    consumer_group = first["worker"]
    os.kill(first["worker"], signal.SIGKILL)
    killed = time.monotonic()
    wait_until(lambda: not _group_alive(consumer_group), 30, "the dead consumer's processes ending")
    subprocess.run([PYTHON, "-c", "from identity_app.worker import truncate_wal; truncate_wal()"], cwd=ROOT,
                   env=env, check=True, capture_output=True, timeout=60)
    assert queued_jobs(data) == 1
    wait_until(lambda: queued_jobs(data) == 0, 180, "a new consumer taking the job")
    worker_recovery = time.monotonic() - killed
    third = supervised(proc.pid)
    assert third["worker"] != first["worker"] and third["web"] == second["web"]
    text = log.read_text()
    assert "web (pid" in text and "exited with" in text and "restarting it in 1 s" in text
    assert f"worker (pid {first['worker']}) exited with signal SIGKILL" in text
    print(f"\nrecovered after kill -9: web (granian worker) {web_recovery:.1f} s to /api/health 200; "
          f"check worker {worker_recovery:.1f} s to a job taken")
    assert healthy(url)

    # Stopping: SIGTERM to the supervisor stops every process of both groups.
    groups = [third["web"], third["worker"]]
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=60) == 0
    assert not any(_group_alive(g) for g in groups)
    assert not healthy(url)
