"""The data folder is readable by the account running the app only: folders
0700, files 0600.

Everything is created that way, whatever the process umask: the SQLite files
(created empty with 0600 before SQLite opens them; SQLite gives the -wal and
-shm files the database file's mode), the queue, media (mkstemp files in 0700
folders) and outbox emails. An install made before this is fixed at start
(`cli migrate`, which `make run` calls first). Stdlib only.
"""
from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Iterable

DIR_MODE = 0o700
FILE_MODE = 0o600
SQLITE_SUFFIXES = ("", "-wal", "-shm", "-journal")


def make_private_dir(path: Path | str) -> Path:
    """Create the folder and any missing parent with mode 0700 (Path.mkdir gives parents the
    umask's mode whatever `mode` says). Existing folders are left as they are."""
    path = Path(path)
    missing = []
    p = path
    while not p.exists() and p != p.parent:
        missing.append(p)
        p = p.parent
    for folder in reversed(missing):
        try:
            folder.mkdir(mode=DIR_MODE)
        except FileExistsError:
            continue
        os.chmod(folder, DIR_MODE)  # the umask may have taken bits away; never adds any
    return path


def create_private_file(path: Path | str) -> Path:
    """Create an empty file with mode 0600 unless it exists (then it is made 0600)."""
    path = Path(path)
    make_private_dir(path.parent)
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE))
    except FileExistsError:
        _chmod(path, FILE_MODE)
    return path


def write_private_file(path: Path | str, data: bytes) -> Path:
    """Write a new file (never an existing one) with mode 0600 from its creation."""
    path = Path(path)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    return path


def private_sqlite_file(path: Path | str) -> Path:
    """Before SQLite opens a database file: the file exists with 0600 (a new one, empty, is a
    valid empty database) and its journal files, if any, are 0600 too."""
    path = create_private_file(path)
    for suffix in SQLITE_SUFFIXES[1:]:
        _chmod(Path(f"{path}{suffix}"), FILE_MODE)
    return path


def _chmod(path: Path, mode: int) -> bool:
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return False
    if stat.S_ISLNK(st.st_mode) or stat.S_IMODE(st.st_mode) == mode:
        return False
    os.chmod(path, mode)
    return True


def make_tree_private(roots: Iterable[Path | str]) -> int:
    """An existing install: each root folder and everything under it becomes 0700 (folders) and
    0600 (files). Symbolic links are not followed. Returns how many modes were changed."""
    changed = 0
    roots = [Path(r).absolute() for r in roots]
    for root in roots:
        if any(other != root and other in root.parents for other in roots):
            continue  # walked with the folder it is in
        if root.is_file():
            changed += _chmod(root, FILE_MODE)
            continue
        if not root.is_dir():
            continue
        changed += _chmod(root, DIR_MODE)
        for folder, dirs, files in os.walk(root):
            for name in dirs:
                changed += _chmod(Path(folder, name), DIR_MODE)
            for name in files:
                changed += _chmod(Path(folder, name), FILE_MODE)
    return changed


def data_paths(settings) -> list[Path]:  # type: ignore[no-untyped-def]
    """What the app keeps on disk: the data folder, media and outbox folders (also when set
    elsewhere) and the SQLite database files (also when IDV_DATABASE_URL points elsewhere)."""
    paths = [Path(settings.data_dir)]
    for folder in (settings.media_dir, settings.outbox_dir):
        if folder is not None:
            paths.append(Path(folder))
    if settings.database_url.startswith("sqlite") and "///" in settings.database_url:
        db = settings.database_url.split("///", 1)[-1]
        if db and db != ":memory:":
            paths += [Path(f"{db}{suffix}") for suffix in SQLITE_SUFFIXES]
    return paths


def make_data_private(settings) -> int:  # type: ignore[no-untyped-def]
    """At start: create the data folder privately and fix an older install's modes."""
    make_private_dir(settings.data_dir)
    return make_tree_private(data_paths(settings))
