"""A real app in production mode and Debian's Chromium driven by Playwright."""
from __future__ import annotations

import fcntl
import os
import secrets
import shutil
import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("IDV_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


_WORKERS: dict[int, subprocess.Popen] = {}  # web server pid -> its check worker
_LOGS: dict[int, Path] = {}  # web server pid -> its log


class RunningApp:
    def __init__(self, url: str, data_dir: Path, env: dict[str, str], proc: subprocess.Popen, log: Path):
        self.url, self.data_dir, self.env, self.proc, self.log = url, data_dir, env, proc, log

    def cli(self, *args: str, env: dict[str, str] | None = None) -> str:
        out = subprocess.run([str(ROOT / ".venv/bin/python"), "-m", "identity_app.cli", *args], cwd=ROOT,
                             env={**self.env, **(env or {})}, capture_output=True, text=True, timeout=120)
        assert out.returncode == 0, out.stderr
        return out.stdout


def app_env(tmp: Path, port: int) -> dict[str, str]:
    """The environment of an app under test: its own secret, data folder, port, and its own
    frontend build folder. Reflex bakes the port into the frontend it builds, so two apps
    sharing one .web would send each other's pages to the wrong websocket."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("IDV_")}
    env.update({
        "IDV_ENV": "production",
        "IDV_SECRET_KEY": secrets.token_urlsafe(48),
        "IDV_DATA_DIR": str(tmp / "data"),
        "IDV_PORT": str(port),
        "IDV_PUBLIC_BASE_URL": f"http://127.0.0.1:{port}",
        "REFLEX_WEB_WORKDIR": str(tmp / "web"),
        "REFLEX_TELEMETRY_ENABLED": "false",
        "REFLEX_CHECK_LATEST_VERSION": "false",
        "REFLEX_BUN_PATH": str(ROOT / ".tools/bun/bin/bun"),
        "BUN_INSTALL_CACHE_DIR": str(ROOT / ".tools/bun-cache"),
        "REFLEX_DIR": str(ROOT / ".tools/reflex"),
        "OMP_THREAD_LIMIT": "1",
        "PATH": f"{ROOT / '.venv/bin'}:{ROOT / '.tools/bun/bin'}:{os.environ.get('PATH', '')}",
    })
    return env


def _prebuilt_frontend(root: Path) -> Path:
    """The production frontend built once for the whole run (`container/prebuilt.py build`, as the
    image does); each app gets a copy pointed at its own port. A `reflex run --env prod` per app
    rebuilt the same bundle every time: about a minute of two cores each, a dozen times a run."""
    web = root / "prebuilt-web"
    done = web / ".idv-built"
    with (root / "prebuilt-web.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not done.exists():
            shutil.rmtree(web, ignore_errors=True)
            env = app_env(root / "prebuilt-build", 3000)
            env["REFLEX_WEB_WORKDIR"] = str(web)
            Path(env["IDV_DATA_DIR"]).mkdir(parents=True, exist_ok=True)
            out = subprocess.run([str(ROOT / ".venv/bin/python"), str(ROOT / "container/prebuilt.py"), "build"],
                                 cwd=ROOT, env=env, capture_output=True, text=True, timeout=1200)
            assert out.returncode == 0, f"the frontend build failed:\n{(out.stdout + out.stderr)[-4000:]}"
            shutil.rmtree(web / "node_modules", ignore_errors=True)  # only the build needs them
            done.touch()
    return web


def start_app(tmp: Path, extra_env: dict[str, str] | None = None, prebuilt: bool = True) -> RunningApp:
    """The app on a free port with its check worker. `prebuilt`: the frontend built once per run and
    served by the image's server (container/prebuilt.py serve); otherwise `reflex run --env prod`, the
    supervisor's web process under `make run`, which compiles and builds the frontend at start."""
    port = free_port()
    env = app_env(tmp, port)
    env.update(extra_env or {})
    subprocess.run([str(ROOT / ".venv/bin/python"), "-m", "identity_app.cli", "migrate"], cwd=ROOT, env=env,
                   check=True, capture_output=True, timeout=120)
    log = tmp / "app.log"
    if prebuilt:
        web = Path(env["REFLEX_WEB_WORKDIR"])
        shutil.rmtree(web, ignore_errors=True)
        shutil.copytree(_prebuilt_frontend(tmp.parent), web, symlinks=True)
        python = str(ROOT / ".venv/bin/python")
        subprocess.run([python, str(ROOT / "container/prebuilt.py"), "point-at", env["IDV_PUBLIC_BASE_URL"]],
                       cwd=ROOT, env=env, check=True, capture_output=True, timeout=120)
        argv = [python, str(ROOT / "container/prebuilt.py"), "serve", "--port", str(port)]
    else:
        argv = [str(ROOT / ".venv/bin/reflex"), "run", "--env", "prod", "--single-port", "--frontend-port", str(port)]
    proc = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT,
                            start_new_session=True)
    # The check worker runs beside the web server; stop_app stops both, like a container restart.
    _WORKERS[proc.pid] = subprocess.Popen(
        [str(ROOT / ".venv/bin/python"), "-m", "identity_app.worker"], cwd=ROOT, env=env,
        stdout=(tmp / "worker.log").open("ab"), stderr=subprocess.STDOUT, start_new_session=True,
    )
    _LOGS[proc.pid] = log
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 600
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the app exited early:\n{log.read_text()[-4000:]}")
        try:
            with urllib.request.urlopen(url + "/api/health", timeout=2) as r:
                if r.status == 200:
                    with urllib.request.urlopen(url + "/signin", timeout=5):
                        return RunningApp(url, tmp / "data", env, proc, log)
        except OSError:
            time.sleep(1)
    stop_app(proc)
    raise RuntimeError(f"the app did not start in time:\n{log.read_text()[-4000:]}")


def stop_app(proc: subprocess.Popen) -> None:
    for p in (proc, _WORKERS.pop(proc.pid, None)):
        if p is not None and p.poll() is None:
            os.killpg(p.pid, signal.SIGTERM)
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, signal.SIGKILL)
    log = _LOGS.pop(proc.pid, None)
    if log is not None:
        shutil.rmtree(log.parent / "web", ignore_errors=True)  # its frontend build: 160 MB
    if log is not None and log.exists():
        # Every page the tests opened ran under the Content-Security-Policy: nothing it blocked.
        blocked = [line for line in log.read_text(errors="replace").splitlines() if "CSP violation" in line]
        assert not blocked, "the page policy blocked something:\n" + "\n".join(blocked[:20])


@pytest.fixture(scope="session")
def app_server(tmp_path_factory):
    app = start_app(tmp_path_factory.mktemp("app"))
    yield app
    stop_app(app.proc)


@pytest.fixture(scope="module")
def videos(tmp_path_factory):
    """What the fake camera plays (Y4M made here from ../shared/data images): a passport held up,
    one person who blinks and turns her head, a printed photo tilted in front of the camera."""
    from tests import capture_media as cm

    folder = tmp_path_factory.mktemp("camera")
    return {
        "document": cm.write_y4m(folder / "document.y4m", cm.document_clip(4.0)),
        "face": cm.write_y4m(folder / "face.y4m", cm.face_loop()),
        "print": cm.write_y4m(folder / "print.y4m", cm.printed_photo_loop()),
    }


@pytest.fixture(scope="module")
def playwright_driver():
    """One Playwright per test module (tests needing other Chromium flags launch their own browser from it).
    Not one per run: Playwright's sync API keeps an event loop running in the main thread while it is
    open, and the tests after the browser tests that run their own loop (asyncio.run) would fail."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium not found at {CHROMIUM}: run the README's test command (it installs it)")
    from playwright.sync_api import sync_playwright

    from tests.browser import closing

    closing.install()  # a Chromium that never closes is killed after 30 s, not waited on for the run
    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="module")
def browser(playwright_driver):
    b = playwright_driver.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
    yield b
    b.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 860})
    pg = context.new_page()
    pg.set_default_timeout(20_000)
    yield pg
    context.close()


def screenshot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "screenshots").mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "screenshots" / f"{name}.png"), full_page=True)
