"""IDV_LOG_FORMAT=json: one JSON object per line with time, level, logger and message (exception
too when there is one), nothing else from the record, e-mail addresses scrubbed; in real processes:
the worker module as the huey consumer loads it (its own 'huey' handler replaced, no line twice),
the supervisor's settings from .env, and text stays the default."""
from __future__ import annotations

import io
import json
import logging
import os
import subprocess
import sys
from datetime import datetime
from pathlib import Path

from identity_app import logs

ROOT = Path(__file__).resolve().parents[2]


def _lines(text: str) -> list[dict]:
    out = []
    for line in text.splitlines():
        entry = json.loads(line)  # every line is one JSON object
        assert set(entry) <= {"time", "level", "logger", "message", "exception"}, entry
        assert {"time", "level", "logger", "message"} <= set(entry)
        assert datetime.fromisoformat(entry["time"]).utcoffset().total_seconds() == 0
        out.append(entry)
    return out


def test_records_become_one_object_per_line_without_extras_or_addresses():
    stream = io.StringIO()
    root = logging.getLogger()
    saved = (list(root.handlers), root.level)
    try:
        logs.configure("INFO", "json", stream)
        log = logging.getLogger("identity_app.test")
        log.info("session %d checked\nin %s", 42, "1.2 s", extra={"user_email": "ada@example.com"})
        log.debug("not at INFO")
        try:
            raise ValueError("no account for ada.lovelace@example.org")
        except ValueError:
            log.exception("sign-in failed for bob@example.com")
    finally:
        root.handlers[:], root.level = saved
    first, second = _lines(stream.getvalue())
    assert (first["level"], first["logger"], first["message"]) == ("INFO", "identity_app.test",
                                                                   "session 42 checked\nin 1.2 s")
    assert second["level"] == "ERROR" and second["message"] == "sign-in failed for [email]"
    assert "ValueError: no account for [email]" in second["exception"]
    assert "example" not in stream.getvalue()


def _run(code: str, tmp_path: Path, **env: str) -> subprocess.CompletedProcess:
    base = {"PATH": os.environ["PATH"], "PYTHONPATH": str(ROOT), "IDV_ENV": "test", "IDV_SECRET_KEY": "s" * 40,
            "IDV_DATA_DIR": str(tmp_path / "data"), "REFLEX_TELEMETRY_ENABLED": "false"}
    return subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env={**base, **env}, capture_output=True,
                          text=True, timeout=120)


CONSUMER = """
import logging
from huey.bin.huey_consumer import load_huey
from huey.consumer_options import ConsumerConfig
huey = load_huey("identity_app.worker.huey")              # what huey_consumer does, in its order
ConsumerConfig(workers=1).setup_logger(logging.getLogger("huey"))
logging.getLogger("huey.consumer").info("Huey consumer started with 1 process")
logging.getLogger("identity_app.worker").warning("re-enqueued the checks of %d session(s)", 3)
"""


def test_the_worker_as_the_consumer_loads_it_logs_json_only_once_a_line(tmp_path):
    done = _run(CONSUMER, tmp_path, IDV_LOG_FORMAT="json")
    assert done.returncode == 0, done.stderr
    entries = _lines(done.stderr)
    assert [(e["logger"], e["message"]) for e in entries] == [
        ("huey.consumer", "Huey consumer started with 1 process"),
        ("identity_app.worker", "re-enqueued the checks of 3 session(s)")]
    text = _run(CONSUMER, tmp_path)  # the default: huey's own text lines, as before
    assert "INFO:huey.consumer" in text.stderr and not text.stderr.lstrip().startswith("{")


def test_the_supervisor_reads_the_format_from_dotenv_like_the_settings(tmp_path):
    (tmp_path / ".env").write_text("IDV_LOG_FORMAT=json\nIDV_LOG_LEVEL=warning\n")
    code = ("from identity_app import logs; import logging\n"
            "logs.configure_from_env()\n"
            "logging.getLogger('identity_app.supervisor').info('hidden at WARNING')\n"
            "logging.getLogger('identity_app.supervisor').warning('web (pid 812) exited with code 1')")
    entries = _lines(_run(code, tmp_path).stderr)
    assert [e["message"] for e in entries] == ["web (pid 812) exited with code 1"]
    assert _run(code, tmp_path, IDV_LOG_FORMAT="text").stderr.split(" ", 3)[2:3] == ["identity_app.supervisor"]


def test_a_childs_raw_lines_are_wrapped_and_json_records_pass_through():
    native = "W0000 00:00:1795995866.751568   28373 inference_feedback_manager.cc:114] Feedback manager ..."
    wrapped = json.loads(logs.as_json_line(native + "\n", "worker.output"))
    assert (wrapped["level"], wrapped["logger"], wrapped["message"]) == ("WARNING", "worker.output", native)
    assert json.loads(logs.as_json_line("Traceback (most recent call last):", "web.output"))["level"] == "ERROR"
    assert json.loads(logs.as_json_line("mail for ada@example.com", "web.output"))["message"] == "mail for [email]"
    reflex = '{"timestamp": "2026-11-29T23:44:19+00:00", "level": "info", "logger": "reflex", "message": "ok"}'
    assert logs.as_json_line(reflex + "\n", "web.output") == reflex
    out = io.StringIO()
    logs.relay_as_json(io.BytesIO(b"INFO: Created TensorFlow Lite XNNPACK delegate for CPU.\n\n" + reflex.encode()
                                  + b"\n"), "worker.output", out)
    assert [json.loads(line)["message"] for line in out.getvalue().splitlines()] == [
        "INFO: Created TensorFlow Lite XNNPACK delegate for CPU.", "ok"]
