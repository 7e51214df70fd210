"""The liveness start route admits people up to the capacity; the next one gets WAIT (503) with
a place in line, an estimate and a message in the session's language, and starts once a place
is free (here: the first person's attempt finishes)."""
from __future__ import annotations

import pytest
from starlette.testclient import TestClient

from identity_app.db import session_scope
from identity_app.migrations import upgrade
from identity_app.services.capture import flow as capture
from identity_app.services.sessions import links
from identity_app.settings import get_settings
from identity_app.web import capture_routes
from identity_app.web.capture_admission import LiveAdmission
from tests import seed


@pytest.fixture
def two_links(monkeypatch):
    upgrade(get_settings().database_url)
    from tests.conftest import _truncate
    from identity_app.db import get_engine

    _truncate(get_engine())
    with session_scope() as db:
        owner = seed.owner(db)
        app_id = seed.new_app(db, owner)
        tokens = []
        for name in ("Ada Lovelace", "Grace Hopper"):
            link = links.create_session(db, actor=owner, application_id=app_id, user_name=name,
                                        user_email=f"{name.split()[0].lower()}@example.com")
            capture.give_consent(db, token=link.token)
            tokens.append(link.token)
    monkeypatch.setattr(capture_routes, "_live", LiveAdmission(1))
    from identity_app.web.api import api_app

    return TestClient(api_app()), tokens


def test_the_second_person_waits_with_a_place_then_starts(two_links):
    client, (first, second) = two_links
    started = client.post(f"/api/capture/{first}/liveness")
    assert started.status_code == 200 and started.json()["ok"]
    wait = client.post(f"/api/capture/{second}/liveness")
    assert wait.status_code == 503 and wait.headers["Retry-After"] == "3"
    body = wait.json()
    assert body["code"] == "WAIT" and body["position"] == 1 and body["wait_s"] >= 3
    assert "number 1 in line" in body["message"]
    rid = started.json()["resource_id"]
    assert client.post(f"/api/capture/{first}/liveness/{rid}/finish").json()["ok"]
    assert client.post(f"/api/capture/{second}/liveness").json()["ok"]


def test_a_turn_begins_with_the_document_cameras_first_frame(two_links):
    client, (first, second) = two_links
    frame = b"\xff\xd8 not decoded: refused for its content once admitted"
    assert client.post(f"/api/capture/{first}/quality", content=frame).status_code != 503
    for route in ("quality", "document"):
        wait = client.post(f"/api/capture/{second}/{route}", content=frame)
        assert wait.status_code == 503 and wait.json()["code"] == "WAIT" and wait.json()["position"] == 1
