"""The web process of an app under test, measured from outside (/proc): its resident memory,
its image pool's children, /api/health's answer time; and plain HTTP requests that may lie
about their length. Shared by the security tests."""
from __future__ import annotations

import http.client
import json
import os
import threading
import time
import urllib.parse

# The web process may grow by at most this much above its resting size while under attack, and must
# come back within AFTER_SLACK_MB of it. (Before: 918 MB -> 6.3 GB under four 69-byte PNGs, never returned.)
WEB_PEAK_LIMIT_MB = 120
AFTER_SLACK_MB = 40


# ------------------------------------------------------------------ the processes


def _ppid_and_cmd(pid: int) -> tuple[int, str]:
    with open(f"/proc/{pid}/stat") as f:
        ppid = int(f.read().rsplit(") ", 1)[1].split()[1])
    with open(f"/proc/{pid}/cmdline", "rb") as f:
        return ppid, f.read().replace(b"\0", b" ").decode(errors="replace")


def _processes() -> dict[int, tuple[int, str]]:
    out = {}
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                out[int(name)] = _ppid_and_cmd(int(name))
            except (FileNotFoundError, ProcessLookupError, IndexError):
                pass
    return out


def _descends(pid: int, root: int, procs: dict[int, tuple[int, str]]) -> bool:
    while pid in procs and pid > 1:
        if pid == root:
            return True
        pid = procs[pid][0]
    return pid == root


def rss_mb(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except FileNotFoundError:
        pass
    return 0.0


class WebProcess:
    """granian's worker serving the app: the deepest web server process under the app, `reflex run` or
    the prebuilt frontend's `prebuilt.py serve` (the image pool's children are its children)."""

    def __init__(self, app) -> None:
        procs = _processes()
        reflex = [p for p, (pp, cmd) in procs.items()
                  if ("reflex run" in cmd or "prebuilt.py serve" in cmd) and _descends(p, app.proc.pid, procs)]
        workers = [p for p in reflex if not any(procs[q][0] == p for q in reflex)]
        assert len(workers) == 1, (reflex, workers)
        self.pid = workers[0]

    def rss(self) -> float:
        return rss_mb(self.pid)

    def children(self) -> list[int]:
        return [p for p, (pp, cmd) in _processes().items() if pp == self.pid and "identity_app.image_pool" in cmd]

    def children_rss(self) -> list[float]:
        return [rss_mb(c) for c in self.children()]


class Sampler:
    """Peak RSS of the web process and of its largest image child, and /api/health's slowest answer."""

    def __init__(self, web: WebProcess, url: str) -> None:
        self.web, self.url = web, url
        self.peak = self.child_peak = self.health_max = 0.0
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._memory, daemon=True),
                         threading.Thread(target=self._health, daemon=True)]

    def _memory(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, self.web.rss())
            self.child_peak = max([self.child_peak, *self.web.children_rss()])
            time.sleep(0.02)

    def _health(self) -> None:
        while not self._stop.is_set():
            t0 = time.monotonic()
            status, _ = request(self.url, "GET", "/api/health")
            assert status == 200
            self.health_max = max(self.health_max, time.monotonic() - t0)
            time.sleep(0.1)

    def __enter__(self) -> "Sampler":
        for t in self._threads:
            t.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        for t in self._threads:
            t.join(timeout=10)



# ------------------------------------------------------------------ HTTP


def request(url: str, method: str, path: str, body: bytes = b"", headers: dict | None = None,
            declared_length: int | None = None) -> tuple[int, dict | None]:
    parsed = urllib.parse.urlparse(url)
    conn = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=120)
    try:
        conn.putrequest(method, path, skip_accept_encoding=True)
        hdrs = {"Content-Type": "application/octet-stream", **(headers or {})}
        for k, v in hdrs.items():
            conn.putheader(k, v)
        if method == "POST":
            conn.putheader("Content-Length", str(len(body) if declared_length is None else declared_length))
        conn.endheaders()
        if body:
            try:
                conn.send(body)
            except (BrokenPipeError, ConnectionResetError):
                pass  # refused before the whole body was read: the answer is still there
        resp = conn.getresponse()
        raw = resp.read()
        try:
            return resp.status, json.loads(raw)
        except ValueError:
            return resp.status, None
    finally:
        conn.close()


def post(url: str, path: str, body: bytes, **kw) -> tuple[int, dict | None]:
    return request(url, "POST", path, body, **kw)



def settle(web: WebProcess, seconds: float = 2.0) -> float:
    time.sleep(seconds)
    return web.rss()


