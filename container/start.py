"""The container's entrypoint: check the settings, migrate, point the prebuilt frontend at the
public URL, then run the supervisor (identity_app/supervisor.py, as `make run` does) with the
prebuilt frontend's server as its web process (container/prebuilt.py) and the check worker.

The secret key comes from IDV_SECRET_KEY or from a file named by IDV_SECRET_KEY_FILE (a mounted secret:
`--secret idv_secret_key -e IDV_SECRET_KEY_FILE=/run/secrets/idv_secret_key`), set on the container so
that `podman exec ... python -m identity_app.cli` reads the same key.

One argument, the role (compose.yaml): `all` (the default: migrate, then web and worker), `migrate`
(only the migrations, then exit), `web` (only the web server), `worker` (only the check worker) or
`frames` (a frame worker alone, identity_app/frame_service.py: another machine's cores for the camera
frames of every web container; it needs the queue on Redis).

Start to healthy is what a container platform waits for, so `all` spends the start's CPU on the
web server first: the migrations run while the pages are pointed at the public URL, and the check
worker (whose processes load every check model, several CPU-seconds) starts once the web server
answers /api/health (at most WORKER_WAIT_S later), not beside it.
"""
from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

APP = Path(__file__).resolve().parent.parent
MOUNTED_SECRET = Path("/run/secrets/idv_secret_key")


ROLES = ("all", "migrate", "web", "worker", "frames")
WORKER_WAIT_S = 60.0
AFTER_WEB = "worker-after-web"  # internal: the `all` role's worker, started once the web server answers


def worker_after_web(port: str) -> None:
    """Wait until the web server answers (at most WORKER_WAIT_S), then become the check worker."""
    deadline = time.monotonic() + WORKER_WAIT_S
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/health", timeout=2):
                break
        except OSError:
            time.sleep(0.3)
    os.execv(sys.executable, [sys.executable, "-m", "identity_app.worker"])


def main(argv: list[str]) -> int:
    role = argv[0] if argv else "all"
    if role == AFTER_WEB and len(argv) == 2:
        os.chdir(APP)
        worker_after_web(argv[1])
    if role not in ROLES or len(argv) > 1:
        print(f"usage: container/start.py [{'|'.join(ROLES)}]", file=sys.stderr)
        return 2
    os.chdir(APP)
    sys.path.insert(0, str(APP))
    from identity_app.settings import SettingsError, get_settings

    try:
        settings = get_settings()
        settings.validate_for_startup()
    except SettingsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        if MOUNTED_SECRET.is_file() and not os.environ.get("IDV_SECRET_KEY_FILE"):
            print(f"error: a secret is mounted at {MOUNTED_SECRET}: set IDV_SECRET_KEY_FILE={MOUNTED_SECRET}",
                  file=sys.stderr)
        return 2
    os.umask(0o077)
    migrating = None
    if role in ("all", "migrate"):
        migrating = subprocess.Popen([sys.executable, "-m", "identity_app.cli", "migrate"])
        if role == "migrate":
            return migrating.wait()
    from identity_app import supervisor

    port = str(settings.port)
    web, worker = supervisor.default_children(port)
    web.argv = [sys.executable, str(APP / "container" / "prebuilt.py"), "serve", "--port", port]
    if role in ("all", "web"):  # meanwhile the migrations run
        from container import prebuilt

        print(f"frontend pointed at {settings.public_base_url}: "
              f"{prebuilt.point_at(settings.public_base_url)} file(s) changed", flush=True)
    if migrating is not None and migrating.wait() != 0:
        print("error: the migrations failed", file=sys.stderr)
        return 1
    if role == "all":
        worker.argv = [sys.executable, str(APP / "container" / "start.py"), AFTER_WEB, port]
    frames = supervisor.Child("frames", [sys.executable, "-m", "identity_app.frame_service"])
    children = {"all": [web, worker], "web": [web], "worker": [worker], "frames": [frames]}[role]
    supervisor.default_children = lambda _port: children
    return supervisor.main(["--port", port])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
