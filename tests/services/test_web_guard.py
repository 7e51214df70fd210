"""The guard around the whole backend (web/guard.py) and the sign-in cookie routes
(web/auth_routes.py), in process on the app's own database: secret cookies become
hashes the client cannot forge, the websocket never sees them, cookies carry the
right attributes, headers a browser enforces, Reflex's upload endpoint closed."""
from __future__ import annotations

import pyotp
import pytest
from starlette.testclient import TestClient

from identity_app.crypto import hash_token
from identity_app.db import get_engine, session_scope
from identity_app.migrations import upgrade
from identity_app.services.applications import registry as applications
from identity_app.services.access import auth, invitations
from identity_app.settings import get_settings
from identity_app.web import cookies
from identity_app.web.guard import WebGuard, script_hashes

PASSWORD = "a long password here"


@pytest.fixture(scope="module")
def signed():
    """An enrolled owner: (session token, pending token of a second sign-in, invitation token)."""
    upgrade(get_settings().database_url)
    from tests.conftest import _truncate

    _truncate(get_engine())
    with session_scope() as db:
        owner = auth.create_owner(db, name="Olive", email="guard-owner@example.com", password=PASSWORD)
        step = auth.sign_in_password(db, email="guard-owner@example.com", password=PASSWORD)
        enrol = auth.start_enrolment(db, token_hash=step.token_hash)
        session = auth.confirm_enrolment(db, token_hash=step.token_hash, code=pyotp.TOTP(enrol.secret).now())
        pending = auth.sign_in_password(db, email="guard-owner@example.com", password=PASSWORD)
        app = applications.create_application(db, actor=owner, name="Guarded")
        sent = invitations.invite(db, actor=owner, application_id=app.id, email="new@example.com",
                                  permissions=["VIEW_SESSIONS"])
    return session.token, pending.token, sent.link.rsplit("/", 1)[-1]


def api(https: bool = False) -> TestClient:
    from identity_app.web.api import api_app

    return TestClient(WebGuard(api_app(), https=https), base_url="http://testserver")


def seen_by_app(path: str, headers: dict) -> dict:
    """The headers an app behind the guard receives for a request."""
    seen: dict = {}

    async def echo(scope, receive, send):
        seen.update({k.decode(): v.decode() for k, v in scope["headers"]})
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    TestClient(WebGuard(echo)).get(path, headers=headers)
    return seen


def test_secret_cookies_reach_the_app_as_hashes_and_never_on_the_websocket():
    jar = "idv_session=tok-1; theme=dark; idv_device=dev-1"
    page = seen_by_app("/api/anything", {"Cookie": jar})
    assert page["x-idv-session"] == hash_token("tok-1") and page["x-idv-device"] == hash_token("dev-1")
    socket = seen_by_app("/_event/", {"Cookie": jar})
    assert socket["x-idv-session"] == hash_token("tok-1")
    assert socket["cookie"] == "theme=dark"  # the secrets themselves never reach Reflex's state
    forged = seen_by_app("/_event/", {"X-Idv-Session": hash_token("stolen"), "x-idv-pending": "x"})
    assert not any(k.startswith("x-idv-") for k in forged)


def test_a_stolen_hash_opens_nothing(signed):
    session_token, _, _ = signed
    client = api()
    assert client.get("/api/auth/recovery-codes", cookies={"idv_session": session_token}).json()["ok"]
    # The hash the UI state holds, sent as a header or as the cookie itself, is nobody.
    assert not client.get("/api/auth/recovery-codes", headers={"x-idv-session": hash_token(session_token)}).json()["ok"]
    assert not client.get("/api/auth/recovery-codes", cookies={"idv_session": hash_token(session_token)}).json()["ok"]


def test_cookies_are_httponly_strict_and_secure_behind_https(signed, monkeypatch):
    session_token, pending_token, _ = signed
    client = api()
    r = client.post("/api/auth/cookie", json={"kind": "session", "token": session_token})
    assert r.status_code == 204
    set_cookies = r.headers.get_list("set-cookie")
    session = next(c for c in set_cookies if c.startswith("idv_session=" + session_token))
    for attribute in ("HttpOnly", "SameSite=Strict", "Path=/"):
        assert attribute in session
    assert "Secure" not in session
    assert 0 < int(session.split("Max-Age=")[1].split(";")[0]) <= 24 * 3600
    assert any(c.startswith("idv_device=") and "HttpOnly" in c for c in set_cookies)  # a trusted browser now
    assert any(c.startswith("idv_pending=;") and "Max-Age=0" in c for c in set_cookies)

    monkeypatch.setattr(get_settings(), "public_base_url", "https://idv.example.com")
    r = api(https=True).post("/api/auth/cookie", json={"kind": "pending", "token": pending_token})
    assert r.status_code == 204
    assert all("Secure" in c for c in r.headers.get_list("set-cookie"))
    assert "max-age=" in r.headers["strict-transport-security"]


def test_only_live_tokens_from_our_own_pages_become_cookies(signed):
    session_token, pending_token, _ = signed
    client = api()
    for kind, token in (("session", "forged"), ("pending", session_token), ("session", pending_token),
                        ("admin", session_token)):
        r = client.post("/api/auth/cookie", json={"kind": kind, "token": token})
        assert r.status_code == 401 and not r.headers.get_list("set-cookie")
    cross = client.post("/api/auth/cookie", json={"kind": "session", "token": session_token},
                        headers={"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"})
    assert cross.status_code == 403 and not cross.headers.get_list("set-cookie")
    assert client.post("/api/auth/cookie", content=b"not json").status_code == 400
    assert client.post("/api/auth/cookie", content=b"x" * 100_000).status_code == 400


def test_an_invitation_link_becomes_a_cookie_and_leaves_the_url(signed):
    _, _, invitation = signed
    client = api()
    r = client.get(f"/invitation/{invitation}", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/invitation"
    invite = r.headers["set-cookie"]
    assert invite.startswith("idv_invite=" + invitation) and "HttpOnly" in invite and "SameSite=Lax" in invite
    bad = client.get("/invitation/forged-token", follow_redirects=False)
    assert bad.status_code == 303 and "Max-Age=0" in bad.headers["set-cookie"]


def test_headers_a_browser_enforces():
    client = api()
    r = client.get("/api/health")
    assert r.headers["x-frame-options"] == "DENY"
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["referrer-policy"] == "no-referrer"
    assert "frame-ancestors 'none'" in r.headers["content-security-policy"]
    assert "strict-transport-security" not in r.headers  # plain http: no HSTS


def test_a_not_modified_answer_keeps_the_cached_pages_policy():
    async def not_modified(scope, receive, send):
        await send({"type": "http.response.start", "status": 304, "headers": [(b"etag", b'"1"')]})
        await send({"type": "http.response.body", "body": b""})

    r = TestClient(WebGuard(not_modified)).get("/")
    assert r.status_code == 304 and "content-security-policy" not in r.headers


def test_inline_scripts_are_allowed_by_hash_only():
    html = b"<html><script>window.a=1</script><script src='/x.js'></script><script type=module>import '/y'</script>"
    found = script_hashes(html)
    assert len(found) == 2 and all(h.startswith("'sha256-") for h in found)


def test_reflex_uploads_need_a_sign_in_and_its_folder_is_never_served(signed):
    session_token, _, _ = signed
    client = api()
    assert client.post("/_upload", content=b"x").status_code == 401
    assert client.post("/_upload", content=b"x", headers={"x-idv-session": hash_token(session_token)}).status_code == 401
    assert client.get("/_upload/passport.jpg").status_code == 404
    assert client.post("/_upload", content=b"x" * (5 * 1024 * 1024),
                       cookies={"idv_session": session_token}).status_code == 413


def _refused_upload(body_size: int, cookie: str = "") -> tuple[int, int, int]:
    """(status, bytes the guard read before it answered, bytes sent) for an upload sent in 64 KB parts."""
    import asyncio

    from identity_app.web.guard import UPLOAD_PATH

    chunk, sent, read_at_answer, status = 64 * 1024, [0], [-1], [0]

    async def receive():
        n = min(chunk, body_size - sent[0])
        sent[0] += n
        return {"type": "http.request", "body": b"x" * n, "more_body": sent[0] < body_size}

    async def send(message):
        if message["type"] == "http.response.start":
            status[0], read_at_answer[0] = message["status"], sent[0]

    async def never(scope, receive, send):
        raise AssertionError("a refused upload reached the app")

    headers = [(b"content-length", str(body_size).encode())]
    if cookie:
        headers.append((b"cookie", f"idv_session={cookie}".encode()))
    scope = {"type": "http", "method": "POST", "path": UPLOAD_PATH, "headers": headers, "query_string": b""}
    asyncio.run(WebGuard(never)(scope, receive, send))
    return status[0], read_at_answer[0], sent[0]


def test_a_refused_upload_is_read_to_its_end_before_the_answer(signed):
    """Closing with unread bytes resets the connection and the client loses the answer (a browser
    shows a network error): up to DRAIN_LIMIT the body is read and dropped first."""
    from identity_app.web.guard import DRAIN_LIMIT

    session_token, _, _ = signed
    assert _refused_upload(2 * 1024 * 1024) == (401, 2 * 1024 * 1024, 2 * 1024 * 1024)
    too_large = 5 * 1024 * 1024
    assert _refused_upload(too_large, session_token) == (413, too_large, too_large)
    # Far beyond: answered at once, nothing read.
    assert _refused_upload(DRAIN_LIMIT + 1, session_token) == (413, 0, 0)


@pytest.mark.parametrize("path", ["/api/media/99999999999999999999999", "/api/media/-1", "/api/media/0",
                                  "/api/applications/99999999999999999999/logo",
                                  "/api/applications/9223372036854775808/sessions.csv"])
def test_out_of_range_ids_are_not_found(signed, path):
    session_token, _, _ = signed
    assert api().get(path, cookies={"idv_session": session_token}).status_code == 404


@pytest.mark.parametrize("path", ["/api/capture/{t}/liveness/9223372036854775808/frames",
                                  "/api/capture/{t}/liveness/99999999999999999999999/finish",
                                  "/api/capture/{t}/liveness/-5/frames", "/api/capture/{t}/liveness/1e9/finish"])
def test_out_of_range_attempt_ids_are_refused_not_failed(signed, path):
    from identity_app.models import Application
    from identity_app.services.capture import flow as capture
    from identity_app.services.sessions import links as sessions
    from sqlmodel import select

    with session_scope() as db:  # an open link with consent: the id is what gets looked up
        owner = next(o for o in auth.list_operators(db) if o.email == "guard-owner@example.com")
        app_id = db.exec(select(Application.id).where(Application.name == "Guarded")).first()
        link = sessions.create_session(db, actor=owner, application_id=app_id, user_name="Ada",
                                       user_email="ada@example.com")
        capture.give_consent(db, token=link.token)
    r = api().post(path.format(t=link.token), content=b"")
    assert 400 <= r.status_code < 500 and r.json()["ok"] is False
    assert api().get(path.format(t=link.token).rsplit("/", 1)[0]).status_code < 500
