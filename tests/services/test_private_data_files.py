"""The data folder is private to the account running the app (issue 9, finding 11):
every folder 0700, every file 0600, created that way under the usual umask 022
(real processes: migrate, a session with media, an outbox email, a worker job),
and an older install is fixed at start. The check queue holds ids, never text."""
from __future__ import annotations

import json
import os
import secrets
import sqlite3
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT, shared_data

pytestmark = pytest.mark.slow  # not in the fast tier: starts processes under another umask

SCRIPT = r"""
import json, os, stat, sys
from pathlib import Path
from sqlmodel import select
from identity_app.db import get_engine, session_scope
from identity_app.models import Resource
from identity_app.services.capture import flow as capture
from identity_app.services.mailer import send_email
from identity_app.settings import get_settings
from identity_app.storage import get_media_store
from identity_app import worker
from tests import capture_media as cm, seed

store = get_media_store()
with session_scope() as db:
    owner = seed.owner(db)
    app_id = seed.application(db, owner)
with session_scope() as db:
    created = seed.created_session(db, owner, app_id, "Pia Private", "pia@example.org", "REF-P")
    capture.open_link(db, token=created.token)
    capture.give_consent(db, token=created.token)
    doc = capture.store_document_image(db, store, token=created.token, data=cm.jpeg(cm.document_frame(), 95))
send_email("pia@example.org", "Your link", "Hello Pia", tag=f"session-{created.id}")
worker.enqueue_document_reading(doc.resource_id)     # a job through the real queue file
task = worker.huey.dequeue()
worker.huey.execute(task)                            # run as the consumer runs it
with session_scope() as db:
    assert db.exec(select(Resource)).all()
modes = {}
root = get_settings().data_dir
for folder, dirs, files in os.walk(root):
    for name in dirs + files:
        p = Path(folder, name)
        modes[str(p.relative_to(root))] = oct(stat.S_IMODE(p.lstat().st_mode))
modes["."] = oct(stat.S_IMODE(root.stat().st_mode))
print("MODES " + json.dumps(modes))
"""


def app_env(data: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("IDV_")}
    env.update({"IDV_ENV": "test", "IDV_SECRET_KEY": secrets.token_urlsafe(48), "IDV_DATA_DIR": str(data),
                "OMP_THREAD_LIMIT": "1"})
    return env


def run(args: list[str], env: dict[str, str]) -> str:
    # umask 022: what a shell usually gives, under which files would be 0644 and folders 0755.
    out = subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300,
                         preexec_fn=lambda: os.umask(0o022))
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    return out.stdout


def modes_under(root: Path) -> dict[str, str]:
    found = {".": oct(stat.S_IMODE(root.stat().st_mode))}
    for folder, dirs, files in os.walk(root):
        for name in dirs + files:
            p = Path(folder, name)
            found[str(p.relative_to(root))] = oct(stat.S_IMODE(p.lstat().st_mode))
    return found


def assert_private(root: Path, modes: dict[str, str]) -> None:
    for rel, mode in modes.items():
        expected = "0o700" if (root / rel).is_dir() else "0o600"
        assert mode == expected, f"{rel} is {mode}, not {expected}"


def test_a_fresh_data_folder_is_created_private(tmp_path):
    shared_data("mrz-passporteye")
    data = tmp_path / "srv" / "data"  # its parent does not exist either
    env = app_env(data)
    run([sys.executable, "-m", "identity_app.cli", "migrate"], env)
    out = run([sys.executable, "-c", SCRIPT], env)
    live = json.loads(out.split("MODES ", 1)[1])  # while the database and queue were open
    for name in ("identity.db", "identity.db-wal", "identity.db-shm", "queue.db", "queue.db-wal", "queue.db-shm",
                 "media", "media/sessions", "outbox"):
        assert name in live, f"{name} missing: {sorted(live)}"
    assert any(k.startswith("media/sessions/") and not (data / k).is_dir() for k in live)  # a stored image
    assert any(k.endswith(".eml") for k in live)
    assert_private(data, live)
    assert_private(data, modes_under(data))
    assert oct(stat.S_IMODE((tmp_path / "srv").stat().st_mode)) == "0o700"


def test_an_older_install_is_made_private_at_start(tmp_path):
    data = tmp_path / "data"
    old = os.umask(0o022)
    try:
        (data / "media" / "sessions" / "3").mkdir(parents=True)
        (data / "media" / "sessions" / "3" / "abc").write_bytes(b"sealed")
        (data / "outbox").mkdir()
        (data / "outbox" / "session-3-x.eml").write_text("To: someone")
        with sqlite3.connect(data / "identity.db") as conn:
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("CREATE TABLE t (x)")
        conn.close()
    finally:
        os.umask(old)
    assert modes_under(data)["identity.db"] == "0o644" and modes_under(data)["."] == "0o755"
    out = run([sys.executable, "-m", "identity_app.cli", "migrate"], app_env(data))
    assert "private to this account" in out
    assert_private(data, modes_under(data))


def test_the_check_queue_keeps_ids_and_no_error_text(tmp_path):
    """Jobs carry ids; a failed job's exception text (which could quote a row) is not stored."""
    from huey import SqliteHuey

    from identity_app.settings import Settings
    from identity_app.worker import make_huey

    huey = make_huey(Settings(data_dir=tmp_path, queue_url=""))
    assert isinstance(huey, SqliteHuey) and huey.results is False

    @huey.task()
    def fails(session_id: int) -> None:
        raise ValueError(f"row of session {session_id}: quentin.quietly@example.org")

    fails(4242)
    huey.execute(huey.dequeue())
    blob = b"".join(p.read_bytes() for p in tmp_path.glob("queue.db*"))
    assert b"quentin.quietly" not in blob and huey.storage.result_store_size() == 0
