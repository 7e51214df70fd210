"""The console's HTTP routes: the application logo (operator cookie or a session
link of that application) and the CSV export (operator cookie only)."""
from __future__ import annotations

import io

import pyotp
import pytest
from PIL import Image
from starlette.testclient import TestClient

from identity_app.db import get_engine, session_scope
from identity_app.migrations import upgrade
from identity_app.services.applications import settings as app_settings
from identity_app.services.access import auth
from identity_app.services.sessions import links as sessions
from identity_app.settings import get_settings
from identity_app.web.cookies import SESSION
from identity_app.storage import get_media_store


@pytest.fixture(scope="module")
def world():
    """The app's own (settings) database, as the routes use it."""
    upgrade(get_settings().database_url)
    from tests.conftest import _truncate

    _truncate(get_engine())
    with session_scope() as db:
        owner = auth.create_owner(db, name="Olive", email="api-owner@example.com", password="a long password")
        app_id = app_settings_app(db, owner)
        other_id = app_settings_app(db, owner, "Other")
        buf = io.BytesIO()
        Image.new("RGB", (40, 20), (10, 120, 200)).save(buf, format="PNG")
        app_settings.upload_logo(db, get_media_store(), actor=owner, application_id=app_id, data=buf.getvalue())
        link = sessions.create_session(db, actor=owner, application_id=app_id, user_name="Ada",
                                       user_email="ada@example.com")
        other = sessions.create_session(db, actor=owner, application_id=other_id, user_name="Bob",
                                        user_email="bob@example.com")
        step = auth.sign_in_password(db, email="api-owner@example.com", password="a long password")
        enrol = auth.start_enrolment(db, token_hash=step.token_hash)
        token = auth.confirm_enrolment(db, token_hash=step.token_hash, code=pyotp.TOTP(enrol.secret).now()).token
    from identity_app.web.api import api_app

    return TestClient(api_app()), app_id, link.token, other.token, token


def app_settings_app(db, owner, name="Acme"):
    from identity_app.services.applications import registry as applications

    return applications.create_application(db, actor=owner, name=name).id


def test_the_logo_is_served_to_a_session_link_of_its_application_only(world):
    client, app_id, token, other_token, _ = world
    ok = client.get(f"/api/applications/{app_id}/logo", params={"session": token})
    assert ok.status_code == 200 and ok.headers["content-type"] == "image/png"
    assert Image.open(io.BytesIO(ok.content)).size == (40, 20)
    assert client.get(f"/api/applications/{app_id}/logo", params={"session": other_token}).status_code == 404
    assert client.get(f"/api/applications/{app_id}/logo", params={"session": "nope"}).status_code == 404
    assert client.get(f"/api/applications/{app_id}/logo").status_code == 403


def test_the_export_needs_a_signed_in_operator(world):
    client, app_id, _, _, cookie = world
    assert client.get(f"/api/applications/{app_id}/sessions.csv").status_code == 401
    client.cookies.set(SESSION.name, cookie)
    try:
        r = client.get(f"/api/applications/{app_id}/sessions.csv", params={"q": "ada"})
        assert r.status_code == 200 and r.headers["cache-control"] == "no-store"
        assert r.text.lstrip("\ufeff").splitlines()[1].split(",")[1:3] == ["Ada", "ada@example.com"]
        assert client.get(f"/api/applications/{app_id}/sessions.csv", params={"from": "soon"}).status_code == 400
        assert client.get(f"/api/applications/{app_id}/logo").status_code == 200
    finally:
        client.cookies.clear()
