"""Backup and restore of the embedded defaults: the SQLite database and the media folder.

The database is copied with SQLite's online backup API (sqlite3.Connection.backup, in one step):
a consistent snapshot of one moment, taken while the app and the worker go on writing (WAL lets
them). The media folder is copied after it, file by file, as it is on disk (still encrypted; the
backup holds no key: keep IDV_SECRET_KEY apart, and a backup made before a rotate-secret needs the
key of its time). Media are written before the row naming them is committed, so every media row in
the snapshot has its file in the copy, unless it was deleted in between (then the restored row
points at a missing file, as if its deletion had half happened; listed in the manifest as missing).

The manifest (manifest.json, written last: a folder without one is an unfinished backup) lists
every file with its size and SHA-256, the schema revision and a fingerprint of the secret key.
Restore checks every checksum before it touches anything, and refuses a data folder holding
files unless forced. PostgreSQL and S3 have their own tools (pg_dump, bucket versioning): README,
"Operations".
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from identity_app.private_files import make_private_dir, private_sqlite_file
from identity_app.services.operations.rotation import fingerprint
from identity_app.services.operations.secret_file import write_private

MANIFEST = "manifest.json"
DB_NAME = "identity.db"
MEDIA = "media"
FORMAT = 1


class BackupError(RuntimeError):
    """The backup or restore cannot go on; the message says why and what to do."""


@dataclass(frozen=True)
class BackupReport:
    folder: Path
    database_bytes: int
    media_files: int
    media_bytes: int
    missing_media: int  # rows of the snapshot whose file was deleted before the copy reached it
    seconds: float


@dataclass(frozen=True)
class RestoreReport:
    database: Path
    media_dir: Path
    media_files: int
    same_key: bool  # the backup's media open with the configured secret key


def sqlite_path(settings: Any) -> Path:
    url = settings.database_url
    if not url.startswith("sqlite") or "///" not in url or url.endswith(":memory:"):
        raise BackupError("the database is not a SQLite file: use pg_dump / pg_restore (README, \"Operations\")")
    return Path(url.split("///", 1)[1])


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _entry(path: Path, name: str) -> dict:
    return {"path": name, "bytes": path.stat().st_size, "sha256": _sha256(path)}


def _snapshot(source: Path, target: Path) -> None:
    """SQLite's online backup, all pages in one step: one consistent moment, writers not stopped."""
    private_sqlite_file(target)
    src = sqlite3.connect(source, timeout=30)  # read-write: a read-only one cannot always join a WAL database
    dst = sqlite3.connect(target)
    try:
        src.backup(dst)
        dst.execute("PRAGMA journal_mode=DELETE")  # a single file, nothing beside it
    finally:
        dst.close()
        src.close()


def _contents(db_file: Path) -> tuple[list[str], str]:
    """The media keys the snapshot's rows name, and its schema revision."""
    con = sqlite3.connect(db_file)
    try:
        keys = [r[0] for r in con.execute("SELECT storage_key FROM media_item")]
        keys += [r[0] for r in con.execute("SELECT logo_key FROM application WHERE logo_key IS NOT NULL")]
        revision = con.execute("SELECT version_num FROM alembic_version").fetchone()
    finally:
        con.close()
    return keys, revision[0] if revision else ""


def backup(settings: Any, to: Path) -> BackupReport:
    started = time.monotonic()
    source = sqlite_path(settings)
    if not source.is_file():
        raise BackupError(f"no database at {source}: nothing to back up")
    if to.exists() and any(to.iterdir()):
        raise BackupError(f"{to} is not empty: back up into a new folder")
    make_private_dir(to)
    _snapshot(source, to / DB_NAME)
    files = [_entry(to / DB_NAME, DB_NAME)]
    row_keys, revision = _contents(to / DB_NAME)
    media_note = "copied"
    if settings.media_backend == "local":
        root = Path(settings.media_dir)
        for path in sorted(root.rglob("*")) if root.is_dir() else []:
            if not path.is_file() or path.name.startswith("."):  # .tmp-*: a write in progress
                continue
            rel = path.relative_to(root).as_posix()
            target = to / MEDIA / rel
            make_private_dir(target.parent)
            try:
                shutil.copyfile(path, target)
            except FileNotFoundError:  # deleted since the listing
                continue
            os.chmod(target, 0o600)
            files.append(_entry(target, f"{MEDIA}/{rel}"))
        copied = {f["path"][len(MEDIA) + 1:] for f in files[1:]}
        missing = [k for k in row_keys if k not in copied]
    else:
        media_note = "not copied: media are in S3 (use bucket versioning, README \"Operations\")"
        missing = []
    manifest = {
        "format": FORMAT,
        "created_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "schema_revision": revision,
        "secret_key_fingerprint": fingerprint(settings.secret_key.get_secret_value()),
        "media": media_note,
        "missing_media": missing,
        "files": files,
    }
    write_private(to / MANIFEST, json.dumps(manifest, indent=1))
    media_files = [f for f in files if f["path"].startswith(MEDIA + "/")]
    return BackupReport(to, files[0]["bytes"], len(media_files), sum(f["bytes"] for f in media_files),
                        len(missing), time.monotonic() - started)


def read_manifest(folder: Path) -> dict:
    path = folder / MANIFEST
    if not path.is_file():
        raise BackupError(f"{folder} has no {MANIFEST}: not a backup, or one that did not finish")
    manifest = json.loads(path.read_text())
    if manifest.get("format") != FORMAT:
        raise BackupError(f"{folder} is a backup of format {manifest.get('format')}, this version reads {FORMAT}")
    for f in manifest["files"]:
        p = folder / f["path"]
        if not p.is_file() or p.stat().st_size != f["bytes"] or _sha256(p) != f["sha256"]:
            raise BackupError(f"{p} is missing or changed since the backup: nothing was restored")
    return manifest


def _holds_files(*folders: Path) -> bool:
    return any(p.is_file() for folder in folders if folder.is_dir() for p in folder.rglob("*"))


def restore(settings: Any, source: Path, *, force: bool = False) -> RestoreReport:
    """Into the configured data folder (stop the app first). Refuses one holding files unless `force`,
    then replaces the database and the media folder."""
    manifest = read_manifest(source)
    target = sqlite_path(settings)
    media_dir = Path(settings.media_dir)
    if not force and (target.exists() and target.stat().st_size > 0 or _holds_files(Path(settings.data_dir), media_dir)):
        raise BackupError(f"{settings.data_dir} is not empty: restore into an empty data folder, or add --force "
                          "to replace its database and media")
    make_private_dir(target.parent)
    # The database: a copy beside it, renamed over the old one (whose -wal and -shm go with it).
    staging = target.with_name(target.name + ".restoring")
    staging.unlink(missing_ok=True)
    _snapshot(source / DB_NAME, staging)
    for suffix in ("-wal", "-shm", "-journal"):
        Path(f"{target}{suffix}").unlink(missing_ok=True)
    os.replace(staging, target)
    # The media folder: copied beside, then swapped in.
    media_files = [f["path"] for f in manifest["files"] if f["path"].startswith(MEDIA + "/")]
    new_media = media_dir.with_name(media_dir.name + ".restoring")
    shutil.rmtree(new_media, ignore_errors=True)
    make_private_dir(new_media)
    for rel in media_files:
        dest = new_media / rel[len(MEDIA) + 1:]
        make_private_dir(dest.parent)
        shutil.copyfile(source / rel, dest)
        os.chmod(dest, 0o600)
    if media_dir.exists():
        shutil.rmtree(media_dir)
    os.replace(new_media, media_dir)
    same = manifest["secret_key_fingerprint"] == fingerprint(settings.secret_key.get_secret_value())
    return RestoreReport(target, media_dir, len(media_files), same)
