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
        "REFLEX_STATES_WORKDIR": str(folder / "ui-state"),  # not the caller's: each reflex clears it at start
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


# ------------------------------------------------------------------ scaled out


@dataclass
class ScaledApp:
    """`webs` web processes (each its own port), `workers` check workers, on PostgreSQL, Redis and S3."""
    urls: list[str]
    env: dict[str, str]
    procs: list[subprocess.Popen]
    folder: Path
    cleanups: list

    @property
    def url(self) -> str:
        return self.urls[0]

    def stop(self) -> None:
        for p in self.procs:
            if p.poll() is None:
                os.killpg(p.pid, signal.SIGTERM)
        for p in self.procs:
            try:
                p.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, signal.SIGKILL)
                p.wait(timeout=10)
        for cleanup in reversed(self.cleanups):
            try:
                cleanup()
            except Exception as exc:  # noqa: BLE001 - the others must still run
                print(f"cleanup failed: {exc}", file=sys.stderr)


def _empty_redis_dbs(base: str, count: int) -> list[str]:
    import redis

    found = []
    for db in range(15, 0, -1):
        url = f"{base.rstrip('/')}/{db}"
        if redis.Redis.from_url(url, socket_timeout=2).dbsize() == 0:
            found.append(url)
            if len(found) == count:
                return found
    raise RuntimeError(f"fewer than {count} empty Redis databases at {base}")


def _wait_port(port: int, proc: subprocess.Popen, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"a process on port {port} exited early")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"nothing listens on port {port}")


def start_scaled_out(folder: Path, *, webs: int = 2, workers: int = 2, worker_processes: int = 1, granian_workers: int = 1,
                     extra_env: dict[str, str] | None = None,
                     pg_admin_url: str = "postgresql://postgres@127.0.0.1:5432/postgres",
                     redis_base: str = "redis://127.0.0.1:6379") -> ScaledApp:
    """The compose.yaml setup on this machine: a PostgreSQL database of its own, the check queue and
    Reflex's UI state in two empty Redis databases, media on an S3 server (moto's standalone server,
    which speaks the protocol), migrated once; then `webs` web processes (backend only, one granian
    worker each, 127.0.0.1, ports of their own) and `workers` check workers of `worker_processes`
    consumer processes each. The web processes' image pools share the cores (IDV_IMAGE_WORKERS: cores //
    webs each) and serve each other's frames over Redis. Everything it made is dropped by stop()."""
    import boto3
    import psycopg
    import redis

    cleanups: list = []
    procs: list[subprocess.Popen] = []
    app = ScaledApp([], {}, procs, folder, cleanups)
    try:
        name = f"idv_bench_{secrets.token_hex(4)}"
        with psycopg.connect(pg_admin_url, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')

        def drop_database() -> None:
            with psycopg.connect(pg_admin_url, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        cleanups.append(drop_database)
        database_url = pg_admin_url.rsplit("/", 1)[0] + "/" + name
        queue_url, state_url = _empty_redis_dbs(redis_base, 2)
        for url in (queue_url, state_url):
            redis.Redis.from_url(url).set("idv.bench.claimed", "1")  # not empty any more for a parallel run
            cleanups.append(lambda url=url: redis.Redis.from_url(url).flushdb())

        s3_port = free_port()
        moto = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(s3_port)],
                                stdout=(folder / "s3.log").open("wb"), stderr=subprocess.STDOUT,
                                start_new_session=True)
        procs.append(moto)
        _wait_port(s3_port, moto)
        endpoint, bucket = f"http://127.0.0.1:{s3_port}", "idv-bench-media"
        boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="bench",
                     aws_secret_access_key="bench").create_bucket(Bucket=bucket)

        ports = [free_port() for _ in range(webs)]
        shared = {
            "IDV_DATABASE_URL": database_url, "IDV_QUEUE_URL": queue_url, "REFLEX_REDIS_URL": state_url,
            "IDV_MEDIA_BACKEND": "s3", "IDV_S3_BUCKET": bucket, "IDV_S3_ENDPOINT_URL": endpoint,
            "IDV_S3_ACCESS_KEY_ID": "bench", "IDV_S3_SECRET_ACCESS_KEY": "bench",
            "GRANIAN_WORKERS": str(granian_workers), "IDV_WORKERS": str(worker_processes),
            # Frames go to any web process's frame workers (frame_service.py), so the machine's image
            # children are shared: one per core in all, not one per core in each web process.
            "IDV_IMAGE_WORKERS": str(max(1, (os.cpu_count() or 1) // max(1, webs))),
            **(extra_env or {}),
        }
        env = app_env(folder, ports[0], shared)
        app.env = env
        python = sys.executable
        subprocess.run([python, "-m", "identity_app.cli", "migrate"], cwd=ROOT, env=env, check=True,
                       capture_output=True, timeout=180)
        reflex = str(Path(python).parent / "reflex")
        for i, port in enumerate(ports):
            web_env = {**env, "IDV_PORT": str(port), "IDV_PUBLIC_BASE_URL": f"http://127.0.0.1:{port}",
                       "REFLEX_WEB_WORKDIR": str(folder / f"web-{i}"),
                       # one each: two reflex processes clearing one folder at start raced (FileNotFoundError)
                       "REFLEX_STATES_WORKDIR": str(folder / f"ui-state-{i}")}
            procs.append(subprocess.Popen(
                [reflex, "run", "--env", "prod", "--backend-only", "--backend-host", "127.0.0.1",
                 "--backend-port", str(port)],
                cwd=ROOT, env=web_env, stdout=(folder / f"web-{i}.log").open("wb"), stderr=subprocess.STDOUT,
                start_new_session=True))
            app.urls.append(f"http://127.0.0.1:{port}")
        for i in range(workers):
            procs.append(subprocess.Popen([python, "-m", "identity_app.worker"], cwd=ROOT, env=env,
                                          stdout=(folder / f"worker-{i}.log").open("wb"),
                                          stderr=subprocess.STDOUT, start_new_session=True))
        deadline = time.monotonic() + START_TIMEOUT_S
        waiting = list(app.urls)
        while waiting and time.monotonic() < deadline:
            if any(p.poll() is not None for p in procs):
                logs = "".join((folder / f).read_text(errors="replace")[-1500:] for f in os.listdir(folder)
                               if f.endswith(".log"))
                raise RuntimeError("a process exited early:\n" + logs)
            try:
                with urllib.request.urlopen(waiting[0] + "/api/health", timeout=2) as r:
                    if r.status == 200:
                        waiting.pop(0)
                        continue
            except OSError:
                pass
            time.sleep(0.5)
        if waiting:
            raise RuntimeError(f"{waiting} did not answer /api/health in time")
        return app
    except BaseException:
        app.stop()
        raise
