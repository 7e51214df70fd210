"""The container (Containerfile) built with podman on this machine, started with a data volume and a
mounted secret, healthy through its HEALTHCHECK, then used through its published port: the owner
(created with the CLI inside the container) signs in with a password and TOTP, and a person completes
a capture with a fake-camera Chromium, the checks running in the container's worker.

Marked `container`: `pytest -m "not container"` skips it locally; `make test` (CI) runs it. Needs
root, podman, runc and debootstrap (scripts/install.sh --dev installs them). Cached between runs:
the debootstrap tree and the base image tagged debian:bookworm-slim, and the app image, tagged by a
hash of what it is built from, so a second run skips the build. Each phase's time is printed."""
from __future__ import annotations

import fnmatch
import hashlib
import os
import re
import secrets
import shutil
import subprocess
import time
import urllib.request
from pathlib import Path

import pyotp
import pytest
from playwright.sync_api import expect

from identity_app.models import CheckState, SessionState
from tests.browser.capture_flow import DESKTOP, TEST_ENV, capture_by_link, checks_of, new_session, open_page
from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, free_port
from tests.browser.helpers import fill
from tests.services.session_factory import NO_REVIEW

pytestmark = [pytest.mark.container, pytest.mark.timeout(1800)]

ROOT = Path(__file__).resolve().parents[2]
CACHE = Path(os.environ.get("IDV_CONTAINER_CACHE", "/var/cache/idv-container"))
BASE = "docker.io/library/debian:bookworm-slim"
IMAGE = "localhost/identity-app"
HOST_CA = os.environ.get("SSL_CERT_FILE", "/etc/ssl/certs/ca-certificates.crt")
UID = 10001  # the image's user (Containerfile)
OWNER_EMAIL, OWNER_PASSWORD = "owner@example.com", "a long owner password"
PHASES: dict[str, float] = {}


def podman(*args: str, timeout: float = 600, check: bool = True, **kw) -> subprocess.CompletedProcess:
    out = subprocess.run(["podman", "--runtime", "runc", *args], capture_output=True, text=True, timeout=timeout, **kw)
    if check and out.returncode != 0:
        raise AssertionError(f"podman {' '.join(args[:3])} failed ({out.returncode}):\n{out.stdout[-3000:]}\n"
                             f"{out.stderr[-3000:]}")
    return out


class Phase:
    def __init__(self, name: str):
        self.name = name

    def __enter__(self):
        self.t0 = time.monotonic()
        print(f"\n[container] {self.name} ...", flush=True)

    def __exit__(self, *exc):
        PHASES[self.name] = time.monotonic() - self.t0
        print(f"[container] {self.name}: {PHASES[self.name]:.1f} s", flush=True)


def _ignored(rel: Path, patterns: list[str]) -> bool:
    """Whether .containerignore keeps `rel` out of the build (its patterns, as used there)."""
    parts = rel.parts
    for pattern in patterns:
        if pattern.startswith("**/"):
            if any(fnmatch.fnmatch(part, pattern[3:]) for part in parts):
                return True
        elif any(fnmatch.fnmatch("/".join(parts[:i]), pattern) for i in range(1, len(parts) + 1)):
            return True
    return False


def build_context_hash() -> str:
    """A hash of what the image is built from: the files .containerignore lets through."""
    patterns = [line.strip() for line in (ROOT / ".containerignore").read_text().splitlines()
                if line.strip() and not line.startswith("#")]
    h = hashlib.sha256((ROOT / "Containerfile").read_bytes())
    for path in sorted(ROOT.rglob("*")):
        rel = path.relative_to(ROOT)
        if path.is_file() and not _ignored(rel, patterns):
            h.update(str(rel).encode() + b"\0" + path.read_bytes() + b"\0")
    return h.hexdigest()[:16]


def ensure_base_image() -> None:
    if podman("image", "exists", BASE, check=False).returncode == 0:
        return
    rootfs = CACHE / "rootfs"
    if not (rootfs / "usr/bin/apt-get").exists():
        tmp = CACHE / "rootfs.tmp"
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run(["debootstrap", "--variant=minbase", "bookworm", str(tmp), "http://deb.debian.org/debian"],
                       check=True, capture_output=True, timeout=900)
        tmp.rename(rootfs)
    tar = subprocess.Popen(["tar", "-C", str(rootfs), "-c", "."], stdout=subprocess.PIPE)
    podman("import", "-", BASE, stdin=tar.stdout)
    assert tar.wait() == 0


def ensure_app_image() -> str:
    tag = f"{IMAGE}:{build_context_hash()}"
    if podman("image", "exists", tag, check=False).returncode == 0:
        print(f"[container] {tag} already built (nothing changed)")
        return tag
    # This machine reaches PyPI and npm through a TLS-inspecting proxy: its CA bundle for the build stage.
    ca = ["-v", f"{HOST_CA}:/run/host-ca.crt:ro", "--build-arg", "CA_BUNDLE=/run/host-ca.crt"] \
        if Path(HOST_CA).exists() else []
    podman("build", "--isolation=chroot", "--pull=never", "--format", "docker", *ca, "-t", tag, "-f",
           str(ROOT / "Containerfile"), str(ROOT), timeout=3000)
    # Older builds of this image: removed, they only take disk.
    for old in podman("images", "--format", "{{.Repository}}:{{.Tag}}", IMAGE).stdout.split():
        if old != tag:
            podman("rmi", old, check=False)
    return tag


class ContainerApp:
    """What tests/browser/capture_flow.py's helpers need of an app: url, env, data_dir (the volume)."""

    def __init__(self, name: str, url: str, data_dir: Path):
        self.name, self.url, self.data_dir = name, url, data_dir
        self.env = {"IDV_DATABASE_URL": f"sqlite:///{data_dir / 'identity.db'}"}

    def exec(self, *args: str, env: dict[str, str] | None = None) -> str:
        flags = [f for k, v in (env or {}).items() for f in ("-e", f"{k}={v}")]
        return podman("exec", *flags, self.name, *args, timeout=180).stdout

    def give_back_volume(self) -> None:
        """Files this test's own SQLite connection may have created in the volume go back to the image's user."""
        for path in [self.data_dir, *self.data_dir.rglob("*")]:
            os.lchown(path, UID, UID)


def wait_healthy(name: str, url: str, timeout: float = 300) -> float:
    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout:
        state = podman("inspect", "--format", "{{.State.Status}}", name, check=False).stdout.strip()
        if state != "running":
            raise AssertionError(f"the container is {state}:\n{podman('logs', name, check=False).stdout[-4000:]}")
        # The image's HEALTHCHECK, run now (no systemd timer here to run it every interval).
        if podman("healthcheck", "run", name, check=False).returncode == 0:
            with urllib.request.urlopen(url + "/api/health", timeout=5) as r:
                assert r.status == 200
            return time.monotonic() - t0
        time.sleep(0.5)
    raise AssertionError(f"not healthy after {timeout} s:\n{podman('logs', name, check=False).stdout[-4000:]}")


def sign_in_first_time(page, url: str) -> None:
    """Password, then TOTP enrolment (the owner made with the CLI has none yet), into the console."""
    page.goto(url + "/signin")
    fill(page, "Email", OWNER_EMAIL)
    fill(page, "Password", OWNER_PASSWORD)
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", name="Set up two-factor authentication")).to_be_visible()
    expect(page.locator("#totp-secret")).to_have_text(re.compile(r"[A-Z2-7]{16,}"))
    fill(page, "Code from the app", pyotp.TOTP(page.locator("#totp-secret").inner_text().strip()).now())
    page.get_by_role("button", name="Confirm and continue").click()
    expect(page.get_by_role("heading", name="Save your recovery codes")).to_be_visible()
    page.get_by_role("button", name="I have saved them").click()
    expect(page.get_by_role("heading", name="Applications")).to_be_visible()


@pytest.fixture(scope="module")
def container_app(tmp_path_factory):
    if shutil.which("podman") is None or os.geteuid() != 0:
        pytest.fail("the container test needs root and podman: run `scripts/install.sh --dev` as root "
                    "(or skip it with -m 'not container')")
    t_all = time.monotonic()
    with Phase("base image (debootstrap, import; cached)"):
        ensure_base_image()
    with Phase("app image (podman build; cached by content hash)"):
        tag = ensure_app_image()
    size = int(podman("image", "inspect", "--format", "{{.Size}}", tag).stdout.strip())
    print(f"[container] image {tag}: {size / 1e6:.0f} MB")

    tmp = tmp_path_factory.mktemp("container")
    data = tmp / "data"
    data.mkdir()
    (tmp / "worker.log").write_text("(the container's log is printed at the end of the test)\n")
    os.chown(data, UID, UID)
    data.chmod(0o700)
    key = tmp / "secret"
    key.write_text(secrets.token_urlsafe(48))
    name = f"idv-test-{os.getpid()}"
    podman("secret", "rm", name, check=False)
    podman("secret", "create", name, str(key))
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {**TEST_ENV, "IDV_PUBLIC_BASE_URL": url, "IDV_SECRET_KEY_FILE": "/run/secrets/idv_secret_key"}
    try:
        with Phase("start to healthy"):
            # Limits this sandbox allows runc to set (podman's defaults are above its hard limits).
            podman("run", "-d", "--ulimit", "nofile=16384:16384", "--ulimit", "nproc=8192:8192", "--name", name, "-p", f"127.0.0.1:{port}:3000", "-v", f"{data}:/data",
                   "--secret", f"{name},target=idv_secret_key,uid={UID},mode=0400",
                   *[f for k, v in env.items() for f in ("-e", f"{k}={v}")], tag)
            healthy = wait_healthy(name, url)
        print(f"[container] start -> healthy: {healthy:.1f} s")
        yield ContainerApp(name, url, data)
    finally:
        logs = podman("logs", name, check=False)
        (tmp / "container.log").write_text(logs.stdout + logs.stderr)
        print(f"\n[container] last lines of its log ({tmp / 'container.log'}):\n{(logs.stdout + logs.stderr)[-2500:]}")
        podman("rm", "-f", "-t", "20", name, check=False, timeout=120)
        podman("secret", "rm", name, check=False)
        total = time.monotonic() - t_all
        print("\n[container] phases: " + ", ".join(f"{k} {v:.1f} s" for k, v in PHASES.items())
              + f"; whole test {total:.1f} s")


def test_the_container_serves_sign_in_and_a_whole_capture_on_its_port(container_app, playwright_driver, videos):
    app = container_app
    # Nothing runs as root inside; the key came from the mounted secret, not from the environment.
    assert app.exec("id", "-u").strip() == str(UID)
    assert "IDV_SECRET_KEY=" not in app.exec("env")
    assert app.exec("python", "-c", "from identity_app.settings import get_settings as g; "
                    "print(len(g().secret_key.get_secret_value()))").strip() == "64"
    with Phase("sign in (owner from the CLI, password + TOTP in the browser)"):
        app.exec("python", "-m", "identity_app.cli", "create-owner", "--email", OWNER_EMAIL, "--name", "Olive Owner",
                 env={"IDV_OWNER_PASSWORD": OWNER_PASSWORD})
        browser = playwright_driver.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            sign_in_first_time(open_page(browser, app.url + "/signin", DESKTOP), app.url)
        finally:
            browser.close()
    with Phase("capture through the port (document, liveness, checks in the container's worker)"):
        session_id, token = new_session(app, checks=NO_REVIEW)
        app.give_back_volume()
        try:
            vs = capture_by_link(app, playwright_driver, videos, f"{app.url}/s/{token}", session_id)
        finally:
            app.give_back_volume()
    checks = {c.type: c for c in checks_of(app, session_id)}
    assert vs.state == SessionState.COMPLETED
    assert set(checks) == {"LIVENESS", "ID_DOCUMENT_AUTHENTICITY", "ID_DOCUMENT_TEXT_DATA_CHECK",
                           "ID_DOCUMENT_FACE_MATCH"}
    assert all(c.state == CheckState.DONE and c.report["breakdown"] for c in checks.values())
    # The models inside the image answered: Tesseract read the MRZ, dlib matched the face, mediapipe saw it move.
    assert checks["LIVENESS"].recommendation == "APPROVE", checks["LIVENESS"].report
    assert checks["ID_DOCUMENT_TEXT_DATA_CHECK"].recommendation == "APPROVE", checks["ID_DOCUMENT_TEXT_DATA_CHECK"].report
    assert any(s["sub_check"] == "ai_face_match" for s in checks["ID_DOCUMENT_FACE_MATCH"].report["breakdown"])
    # The key is a read-only mounted secret: rotate-secret refuses before changing anything, and says why.
    refused = podman("exec", app.name, "python", "-m", "identity_app.cli", "rotate-secret", check=False, timeout=180)
    assert refused.returncode == 1 and "IDV_SECRET_KEY_FILE=/run/secrets/idv_secret_key" in refused.stderr \
        and "cannot write" in refused.stderr, refused.stderr
    assert not (app.data_dir / "secret-rotation.json").exists()
