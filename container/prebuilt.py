"""The container's Reflex frontend, built once when the image is built and only served at start.

`reflex run --env prod` compiles the app and rebuilds the frontend (a Vite build, minutes on two
cores) at every start. The image instead runs

- `python container/prebuilt.py build` at build time: what `reflex run --env prod --single-port
  --frontend-port 3000` does before serving (compile the app, `bun run export` into
  .web/build/client), and
- `python container/prebuilt.py serve --port P` as the supervisor's web process: the same
  production backend (granian, the built frontend mounted on the one port) with the compile skipped.

The built pages name the backend's origin (Reflex writes it into the bundle: ws://localhost:3000/_event
and so on). `point_at` rewrites it to the public origin (IDV_PUBLIC_BASE_URL) before the server starts,
so a browser reaching the container through a published port or a proxy opens its websocket there.
"""
from __future__ import annotations

import argparse
import gzip
import os
import re
import sys
from pathlib import Path
from urllib.parse import urlsplit

APP = Path(__file__).resolve().parent.parent
BUILT_ORIGIN_FILE = ".idv-origin"  # in the build folder: the origin the bundle names now
BUILD_PORT = 3000


def _web_dir() -> Path:
    from reflex.utils import prerequisites

    return prerequisites.get_web_dir()


def _client_dir() -> Path:
    from reflex import constants

    return _web_dir() / constants.Dirs.STATIC


def build() -> None:
    from reflex import constants
    from reflex.config import get_config
    from reflex.environment import environment
    from reflex.reflex import _compile_app, _init
    from reflex.utils import build as rx_build
    from reflex.utils import prerequisites

    environment.REFLEX_ENV_MODE.set(constants.Env.PROD)
    config = get_config()
    if prerequisites.needs_reinit():
        _init(name=config.app_name)
    config._set_persistent(frontend_port=BUILD_PORT, backend_port=BUILD_PORT)
    _compile_app(avoid_dirty_check=False)
    rx_build.setup_frontend_prod(APP)
    (_client_dir() / BUILT_ORIGIN_FILE).write_text(f"localhost:{BUILD_PORT}")


def point_at(public_base_url: str) -> int:
    """Rewrite the backend origin named in the built files to the public one; returns files changed."""
    client = _client_dir()
    marker = client / BUILT_ORIGIN_FILE
    old = marker.read_text().strip()
    parts = urlsplit(public_base_url)
    new = parts.netloc or old
    secure = parts.scheme == "https"
    if new == old and not secure:
        return 0
    pattern = re.compile(r"(https?|wss?)://" + re.escape(old) + r"(?=[/\"'`])")

    def swap(m: re.Match) -> str:
        scheme = m.group(1)
        if secure:
            scheme = {"http": "https", "ws": "wss"}.get(scheme, scheme)
        return f"{scheme}://{new}"

    changed = 0
    for path in [_web_dir() / "env.json", *client.rglob("*.js"), *client.rglob("*.html"), *client.rglob("*.json"),
                 *(_web_dir() / "build" / "server").rglob("*.js")]:
        if not path.is_file():
            continue
        text = path.read_text(encoding="utf-8", errors="surrogateescape")
        updated = pattern.sub(swap, text)
        if updated != text:
            path.write_text(updated, encoding="utf-8", errors="surrogateescape")
            changed += 1
            gz = path.with_name(path.name + ".gz")  # the precompressed copies served to browsers
            if gz.exists():
                gz.write_bytes(gzip.compress(updated.encode("utf-8", errors="surrogateescape"), mtime=0))
            # No brotli encoder in Python here: a stale .br goes, and that file is served gzipped.
            path.with_name(path.name + ".br").unlink(missing_ok=True)
    marker.write_text(new)
    return changed


def serve(port: int) -> None:
    from reflex import constants
    from reflex.config import get_config
    from reflex.environment import environment
    from reflex.istate.manager import reset_disk_state_manager
    from reflex.utils import exec as rx_exec

    environment.REFLEX_ENV_MODE.set(constants.Env.PROD)
    config = get_config()
    config._set_persistent(frontend_port=port, backend_port=port)
    environment.REFLEX_SKIP_COMPILE.set(True)
    reset_disk_state_manager()
    rx_exec.run_backend_prod(config.backend_host, port, config.loglevel.subprocess_level(), True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python container/prebuilt.py")
    sub = parser.add_subparsers(dest="cmd", required=True)
    sub.add_parser("build")
    p = sub.add_parser("point-at")
    p.add_argument("url")
    s = sub.add_parser("serve")
    s.add_argument("--port", type=int, default=int(os.environ.get("IDV_PORT", "3000")))
    args = parser.parse_args(argv)
    os.chdir(APP)
    sys.path.insert(0, str(APP))
    if args.cmd == "build":
        build()
    elif args.cmd == "point-at":
        print(f"frontend pointed at {args.url}: {point_at(args.url)} file(s) changed")
    else:
        serve(args.port)
    return 0


if __name__ == "__main__":
    sys.exit(main())
