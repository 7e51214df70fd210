"""Scripts run in an interpreter of their own. The worker module binds its queue from the settings
at import, so a test of the queue gives each run settings of its own (a data folder, a queue URL)."""
from __future__ import annotations

import random
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# A migrated database with one session whose user gave consent: `sid`, `token`.
CONSENTED_SESSION = textwrap.dedent("""
    from identity_app.db import session_scope
    from identity_app.migrations import upgrade
    from identity_app.services.capture import flow as capture
    from identity_app.settings import get_settings
    from tests import capture_media as cm
    from tests.services.session_factory import make_session

    upgrade(get_settings().database_url)
    with session_scope() as db:
        vs = make_session(db)
        capture.give_consent(db, token=vs.token)
        sid, token = vs.id, vs.token
""")


def run_script(script: str, tmp_path: Path, env_extra: dict[str, str] | None = None) -> str:
    """Run `script` with its data under tmp_path; its standard output (it must succeed)."""
    env = {"PATH": "/usr/bin:/bin", "IDV_ENV": "test", "IDV_SECRET_KEY": "test-secret-key-" + "x" * 40,
           "IDV_DATA_DIR": str(tmp_path / "data"), "OMP_THREAD_LIMIT": "1", "PYTHONPATH": str(ROOT),
           **(env_extra or {})}
    out = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True,
                         timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    return out.stdout


def redis_queue_url() -> str:
    """A database of the local Redis (its number random, so runs side by side rarely meet)."""
    import redis

    url = f"redis://127.0.0.1:6379/{random.randint(1, 15)}"
    try:
        redis.Redis.from_url(url, socket_timeout=2).ping()
    except redis.RedisError:
        pytest.fail("Redis is not reachable at 127.0.0.1:6379")
    return url
