"""Files that hold secrets: written whole (temporary file, fsync, rename), readable by this account only."""
from __future__ import annotations

import errno
import os
import re
import tempfile
from pathlib import Path

SECRET_LINE = re.compile(r"^\s*(export\s+)?IDV_SECRET_KEY\s*=")


def write_private(path: Path, text: str) -> None:
    """Replace `path` with `text` in one step: a crash leaves the old file or the new one, never half."""
    path = path.resolve()
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")  # 0600
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)  # the rename itself survives a power cut
    finally:
        os.close(dir_fd)


def set_secret_key(env_file: Path, secret: str) -> None:
    """IDV_SECRET_KEY=<secret> in a .env file: the existing line replaced (every other line kept), or added."""
    lines = env_file.read_text(encoding="utf-8").splitlines() if env_file.exists() else []
    kept = [line for line in lines if not SECRET_LINE.match(line)]
    at = next((i for i, line in enumerate(lines) if SECRET_LINE.match(line)), len(kept))
    kept.insert(min(at, len(kept)), f"IDV_SECRET_KEY={secret}")
    write_private(env_file, "\n".join(kept) + "\n")


def write_key_file(path: Path, secret: str) -> None:
    """The whole content of an IDV_SECRET_KEY_FILE. Replaced in one step where it can be; a file that is
    itself a mount point (a bind-mounted secret cannot be renamed over) is rewritten in place."""
    try:
        write_private(path, secret + "\n")
    except OSError as exc:
        if exc.errno not in (errno.EBUSY, errno.EXDEV, errno.EACCES, errno.EPERM, errno.EROFS):
            raise
        with open(path, "r+", encoding="utf-8") as fh:
            fh.write(secret + "\n")
            fh.truncate()
            fh.flush()
            os.fsync(fh.fileno())
