"""/metrics and /api/ready through the app's real routes (web/api.py), in process on the app's own
database: the Prometheus text format line by line, the figures against the rows behind them, capture
refusals counted by code, no personal data, who may read the metrics, and readiness failing on
each of the database, the queue and the storage while liveness stays up."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from pydantic import SecretStr
from starlette.testclient import TestClient

from identity_app import jobs
from identity_app.db import get_engine, make_engine, session_scope
from identity_app.migrations import upgrade
from identity_app.models import Check, CheckState, MediaKind, utcnow
from identity_app.services import doorway
from identity_app.services.capture.media import store_session_media
from identity_app.services.sessions import links
from identity_app.settings import get_settings
from identity_app.storage import LocalMediaStore, get_media_store
from tests import seed

LOOPBACK = ("127.0.0.1", 40000)
SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{([a-zA-Z_][a-zA-Z0-9_]*="(\\.|[^"\\])*",?)*\})? '
                    r'(-?[0-9]+(\.[0-9]+)?(e[+-]?[0-9]+)?|\+Inf|NaN)$')


@pytest.fixture(scope="module")
def world():
    upgrade(get_settings().database_url)
    from tests.conftest import _truncate

    _truncate(get_engine())
    with session_scope() as db:
        owner = seed.owner(db)
        app_id = seed.new_app(db, owner)
        link = links.create_session(db, actor=owner, application_id=app_id, user_name="Ada Lovelace",
                                    user_email="ada@example.com")
        now = utcnow()
        db.add(Check(session_id=link.id, type="LIVENESS", state=CheckState.DONE, recommendation="REJECT",
                     reason="SPOOF_SUSPECTED", created_at=now - timedelta(seconds=40), completed_at=now))
        db.add(Check(session_id=link.id, type="LIVENESS", state=CheckState.DONE, recommendation="APPROVE",
                     created_at=now - timedelta(seconds=3), completed_at=now))
        db.add(Check(session_id=link.id, type="FACE_MATCH", state=CheckState.PENDING,
                     created_at=now - timedelta(seconds=90)))
        store_session_media(db, get_media_store(), session_id=link.id, kind=MediaKind.LIVENESS_FRAME,
                            data=b"\xff\xd8frame", content_type="image/jpeg", captured_ms=0, analysis={"yaw": 1.0})
    from identity_app.web.api import api_app

    return api_app(), link.token


def parse(text: str) -> dict[str, float]:
    """Every sample as 'name{labels}' -> value, checking each line's format and that every sample's
    family was announced by HELP and TYPE first."""
    announced, samples = set(), {}
    for line in text.splitlines():
        if line.startswith("# HELP ") or line.startswith("# TYPE "):
            announced.add(line.split()[2])
            continue
        m = SAMPLE.match(line)
        assert m, f"not a Prometheus sample line: {line!r}"
        family = re.sub(r"_(bucket|sum|count)$", "", m.group(1))
        assert family in announced or m.group(1) in announced, line
        name_labels, value = line.rsplit(" ", 1)
        samples[name_labels] = float(value)
    return samples


def test_metrics_from_loopback_in_the_text_format_with_the_figures_of_the_rows(world):
    app, token = world
    client = TestClient(app, client=LOOPBACK)
    refused = client.post(f"/api/capture/{token}/liveness")  # no consent given yet: refused with a code
    assert refused.status_code >= 400
    code = refused.json()["code"]
    r = client.get("/metrics")
    assert r.status_code == 200 and r.headers["content-type"] == "text/plain; version=0.0.4; charset=utf-8"
    m = parse(r.text)
    assert m['idv_sessions{state="ONGOING"}'] == 1 and m['idv_sessions{state="EXPIRED"}'] == 0
    assert m['idv_check_duration_seconds_count{check="LIVENESS"}'] == 2
    assert m['idv_check_duration_seconds_bucket{check="LIVENESS",le="5"}'] == 1
    assert m['idv_check_duration_seconds_bucket{check="LIVENESS",le="60"}'] == 2
    assert m['idv_check_duration_seconds_bucket{check="LIVENESS",le="+Inf"}'] == 2
    assert 42 <= m['idv_check_duration_seconds_sum{check="LIVENESS"}'] <= 44
    assert m['idv_check_refusals{check="LIVENESS",recommendation="REJECT",reason="SPOOF_SUSPECTED"}'] == 1
    assert m["idv_liveness_frames_analysed"] == 1
    assert m["idv_queue_depth"] == jobs.queue_depth()
    assert m['idv_work_waiting{kind="session_checks"}'] == 1
    assert 90 <= m['idv_work_oldest_age_seconds{kind="session_checks"}'] < 200
    assert m['idv_work_oldest_age_seconds{kind="webhook_delivery"}'] == 0
    assert m[f'idv_capture_refusals_total{{code="{code}"}}'] >= 1
    before = m[f'idv_capture_refusals_total{{code="{code}"}}']
    client.post(f"/api/capture/{token}/liveness")
    assert parse(client.get("/metrics").text)[f'idv_capture_refusals_total{{code="{code}"}}'] == before + 1
    for personal in ("Ada", "ada@example.com", token):
        assert personal not in r.text
    # Admission: its places now, who is admitted, who waits (nobody captured yet here).
    assert m["idv_live_capture_places"] >= 1
    assert m["idv_live_capture_streaming"] == 0 and m["idv_live_capture_waiting"] == 0


def test_metrics_need_loopback_without_a_proxy_or_the_token(world, monkeypatch):
    app, _ = world
    assert TestClient(app).get("/metrics").status_code == 403  # the test client's address is not loopback
    loop = TestClient(app, client=LOOPBACK)
    assert loop.get("/metrics", headers={"X-Forwarded-For": "203.0.113.9"}).status_code == 403
    assert TestClient(app, client=("::1", 1)).get("/metrics").status_code == 200
    assert TestClient(app).get("/metrics", headers={"Authorization": "Bearer anything"}).status_code == 403
    monkeypatch.setattr(get_settings(), "metrics_token", SecretStr("m" * 32))
    remote = TestClient(app, client=("198.51.100.7", 1))
    assert remote.get("/metrics", headers={"Authorization": "Bearer " + "m" * 32}).status_code == 200
    assert remote.get("/metrics", headers={"Authorization": "Bearer " + "m" * 31}).status_code == 403
    assert remote.get("/metrics").status_code == 403


def test_ready_when_database_queue_and_storage_answer_and_not_when_one_does_not(world, monkeypatch, tmp_path):
    app, _ = world
    client = TestClient(app)
    r = client.get("/api/ready")
    assert r.status_code == 200 and r.json()["status"] == "ready"
    assert {k: v["ok"] for k, v in r.json()["checks"].items()} == {"database": True, "queue": True, "storage": True}

    gone = LocalMediaStore(tmp_path / "media", "k" * 40)
    (tmp_path / "media").rmdir()
    with monkeypatch.context() as mp:
        mp.setattr(doorway, "get_media_store", lambda: gone)
        r = client.get("/api/ready")
        assert r.status_code == 503 and r.json()["checks"]["storage"]["ok"] is False
    with monkeypatch.context() as mp:
        def no_queue() -> int:
            raise ConnectionError("redis is down")

        mp.setattr(jobs, "queue_depth", no_queue)
        r = client.get("/api/ready")
        assert r.status_code == 503
        assert r.json()["checks"]["queue"]["ok"] is False and r.json()["checks"]["database"]["ok"] is True
        assert "redis" not in r.text
    dead = make_engine("postgresql+psycopg://nobody@127.0.0.1:1/none?connect_timeout=2")
    with monkeypatch.context() as mp:
        mp.setattr(doorway, "session_scope", lambda: session_scope(dead))
        r = client.get("/api/ready")
        assert r.status_code == 503 and r.json()["checks"]["database"]["ok"] is False
        assert client.get("/api/health").status_code == 200  # liveness: the process still serves
    assert client.get("/api/ready").status_code == 200
