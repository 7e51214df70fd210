"""The Integrations tab's HTTP routes (web/integration_routes.py): the only way its secrets reach
the browser. They answer the secret once to an operator who manages the application, refuse
everyone else at the service (whatever the page shows), refuse cross-site posts, say what is
wrong with bad input, and every action is on the audit trail."""
from __future__ import annotations

import pyotp
import pytest
from sqlmodel import select
from starlette.testclient import TestClient

from identity_app.db import get_engine, session_scope
from identity_app.migrations import upgrade
from identity_app.models import ApiKey, AuditAction, AuditEvent, SdkKey, WebhookEndpoint
from identity_app.services.access import auth
from identity_app.services.applications import registry as applications
from identity_app.settings import get_settings
from identity_app.web.cookies import SESSION
from tests import seed

OWNER, VIEWER = "routes-owner@example.com", "routes-viewer@example.com"


def _signed_in(db, email: str, password: str) -> str:
    step = auth.sign_in_password(db, email=email, password=password)
    enrol = auth.start_enrolment(db, token_hash=step.token_hash)
    return auth.confirm_enrolment(db, token_hash=step.token_hash, code=pyotp.TOTP(enrol.secret).now()).token


@pytest.fixture(scope="module")
def world():
    upgrade(get_settings().database_url)
    from tests.conftest import _truncate

    _truncate(get_engine())
    with session_scope() as db:
        owner = auth.create_owner(db, name="Olive", email=OWNER, password=seed.PASSWORD)
        app_id = applications.create_application(db, actor=owner, name="Acme").id
        seed.member(db, owner, app_id, VIEWER, ["VIEW_SESSIONS"])
        owner_cookie = _signed_in(db, OWNER, seed.PASSWORD)
        viewer_cookie = _signed_in(db, VIEWER, seed.PASSWORD)
    from identity_app.web.api import api_app

    return TestClient(api_app()), app_id, owner_cookie, viewer_cookie


def _post(client: TestClient, cookie: str, path: str, body: dict | None = None, **headers: str):
    client.cookies.set(SESSION.name, cookie)
    try:
        return client.post(path, json=body or {}, headers=headers)
    finally:
        client.cookies.clear()


def _actions() -> list[str]:
    with session_scope() as db:
        return list(db.exec(select(AuditEvent.action).order_by(AuditEvent.id)))  # type: ignore[arg-type]


def test_a_manager_gets_each_secret_once_and_every_action_is_audited(world):
    client, app_id, owner, _ = world
    key = _post(client, owner, f"/api/applications/{app_id}/api-keys", {"name": "CRM", "scopes": ["sessions:create"]})
    assert key.status_code == 200 and key.headers["cache-control"].startswith("no-store")
    token = key.json()["secret"]
    assert token.startswith("idv_") and key.json()["message"] == "API key 'CRM' created."
    hook = _post(client, owner, f"/api/applications/{app_id}/webhooks",
                 {"url": "https://hooks.example.com/idv", "topics": ["session.completed"]})
    assert hook.status_code == 200 and hook.json()["secret"].startswith("whsec_")
    with session_scope() as db:
        endpoint = db.exec(select(WebhookEndpoint)).one()
        assert token not in repr(db.exec(select(ApiKey)).one().model_dump())  # only its hash is kept
    rotated = _post(client, owner, f"/api/applications/{app_id}/webhooks/{endpoint.id}/secret")
    assert rotated.status_code == 200 and rotated.json()["secret"] not in (hook.json()["secret"], "")
    pem = _post(client, owner, f"/api/applications/{app_id}/sdk-keys")
    assert pem.status_code == 200 and pem.json()["secret"].startswith("-----BEGIN RSA PRIVATE KEY-----")
    with session_scope() as db:
        sdk = db.exec(select(SdkKey)).one()
    assert pem.json()["filename"] == f"{sdk.sdk_id}.pem" and "PRIVATE" not in sdk.public_key_pem
    made = (AuditAction.API_KEY_CREATED, AuditAction.WEBHOOK_CREATED, AuditAction.WEBHOOK_SECRET_ROTATED,
            AuditAction.SDK_KEY_CREATED)
    assert [a for a in _actions() if a in {m.value for m in made}] == [m.value for m in made]


def test_an_operator_without_the_manage_permission_is_refused_at_the_service(world):
    client, app_id, _, viewer = world
    before = len(_actions())
    for path in ("api-keys", "webhooks", "webhooks/1/secret", "sdk-keys"):
        r = _post(client, viewer, f"/api/applications/{app_id}/{path}",
                  {"name": "x", "scopes": ["sessions:create"], "url": "https://a.example.com", "topics": ["session.created"]})
        assert r.status_code == 403, (path, r.text)
        assert r.json()["ok"] is False and "secret" not in r.json()
    assert _post(client, "", f"/api/applications/{app_id}/sdk-keys").status_code == 401
    assert len(_actions()) == before


def test_cross_site_posts_and_bad_input_are_refused_with_a_clear_message(world):
    client, app_id, owner, _ = world
    cross = _post(client, owner, f"/api/applications/{app_id}/sdk-keys", **{"sec-fetch-site": "cross-site"})
    assert cross.status_code == 403
    path = f"/api/applications/{app_id}/api-keys"
    assert "Give the key a name" in _post(client, owner, path, {"name": " ", "scopes": ["sessions:create"]}).json()["message"]
    assert "Choose at least one scope" in _post(client, owner, path, {"name": "CRM"}).json()["message"]
    hooks = f"/api/applications/{app_id}/webhooks"
    assert "https://" in _post(client, owner, hooks, {"url": "http://hooks.example.com",
                                                      "topics": ["session.created"]}).json()["message"]
    assert "Choose at least one topic" in _post(client, owner, hooks, {"url": "https://hooks.example.com"}).json()["message"]
    assert _post(client, owner, f"/api/applications/{app_id + 99}/sdk-keys").status_code in (403, 404)
    client.cookies.set(SESSION.name, owner)
    try:
        assert client.post(path, content=b"not json").status_code == 400
    finally:
        client.cookies.clear()
