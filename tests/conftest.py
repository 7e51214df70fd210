"""Shared fixtures: real databases (SQLite always, PostgreSQL when reachable)
migrated with the committed Alembic revisions, and real media storage."""
from __future__ import annotations

import os
import tempfile
import uuid
from pathlib import Path

import pytest

# Settings are read from the environment: point everything at a throw-away folder
# before any application module reads them.
_TMP = Path(tempfile.mkdtemp(prefix="idv-tests-"))
os.environ.setdefault("IDV_ENV", "test")
os.environ.setdefault("IDV_SECRET_KEY", "test-secret-key-" + "x" * 40)
os.environ.setdefault("IDV_DATA_DIR", str(_TMP / "data"))
os.environ.setdefault("OMP_THREAD_LIMIT", "1")

ROOT = Path(__file__).resolve().parent.parent
SHARED_DATA = (ROOT / ".." / "shared" / "data").resolve()
PG_ADMIN_URL = os.environ.get("IDV_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")


def shared_data(folder: str) -> Path:
    """A folder of ../shared/data, or skip the test with a clear message."""
    path = SHARED_DATA / folder
    if not path.is_dir():
        pytest.skip(f"evaluation data {path} is absent (see ../shared/data/README.md)")
    return path


def _pg_available() -> bool:
    try:
        import psycopg

        with psycopg.connect(PG_ADMIN_URL, connect_timeout=2):
            return True
    except Exception:
        return False


@pytest.fixture(scope="session")
def pg_url():
    """A fresh PostgreSQL database for this test run, dropped at the end."""
    if not _pg_available():
        if os.environ.get("CI"):
            pytest.fail(f"PostgreSQL is not reachable at {PG_ADMIN_URL}")
        pytest.skip(f"PostgreSQL is not reachable at {PG_ADMIN_URL}")
    import psycopg

    name = f"idv_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    yield f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _migrated_engine(url: str):
    from identity_app.db import make_engine
    from identity_app.migrations import upgrade

    upgrade(url)
    return make_engine(url)


def _truncate(engine) -> None:
    from sqlmodel import SQLModel

    with engine.begin() as conn:
        for table in reversed(SQLModel.metadata.sorted_tables):
            conn.execute(table.delete())


@pytest.fixture(scope="session")
def sqlite_engine(tmp_path_factory):
    url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"
    engine = _migrated_engine(url)
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def postgresql_engine(pg_url):
    engine = _migrated_engine(pg_url)
    yield engine
    engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request):
    """Each test that takes `engine` or `db` runs on both databases, from empty."""
    eng = request.getfixturevalue(f"{request.param}_engine")
    _truncate(eng)
    return eng


@pytest.fixture
def db(engine):
    from sqlmodel import Session

    with Session(engine, expire_on_commit=False) as session:
        yield session
        session.rollback()


@pytest.fixture
def settings():
    from identity_app.settings import get_settings

    return get_settings()


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def s3_endpoint():
    """A real S3-protocol server (moto's standalone server) on loopback."""
    import socket
    import subprocess
    import sys
    import time

    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    for _ in range(200):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            time.sleep(0.1)
    yield url
    proc.terminate()
    proc.wait(timeout=10)


def make_bucket(endpoint: str) -> str:
    import boto3

    bucket = f"media-{uuid.uuid4().hex[:12]}"
    boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="test",
                 aws_secret_access_key="test").create_bucket(Bucket=bucket)
    return bucket


FAST_FOLDERS = ("unit", "checks", "services")


def pytest_collection_modifyitems(config, items):
    """The fast tier (`pytest -m fast`, under a minute): tests in tests/unit, tests/checks and
    tests/services, on SQLite only, minus modules marked slow (real models and images, processes,
    many password hashes). The browser, security and PostgreSQL tiers are everything else."""
    for item in items:
        folder = item.path.parent.name
        on_postgresql = "postgresql" in getattr(item, "callspec", None).params.values() \
            if getattr(item, "callspec", None) else False
        if folder in FAST_FOLDERS and not on_postgresql and item.get_closest_marker("slow") is None:
            item.add_marker("fast")
