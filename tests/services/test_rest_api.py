"""The REST API over HTTP (in process, on the app's own database) through the Python client in the
repository: keys and scopes, another application's key, revocation, idempotent creation, cursor
pages, what a session may ask of its application, refusals as RFC 9457 problems, the rate limit."""
from __future__ import annotations

import threading

import pytest
from starlette.testclient import TestClient

from idv_client import ApiError, Client
from identity_app.db import get_engine, session_scope
from identity_app.migrations import upgrade
from identity_app.models import ApiScope, VerificationSession
from identity_app.services.api import keys
from identity_app.settings import get_settings
from tests import seed

ALL = [s.value for s in ApiScope]


@pytest.fixture(scope="module")
def world():
    upgrade(get_settings().database_url)
    from tests.conftest import _truncate

    _truncate(get_engine())
    with session_scope() as db:
        owner = seed.owner(db)
        app_id = seed.new_app(db, owner)
        other_id = seed.new_app(db, owner, "Other")
        full = keys.create_key(db, actor=owner, application_id=app_id, name="CRM", scopes=ALL).token
        other = keys.create_key(db, actor=owner, application_id=other_id, name="Other CRM", scopes=ALL).token
        scoped = {s: keys.create_key(db, actor=owner, application_id=app_id, name=s, scopes=[s]).token for s in ALL}
        other_session = seed.created_session(db, owner, other_id, name="Bob Other", email="bob@example.org").id
    from identity_app.web.api import api_app

    http = TestClient(api_app())
    return {"http": http, "owner": owner, "app_id": app_id, "full": full, "other": other, "scoped": scoped,
            "other_session": other_session}


def client(world, token) -> Client:
    return Client("http://testserver", token, http=world["http"])


def raw(world, method, path, token=None, **kwargs):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return world["http"].request(method, "/api/v1" + path, headers={**headers, **kwargs.pop("headers", {})}, **kwargs)


def test_a_session_is_created_read_listed_and_deleted_through_the_client(world):
    idv = client(world, world["full"])
    made = idv.create_session(user_name="Ada Lovelace", user_email="ada@example.org", reference="crm-1")
    assert made.link.startswith(get_settings().public_base_url) and "/s/" in made.link and not made.replayed
    session = idv.get_session(made.id)
    assert (session.state, session.reference, session.user_email, session.checks) == ("ONGOING", "crm-1",
                                                                                       "ada@example.org", ())
    assert [s.id for s in idv.list_sessions(q="lovelace").sessions] == [made.id]
    assert idv.email_link(made.id) == "outbox"
    with session_scope() as db:
        assert db.get(VerificationSession, made.id).created_via.startswith("API key CRM")
    idv.delete_session(made.id)
    with pytest.raises(ApiError) as gone:
        idv.get_session(made.id)
    assert gone.value.status == 404


def test_pages_follow_a_cursor_newest_first_and_a_forged_cursor_is_refused(world):
    idv = client(world, world["full"])
    made = [idv.create_session(user_name=f"Page Person {i}", user_email=f"page{i}@example.org").id for i in range(7)]
    seen = [s.id for s in idv.iter_sessions(q="page person", limit=3)]
    assert seen == made[::-1]
    first = idv.list_sessions(q="page person", limit=3)
    assert len(first.sessions) == 3 and first.next_cursor
    for forged in ("abc", "s0", "s-1", "s1 ", "s" + "9" * 11, "!!!!", "s" * 40):
        r = raw(world, "GET", "/sessions", world["full"], params={"cursor": forged})
        assert r.status_code == 422 and r.headers["content-type"] == "application/problem+json"


def test_each_scope_opens_its_own_operations_only(world):
    scoped, app_id = world["scoped"], world["app_id"]
    sid = client(world, world["full"]).create_session(user_name="Scope Person", user_email="scope@example.org").id
    operations = [  # an operation and the scope it needs
        ("POST", "/sessions", {"json": {"user_name": "X", "user_email": "x@example.org"}}, "sessions:create"),
        ("POST", f"/sessions/{sid}/email", {}, "sessions:create"),
        ("GET", "/sessions", {}, "results:read"),
        ("GET", f"/sessions/{sid}", {}, "results:read"),
        ("GET", "/media/999999/content", {}, "media:read"),
        ("POST", f"/sessions/{sid}/decisions", {"json": {"value": "APPROVE", "note": "fine"}}, "decisions:write"),
        ("DELETE", "/media/999999", {}, "delete"),
        ("DELETE", f"/sessions/{sid}/media", {}, "delete"),
    ]
    for method, path, kwargs, needed in operations:
        for scope, token in scoped.items():
            status = raw(world, method, path, token, **kwargs).status_code
            if scope == needed:
                assert status not in (401, 403), (method, path, scope, status)
            else:
                assert status == 403, (method, path, scope, status)
        assert raw(world, method, path, None, **kwargs).status_code == 401
        assert raw(world, method, path, "idv_abcdefgh_" + "x" * 43, **kwargs).status_code == 401
    assert app_id


def test_another_applications_key_sees_nothing_of_this_one(world):
    mine = client(world, world["full"])
    theirs = client(world, world["other"])
    sid = mine.create_session(user_name="Private Person", user_email="private@example.org").id
    for call in (lambda: theirs.get_session(sid), lambda: theirs.delete_session(sid),
                 lambda: theirs.decide(sid, "REJECT", "no"), lambda: theirs.delete_session_media(sid),
                 lambda: theirs.email_link(sid)):
        with pytest.raises(ApiError) as refused:
            call()
        assert refused.value.status == 404
    assert sid not in [s.id for s in theirs.iter_sessions()]
    assert world["other_session"] not in [s.id for s in mine.iter_sessions()]
    assert mine.get_session(sid).state == "ONGOING"  # untouched


def test_a_revoked_key_is_refused_at_once(world):
    with session_scope() as db:
        made = keys.create_key(db, actor=world["owner"], application_id=world["app_id"], name="Short-lived",
                               scopes=ALL)
    idv = client(world, made.token)
    idv.list_sessions()
    with session_scope() as db:
        keys.revoke_key(db, actor=world["owner"], application_id=world["app_id"], key_id=made.key.id)
    with pytest.raises(ApiError) as refused:
        idv.list_sessions()
    assert refused.value.status == 401


def test_an_idempotency_key_makes_one_session_even_when_the_request_is_repeated_at_once(world):
    idv = client(world, world["full"])
    first = idv.create_session(user_name="Idem Potent", user_email="idem@example.org", idempotency_key="crm-77")
    again = idv.create_session(user_name="Idem Potent", user_email="idem@example.org", idempotency_key="crm-77")
    assert again.id == first.id and again.replayed and again.link == first.link
    with pytest.raises(ApiError) as changed:
        idv.create_session(user_name="Someone Else", user_email="idem@example.org", idempotency_key="crm-77")
    assert changed.value.status == 422
    results: list = []

    def create():
        try:
            results.append(idv.create_session(user_name="Race", user_email="race@example.org",
                                              idempotency_key="race-1").id)
        except ApiError as exc:
            results.append(exc.status)

    threads = [threading.Thread(target=create) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    ids = {r for r in results if r not in (409,)}
    assert len(ids) == 1, results  # one session; a loser of the race is told to retry (409)
    assert len([s for s in idv.iter_sessions(q="race@example.org")]) == 1


def test_a_session_may_ask_less_of_its_application_never_more(world):
    idv = client(world, world["full"])
    made = idv.create_session(user_name="Narrow", user_email="narrow@example.org",
                              checks={"liveness": False, "face_match": False, "text_extraction_manual_check": "ALWAYS"},
                              preferences={"accepted_document_types": ["PASSPORT"], "camera_only": True,
                                           "session_lifetime_days": 2},
                              success_url="https://crm.example.com/done")
    with session_scope() as db:
        snap = db.get(VerificationSession, made.id).config_snapshot
    assert snap["checks"]["liveness"]["enabled"] is False and snap["checks"]["face_match"]["enabled"] is False
    assert snap["checks"]["document_authenticity"]["accepted_types"] == ["PASSPORT"]
    assert snap["checks"]["document_authenticity"]["capture_method"] == "CAMERA"
    assert snap["checks"]["text_extraction"]["manual_check"] == "ALWAYS"
    assert snap["preferences"]["success_url"] == "https://crm.example.com/done"
    assert (made.expires_at - idv.get_session(made.id).created_at).days == 2
    for bad in ({"checks": {"document_authenticity": False, "liveness": False}},
                {"preferences": {"session_lifetime_days": 90}},  # the application allows 7
                {"preferences": {"liveness_max_retries": 10}},
                {"success_url": "javascript:alert(1)"}):
        with pytest.raises(ApiError) as refused:
            idv.create_session(user_name="Too Much", user_email="much@example.org", **bad)
        assert refused.value.status == 422, bad


def test_bad_requests_are_problems_that_say_what_is_wrong(world):
    token = world["full"]
    cases = [
        ({"content": b"{not json", "headers": {"content-type": "application/json"}}, "json"),
        ({"json": {"user_name": "A"}}, "user_email"),
        ({"json": {"user_name": "A", "user_email": "a@example.org", "admin": True}}, "admin"),
        ({"json": {"user_name": "A\x00B", "user_email": "a@example.org"}}, "not allowed"),
        ({"json": {"user_name": "A", "user_email": "not-an-email"}}, "email"),
        ({"json": {"user_name": "A" * 201, "user_email": "a@example.org"}}, "user_name"),
        ({"json": {"user_name": "A", "user_email": "a@example.org"}, "headers": {"Idempotency-Key": "k" * 201}},
         "idempotency"),
    ]
    for kwargs, mentions in cases:
        r = raw(world, "POST", "/sessions", token, **kwargs)
        problem = r.json()
        assert r.status_code == 422 and r.headers["content-type"] == "application/problem+json", (kwargs, r.text)
        assert problem["status"] == 422 and mentions.lower() in problem["detail"].lower(), (mentions, problem)
    assert raw(world, "GET", "/sessions/0", token).status_code == 422
    assert raw(world, "GET", "/sessions/99999999999", token).status_code == 422
    assert raw(world, "GET", "/sessions/abc", token).status_code == 422
    assert raw(world, "GET", "/sessions", token, params={"q": "\x00ada"}).status_code == 200
    assert raw(world, "GET", "/nowhere", token).json()["status"] == 404


def test_beyond_its_rate_a_key_is_told_when_to_come_back(world, monkeypatch):
    with session_scope() as db:
        token, calm = (keys.create_key(db, actor=world["owner"], application_id=world["app_id"], name=name,
                                       scopes=["results:read"]).token for name in ("Busy", "Calm"))
    monkeypatch.setattr(get_settings(), "api_requests_per_minute", 5)
    statuses = [raw(world, "GET", "/sessions", token).status_code for _ in range(7)]
    assert statuses == [200] * 5 + [429] * 2
    refused = raw(world, "GET", "/sessions", token)
    assert refused.status_code == 429 and 1 <= int(refused.headers["retry-after"]) <= 60
    assert raw(world, "GET", "/sessions", calm).status_code == 200  # other keys go on


def test_the_openapi_document_and_its_reference_page_describe_every_operation(world):
    doc = world["http"].get("/api/v1/openapi.json").json()
    assert doc["openapi"].startswith("3.1")
    operations = [(m.upper(), p) for p, item in doc["paths"].items() for m in item]
    assert len(operations) == 9
    page = world["http"].get("/api/v1/docs")
    assert page.status_code == 200 and "<script" not in page.text
    for method, path in operations:
        assert f"{method}</span><code>{path}</code>" in page.text
