"""Image children run in a session of their own (their own CPU share where the kernel groups by session)
and still end with the web process that started them, even one killed mid-work (image_pool._leave_with_parent)."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # starts image processes

ROOT = Path(__file__).resolve().parents[2]
PARENT = """
import sys, time
from identity_app import image_pool
pool = image_pool.ImagePool(1, 0)
pool.start()
print(pool.child_pids()[0], flush=True)
time.sleep(600)
"""


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def test_a_child_has_a_session_of_its_own_and_exits_when_its_parent_is_killed():
    parent = subprocess.Popen([sys.executable, "-c", PARENT], cwd=ROOT, stdout=subprocess.PIPE, text=True,
                              env={**os.environ, "PYTHONPATH": str(ROOT)})
    try:
        child = int(parent.stdout.readline())
        assert _alive(child)
        assert os.getsid(child) == child != os.getsid(parent.pid)  # its own session, not the parent's
        os.kill(parent.pid, signal.SIGKILL)  # no clean shutdown: the child must notice by itself
        parent.wait(30)
        deadline = time.monotonic() + 120  # generous: the machine may be busy; what matters is that it ends
        while _alive(child) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not _alive(child)
    finally:
        if parent.poll() is None:
            parent.kill()
