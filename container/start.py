"""The container's entrypoint: check the settings, migrate, point the prebuilt frontend at the
public URL, then run the supervisor (identity_app/supervisor.py, as `make run` does) with the
prebuilt frontend's server as its web process (container/prebuilt.py) and the check worker.

The secret key comes from IDV_SECRET_KEY or from a file named by IDV_SECRET_KEY_FILE (a mounted secret:
`--secret idv_secret_key -e IDV_SECRET_KEY_FILE=/run/secrets/idv_secret_key`), set on the container so
that `podman exec ... python -m identity_app.cli` reads the same key.

One argument, the role (compose.yaml): `all` (the default: migrate, then web and worker), `migrate`
(only the migrations, then exit), `web` (only the web server) or `worker` (only the check worker).
"""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

APP = Path(__file__).resolve().parent.parent
MOUNTED_SECRET = Path("/run/secrets/idv_secret_key")


ROLES = ("all", "migrate", "web", "worker")


def main(argv: list[str]) -> int:
    role = argv[0] if argv else "all"
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
    if role in ("all", "migrate"):
        subprocess.run([sys.executable, "-m", "identity_app.cli", "migrate"], check=True)
        if role == "migrate":
            return 0
    from identity_app import supervisor

    port = str(settings.port)
    web, worker = supervisor.default_children(port)
    web.argv = [sys.executable, str(APP / "container" / "prebuilt.py"), "serve", "--port", port]
    if role in ("all", "web"):
        from container import prebuilt

        print(f"frontend pointed at {settings.public_base_url}: "
              f"{prebuilt.point_at(settings.public_base_url)} file(s) changed", flush=True)
    children = {"all": [web, worker], "web": [web], "worker": [worker]}[role]
    supervisor.default_children = lambda _port: children
    return supervisor.main(["--port", port])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
