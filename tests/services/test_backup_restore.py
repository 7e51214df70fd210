"""cli backup / restore: sessions with media backed up while a writer keeps committing new ones,
restored into a fresh data folder, and read back through the services; the refusals (a data folder
in use, a changed or unfinished backup, PostgreSQL)."""
from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from sqlmodel import Session, select

from identity_app.db import make_engine
from identity_app.migrations import upgrade
from identity_app.models import MediaKind, VerificationSession
from identity_app.services.capture.media import read_media, store_session_media
from identity_app.services.operations import backup
from identity_app.services.sessions import links
from identity_app.services.sessions.detail import get_session_detail
from identity_app.settings import Settings, get_settings
from identity_app.storage import LocalMediaStore
from tests import seed

ROOT = Path(__file__).resolve().parents[2]
KEY = get_settings().secret_key.get_secret_value()  # the services seal TOTP secrets with it


def _settings(folder: Path) -> Settings:
    return Settings(_env_file=None, env="test", data_dir=folder, secret_key=KEY)


def _new_session(engine, store, owner, app_id: int, n: int) -> tuple[int, dict[int, str]]:
    """One session with two photos, committed; (session id, {media id: sha256})."""
    with Session(engine, expire_on_commit=False) as db:
        link = links.create_session(db, actor=owner, application_id=app_id, user_name=f"Person {n}",
                                    user_email=f"p{n}@example.com")
        sums = {}
        for kind in (MediaKind.DOCUMENT_FRONT, MediaKind.SELFIE):
            data = os.urandom(40_000)
            item = store_session_media(db, store, session_id=link.id, kind=kind, data=data, content_type="image/jpeg")
            sums[item.id] = hashlib.sha256(data).hexdigest()
        db.commit()
    return link.id, sums


@pytest.fixture
def live(tmp_path):
    settings = _settings(tmp_path / "live")
    upgrade(settings.database_url)
    engine = make_engine(settings.database_url)
    store = LocalMediaStore(settings.media_dir, KEY)
    with Session(engine, expire_on_commit=False) as db:
        owner = seed.owner(db)
        app_id = seed.new_app(db, owner)
        db.commit()
    yield settings, engine, store, owner, app_id
    engine.dispose()


def test_a_backup_taken_while_a_writer_writes_restores_into_a_fresh_folder_and_reads_back(live, tmp_path):
    settings, engine, store, owner, app_id = live
    written: dict[int, dict[int, str]] = {}
    for n in range(30):
        sid, sums = _new_session(engine, store, owner, app_id, n)
        written[sid] = sums
    commits: list[tuple[float, int]] = []
    stop, lock = threading.Event(), threading.Lock()

    def writer() -> None:
        n = 1000
        while not stop.is_set():
            sid, sums = _new_session(engine, store, owner, app_id, n)
            with lock:
                written[sid] = sums
            commits.append((time.monotonic(), sid))
            n += 1

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        while len(commits) < 3:
            time.sleep(0.01)
        with lock:
            before = set(written)  # committed before the backup started: all must be in it
        started = time.monotonic()
        report = backup.backup(settings, tmp_path / "backup")
        ended = time.monotonic()
        while not any(t > ended for t, _ in commits):
            time.sleep(0.01)
    finally:
        stop.set()
        thread.join(timeout=60)
    during = [sid for t, sid in commits if started <= t <= ended]
    print(f"backup {report.seconds:.2f} s: {report.media_files} media files, {report.database_bytes} database bytes, "
          f"{len(during)} session(s) committed by the writer meanwhile")
    assert during, "the writer committed nothing while the backup ran"
    assert report.missing_media == 0

    manifest = json.loads((tmp_path / "backup" / "manifest.json").read_text())
    assert manifest["files"][0]["path"] == "identity.db" and manifest["schema_revision"]
    assert oct((tmp_path / "backup" / "identity.db").stat().st_mode & 0o777) == "0o600"

    fresh = _settings(tmp_path / "restored")
    restored = backup.restore(fresh, tmp_path / "backup")
    assert restored.same_key and restored.media_files == report.media_files
    upgrade(fresh.database_url)  # already at head: nothing to do
    con = sqlite3.connect(restored.database)
    assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    con.close()

    engine2 = make_engine(fresh.database_url)
    store2 = LocalMediaStore(fresh.media_dir, KEY)
    try:
        with Session(engine2) as db:
            ids = set(db.exec(select(VerificationSession.id)).all())
            assert before <= ids <= set(written)  # everything before the snapshot, nothing invented
            for sid in ids:
                detail = get_session_detail(db, actor=owner, session_id=sid)
                assert {m.id for m in detail.media} == set(written[sid])  # whole sessions: both photos
                for media_id, digest in written[sid].items():
                    data = read_media(db, store2, actor=owner, media_id=media_id).data
                    assert hashlib.sha256(data).hexdigest() == digest
            db.rollback()
    finally:
        engine2.dispose()


def test_restore_refuses_a_folder_in_use_a_changed_backup_and_an_unfinished_one(live, tmp_path):
    settings, engine, store, owner, app_id = live
    _new_session(engine, store, owner, app_id, 1)
    backup.backup(settings, tmp_path / "b")
    with pytest.raises(backup.BackupError, match="not empty"):
        backup.backup(settings, tmp_path / "b")
    with pytest.raises(backup.BackupError, match="not empty"):
        backup.restore(settings, tmp_path / "b")  # the live folder itself
    sid, _ = _new_session(engine, store, owner, app_id, 2)  # after the backup: gone once restored by force
    engine.dispose()
    r = backup.restore(settings, tmp_path / "b", force=True)
    with Session(make_engine(settings.database_url)) as db:
        assert db.get(VerificationSession, sid) is None and r.media_files == 2
    assert sorted(p.name for p in settings.data_dir.iterdir() if p.name.endswith(".restoring")) == []

    media = next(p for p in (tmp_path / "b" / "media").rglob("*") if p.is_file())
    blob = media.read_bytes()
    media.write_bytes(blob[:-1] + bytes([blob[-1] ^ 1]))  # one bit changed
    with pytest.raises(backup.BackupError, match="changed since the backup"):
        backup.restore(_settings(tmp_path / "other"), tmp_path / "b")
    assert not (tmp_path / "other" / "identity.db").exists()  # checked before anything is touched
    (tmp_path / "b" / "manifest.json").unlink()
    with pytest.raises(backup.BackupError, match="did not finish"):
        backup.restore(_settings(tmp_path / "other"), tmp_path / "b")
    pg = Settings(_env_file=None, env="test", data_dir=tmp_path, database_url="postgresql+psycopg://x@127.0.0.1/x")
    with pytest.raises(backup.BackupError, match="pg_dump"):
        backup.backup(pg, tmp_path / "c")


def test_the_commands_back_up_and_restore_and_refuse_without_force(tmp_path):
    env = {"PATH": os.environ["PATH"], "PYTHONPATH": str(ROOT), "IDV_ENV": "production", "IDV_SECRET_KEY": KEY,
           "REFLEX_TELEMETRY_ENABLED": "false"}

    def cli(data: str, *args):
        return subprocess.run([sys.executable, "-m", "identity_app.cli", *args], cwd=tmp_path,
                              env={**env, "IDV_DATA_DIR": str(tmp_path / data)}, capture_output=True, text=True,
                              timeout=120)

    assert cli("live", "migrate").returncode == 0
    made = cli("live", "backup", "--to", str(tmp_path / "bk"))
    assert made.returncode == 0 and "0 media file(s)" in made.stdout, made.stderr
    assert cli("new", "restore", "--from", str(tmp_path / "bk")).returncode == 0
    refused = cli("new", "restore", "--from", str(tmp_path / "bk"))
    assert refused.returncode == 1 and "--force" in refused.stderr
    assert cli("new", "restore", "--from", str(tmp_path / "bk"), "--force").returncode == 0
