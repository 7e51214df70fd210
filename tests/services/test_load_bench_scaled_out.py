"""`bench load --scaled-out` runs end to end: PostgreSQL, Redis and S3 (moto's server) with 2 web
processes and 2 check workers, 2 people capturing and 1 operator for a few seconds, no errors, and it
drops what it made (its PostgreSQL database and its two Redis databases)."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import PG_ADMIN_URL

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
SHARED = (ROOT / ".." / "shared" / "data").resolve()


def _bench_databases() -> set[str]:
    import psycopg

    with psycopg.connect(PG_ADMIN_URL) as conn:
        return {r[0] for r in conn.execute("SELECT datname FROM pg_database WHERE datname LIKE 'idv_bench_%'")}


def test_two_people_and_an_operator_scaled_out(tmp_path, pg_url):  # pg_url: PostgreSQL answers
    if not (SHARED / "liveness-pose-eyes-insightface").is_dir():
        pytest.skip(f"evaluation data missing: {SHARED} (see ../shared/data/README.md)")
    before = _bench_databases()
    out = tmp_path / "report.json"
    done = subprocess.run([sys.executable, "-m", "identity_app.cli", "bench", "load", "--scaled-out", "--users", "2",
                           "--operators", "1", "--seconds", "25", "--json", str(out)],
                          cwd=ROOT, capture_output=True, text=True, timeout=400)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    [report] = json.loads(out.read_text())
    assert report["errors"] == {} and report["setup"].startswith("scaled out: 2 web, 2 worker")
    steps = report["steps"]
    for step in ("open link", "consent", "document upload", "liveness start", "liveness frames (feedback)",
                 "operator sign in", "sessions list (HTTP)", "sessions list (websocket)", "media item (HTTP)"):
        assert steps[step]["count"] >= 1, step
    assert report["drain_s"] is not None
    assert "[scaled out: 2 web" in done.stdout
    assert _bench_databases() <= before  # its database dropped
