"""Log output: plain text lines (the default) or, with IDV_LOG_FORMAT=json, one JSON object per line
with exactly time, level, logger and message (and exception, a traceback, when there is one), for a
log collector. Standard library only: the supervisor uses it too.

No record attribute beyond those is written (a record's `extra` and arguments never become fields),
and as a last guard e-mail addresses in the message or traceback are replaced by [email]: log
messages name ids, never people (CONTRIBUTING.md), and this keeps a slip out of the collector.
"""
from __future__ import annotations

import json
import os
import logging
import re
import sys
import threading
from datetime import datetime, timezone
from typing import IO

TEXT_FORMAT = "%(asctime)s %(name)s %(levelname)s %(message)s"
EMAIL = re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+")


def scrub(text: str) -> str:
    return EMAIL.sub("[email]", text)


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, tz=timezone.utc).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": scrub(record.getMessage()),
        }
        if record.exc_info and record.exc_info[0] is not None:
            entry["exception"] = scrub(self.formatException(record.exc_info))
        return json.dumps(entry, ensure_ascii=False, default=str)  # newlines inside are escaped: one line


def configure(level: str = "INFO", fmt: str = "text", stream: IO[str] | None = None) -> None:
    """The root logger's one handler, in the chosen format (replacing any handler set before)."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter() if fmt == "json" else logging.Formatter(TEXT_FORMAT))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level if level in ("DEBUG", "INFO", "WARNING", "ERROR") else "INFO")


def huey_consumer_to_root() -> None:
    """The huey consumer gives the 'huey' logger a text handler of its own once it has imported the
    app (huey/bin/huey_consumer.py); in JSON mode its records go to the root handler instead, so
    every line of the worker is JSON and none is written twice."""
    from huey import consumer_options

    def setup_logger(self, logger=None):  # type: ignore[no-untyped-def]
        (logger or logging.getLogger()).setLevel(self.loglevel)

    consumer_options.ConsumerConfig.setup_logger = setup_logger  # type: ignore[method-assign]


def env_value(name: str, default: str, env_file: str = ".env") -> str:
    """A setting for the stdlib-only supervisor: the environment first, then .env, as the settings read them."""
    if name in os.environ:
        return os.environ[name]
    try:
        with open(env_file, encoding="utf-8") as fh:
            for line in fh:
                key, sep, value = line.strip().partition("=")
                if sep and key.strip() == name:
                    return value.strip().strip("'\"")
    except OSError:
        pass
    return default


def configure_from_env() -> None:
    """The supervisor's logging: IDV_LOG_LEVEL and IDV_LOG_FORMAT from the environment or .env."""
    configure(env_value("IDV_LOG_LEVEL", "INFO").upper(), env_value("IDV_LOG_FORMAT", "text"))


_RELAY_LOCK = threading.Lock()
_RAW_LEVEL = ((re.compile(r"^(E|F)\d{4} |^(ERROR|FATAL|CRITICAL)\b|^Traceback "), "ERROR"),
              (re.compile(r"^W\d{4} |^WARNING\b"), "WARNING"))


def as_json_line(line: str, logger: str) -> str:
    """A line a child process printed, as one JSON line: kept if it already is a JSON log record
    (ours, Reflex's), otherwise wrapped (native libraries such as TensorFlow Lite write to the
    descriptor directly, past Python's logging)."""
    text = line.rstrip("\r\n")
    try:
        if isinstance(json.loads(text), dict):
            return text
    except ValueError:
        pass
    level = next((name for pattern, name in _RAW_LEVEL if pattern.search(text)), "INFO")
    return json.dumps({"time": datetime.now(timezone.utc).isoformat(timespec="milliseconds"), "level": level,
                       "logger": logger, "message": scrub(text)}, ensure_ascii=False)


def relay_as_json(source: IO[bytes], logger: str, out: IO[str] | None = None) -> None:
    """Copy a child's output to ours, line by line, as JSON lines, until the child's side closes."""
    out = out or sys.stdout
    for raw in iter(source.readline, b""):
        text = raw.decode("utf-8", errors="replace")
        if text.strip():
            with _RELAY_LOCK:  # one thread per child: whole lines, never interleaved
                out.write(as_json_line(text, logger) + "\n")
                out.flush()
    source.close()
