"""An app of its own for the load benchmark: loopback, embedded defaults, a temporary data folder.

The same processes as `make run` (the supervisor's web server and check worker), except that
the web server runs backend only: the benchmark speaks HTTP and the pages' websocket, never
loads the compiled pages, so building the frontend (minutes, 160 MB) would measure nothing.
"""
from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
START_TIMEOUT_S = 300.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def app_env(folder: Path, port: int, extra: dict[str, str] | None = None) -> dict[str, str]:
    """Embedded defaults (SQLite, local media, in-process queue) in `folder`, a secret of its own."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("IDV_", "REFLEX_REDIS"))}
    venv_bin = str(Path(sys.executable).parent)
    env.update({
        "IDV_ENV": "production",
        "IDV_SECRET_KEY": secrets.token_urlsafe(48),
        "IDV_DATA_DIR": str(folder / "data"),
        "IDV_PORT": str(port),
        "IDV_PUBLIC_BASE_URL": f"http://127.0.0.1:{port}",
        "REFLEX_WEB_WORKDIR": str(folder / "web"),
        "REFLEX_TELEMETRY_ENABLED": "false",
        "REFLEX_CHECK_LATEST_VERSION": "false",
        "REFLEX_DIR": str(ROOT / ".tools/reflex"),
        # rxconfig sets frontend_port, which `reflex run --backend-only` refuses: no frontend runs here.
        "REFLEX_FRONTEND_PORT": "0",
        "PATH": f"{venv_bin}:{ROOT / '.tools/bun/bin'}:{os.environ.get('PATH', '')}",
    })
    env.update(extra or {})
    return env


@dataclass
class BenchApp:
    url: str
    env: dict[str, str]
    web: subprocess.Popen
    worker: subprocess.Popen
    folder: Path

    def stop(self) -> None:
        for p in (self.web, self.worker):
            if p.poll() is None:
                os.killpg(p.pid, signal.SIGTERM)
        for p in (self.web, self.worker):
            try:
                p.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, signal.SIGKILL)
                p.wait(timeout=10)

    def web_pids(self) -> list[int]:
        """The web server's process group (granian, its worker, the image pool's children)."""
        return _group(self.web.pid)


def _group(pgid: int) -> list[int]:
    out = []
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                if os.getpgid(int(name)) == pgid:
                    out.append(int(name))
            except OSError:
                pass
    return out


def start(folder: Path, extra_env: dict[str, str] | None = None) -> BenchApp:
    """Migrate, start the web server (backend only, 127.0.0.1) and the check worker; wait for health."""
    port = free_port()
    env = app_env(folder, port, extra_env)
    python = sys.executable
    subprocess.run([python, "-m", "identity_app.cli", "migrate"], cwd=ROOT, env=env, check=True,
                   capture_output=True, timeout=180)
    reflex = str(Path(python).parent / "reflex")
    web = subprocess.Popen(
        [reflex, "run", "--env", "prod", "--backend-only", "--backend-host", "127.0.0.1",
         "--backend-port", str(port)],
        cwd=ROOT, env=env, stdout=(folder / "web.log").open("wb"), stderr=subprocess.STDOUT, start_new_session=True)
    worker = subprocess.Popen([python, "-m", "identity_app.worker"], cwd=ROOT, env=env,
                              stdout=(folder / "worker.log").open("wb"), stderr=subprocess.STDOUT,
                              start_new_session=True)
    app = BenchApp(f"http://127.0.0.1:{port}", env, web, worker, folder)
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if web.poll() is not None or worker.poll() is not None:
            app.stop()
            raise RuntimeError("the app exited early:\n" + (folder / "web.log").read_text(errors="replace")[-3000:])
        try:
            with urllib.request.urlopen(app.url + "/api/health", timeout=2) as r:
                if r.status == 200:
                    return app
        except OSError:
            time.sleep(0.5)
    app.stop()
    raise RuntimeError("the app did not answer /api/health in time")
