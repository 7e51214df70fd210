"""The load benchmark (identity_app/bench) runs end to end on an app of its own: 2 people capturing
and 1 operator for a few seconds, no errors, and a report with every step it measures."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
SHARED = (ROOT / ".." / "shared" / "data").resolve()


def test_two_people_and_an_operator(tmp_path):
    if not (SHARED / "liveness-pose-eyes-insightface").is_dir():
        pytest.skip(f"evaluation data missing: {SHARED} (see ../shared/data/README.md)")
    out = tmp_path / "report.json"
    done = subprocess.run([sys.executable, "-m", "identity_app.cli", "bench", "load", "--users", "2",
                           "--operators", "1", "--seconds", "25", "--json", str(out)],
                          cwd=ROOT, capture_output=True, text=True, timeout=115)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    [report] = json.loads(out.read_text())
    assert report["errors"] == {}
    assert report["users"] == 2 and report["operators"] == 1 and report["flows_started"] >= 2
    steps = report["steps"]
    for step in ("open link", "consent", "document quality hint", "document upload", "liveness start",
                 "liveness frames (feedback)",
                 "operator sign in", "sessions list (HTTP)", "sessions list (websocket)",
                 "session detail (websocket)", "media item (HTTP)"):
        assert steps[step]["count"] >= 1, step
        assert 0 < steps[step]["p50_ms"] <= steps[step]["p95_ms"] <= steps[step]["max_ms"], step
    assert report["drain_s"] is not None and report["feedback_p95_ms"] > 0
    lag = steps["load generator's own lag (probe)"]  # the reader's own lateness, printed beside the figures
    assert lag["count"] >= 100 and 0 <= lag["p50_ms"] <= lag["p95_ms"] <= lag["max_ms"]
    assert 1 <= report["streaming_max"] <= 2  # people streaming at one time: counted, never above the people
    assert 2 <= report["places"][0] <= report["places"][1]  # the admission's places, read off /metrics
    assert "live feedback p95" in done.stdout and "check backlog drained" in done.stdout
