"""The day-2 operations on the app as `make run` starts it (migrate, then the supervisor with the
web server and the check worker), with IDV_LOG_FORMAT=json: /api/ready and /metrics answer on the
app's one port (metrics to loopback, refused to a forwarded request), a capture refusal is counted,
and every line the supervisor, Reflex, granian, the huey consumer and the native libraries print is
one JSON object.

    .venv/bin/python -m pytest -s tests/browser/test_operations_live.py
"""
from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import time
import urllib.error
import urllib.request

from tests.browser.conftest import ROOT, app_env, free_port

PYTHON = str(ROOT / ".venv/bin/python")


def _get(url: str, headers: dict | None = None) -> tuple[int, str, str]:
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers or {}), timeout=15) as r:
            return r.status, r.headers.get("content-type", ""), r.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers.get("content-type", ""), exc.read().decode()


def test_ready_metrics_and_json_logs_on_the_running_app(tmp_path):
    port = free_port()
    env = {**app_env(tmp_path, port), "IDV_LOG_FORMAT": "json"}
    subprocess.run([PYTHON, "-m", "identity_app.cli", "migrate"], cwd=ROOT, env=env, check=True,
                   capture_output=True, timeout=120)
    out, err = tmp_path / "stdout.log", tmp_path / "stderr.log"
    started = time.monotonic()
    proc = subprocess.Popen([PYTHON, "-m", "identity_app.supervisor", "--port", str(port)], cwd=ROOT, env=env,
                            stdout=out.open("wb"), stderr=err.open("wb"), start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        while _get_ok(url + "/api/health") is False:
            assert proc.poll() is None and time.monotonic() - started < 600, err.read_text()[-3000:]
            time.sleep(0.5)
        status, _, body = _get(url + "/api/ready")
        assert status == 200 and json.loads(body)["status"] == "ready", body
        status, kind, body = _get(url + "/metrics")
        assert status == 200 and kind.startswith("text/plain; version=0.0.4"), body
        assert 'idv_sessions{state="ONGOING"} 0' in body and "idv_queue_depth " in body
        assert _get(url + "/metrics", {"X-Forwarded-For": "203.0.113.9"})[0] == 403
        refused = urllib.request.Request(url + "/api/capture/not-a-link/liveness", method="POST")
        assert _get_status(refused) == 422
        assert 'idv_capture_refusals_total{code="LINK_CLOSED"}' in _get(url + "/metrics")[2]
        time.sleep(2)  # the worker's processes load their models and say so
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
        shutil.rmtree(tmp_path / "web", ignore_errors=True)  # its frontend build: 160 MB
    lines = [line for f in (out, err) for line in f.read_text(errors="replace").splitlines() if line.strip()]
    entries = []
    for line in lines:
        entry = json.loads(line)  # every line, whoever printed it
        assert isinstance(entry, dict) and {"level", "logger", "message"} <= set(entry), line
        entries.append(entry)
    loggers = {e["logger"] for e in entries}
    assert {"identity_app.supervisor", "huey.consumer"} <= loggers, loggers
    assert any(name.startswith("reflex") for name in loggers), loggers
    assert any(e["message"] == "stopped" for e in entries)
    print(f"\n{len(entries)} log lines, all JSON, from {len(loggers)} loggers")


def _get_ok(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as r:
            return r.status == 200
    except OSError:
        return False


def _get_status(request: urllib.request.Request) -> int:
    try:
        with urllib.request.urlopen(request, timeout=15) as r:
            return r.status
    except urllib.error.HTTPError as exc:
        return exc.code
