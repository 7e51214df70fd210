"""Console states driven as the browser's events drive them, against a real database: each
event is one unit of work through the doorway (counted in commits), shows the service's view,
and puts its domain error where the page shows it. Sign-in steps hold no secret in the state."""
from __future__ import annotations

import asyncio
import pickle
import re

import pyotp
import pytest
import reflex as rx
import sqlalchemy as sa
from reflex.istate.data import RouterData
from sqlmodel import Session, select

from identity_app.crypto import hash_token
from identity_app.models import Application, AuditEvent, SignInSession, VerificationSession
from identity_app.services.access import auth
from identity_app.state.application_settings import AppSettingsState
from identity_app.state.new_sessions import NewSessionsState
from identity_app.state.session_detail import SessionDetailState
from identity_app.state.sessions_list import SessionsListState
from identity_app.state.sign_in import SignInState
from identity_app.web import cookies
from tests import seed
from tests.seed import PASSWORD


class Console:
    """One browser tab's states, on `path`, with the cookies it holds (as their hashes)."""

    def __init__(self, path: str, params: dict[str, str], cookie_hashes: dict[str, str]):
        self.root = rx.State(_reflex_internal_init=True)
        self.root.router = RouterData.from_router_data({
            "pathname": path, "query": params, "ip": "127.0.0.1", "token": "tab",
            "headers": {"user-agent": "pytest", **cookie_hashes}})

    def __getitem__(self, state: type[rx.State]):
        return self.root.get_substate(state.get_full_name().split(".")[1:])

    def send(self, state: type[rx.State], event: str, *args):
        """Run one event handler of `state` as Reflex would, on an event loop; what it returns."""
        return asyncio.run(getattr(state, event).fn(self[state], *args))


@pytest.fixture
def world(engine, monkeypatch):
    """The doorway on this test's database, an owner signed in, one application, and a commit counter."""
    from identity_app import db as db_module

    monkeypatch.setattr(db_module, "get_engine", lambda: engine)
    with Session(engine, expire_on_commit=False) as db:
        op = seed.owner(db)
        app_id = seed.new_app(db, op)
        step = auth.sign_in_password(db, email=op.email, password=PASSWORD)
        secret = auth.start_enrolment(db, token_hash=step.token_hash).secret
        token = auth.confirm_enrolment(db, token_hash=step.token_hash, code=pyotp.TOTP(secret).now()).token
        db.commit()
    commits: list[int] = []

    def count(conn) -> None:
        commits.append(1)

    sa.event.listen(engine, "commit", count)
    tab = Console(f"/applications/{app_id}", {"app_id": str(app_id)}, {cookies.SESSION.header: hash_token(token)})
    yield tab, app_id, commits
    sa.event.remove(engine, "commit", count)


def test_a_session_created_from_the_list_is_one_unit_of_work_with_its_link_and_the_list(world, engine):
    tab, app_id, commits = world
    tab.send(SessionsListState, "load")
    before = len(commits)
    tab.send(NewSessionsState, "create", {"user_name": "Ada Lovelace", "user_email": "ada@example.com",
                                          "reference": "CUST-1"})
    # Create, read the link and reload the list: one transaction (the create and the link were two, the reload a third).
    assert len(commits) - before == 1
    created, page = tab[NewSessionsState].created, tab[SessionsListState]
    assert created.user_name == "Ada Lovelace" and created.link.startswith("http") and created.qr_svg_data_uri
    assert page.error == "" and page.total == 1 and [r.id for r in page.rows] == [created.session_id]
    with Session(engine) as db:
        assert len(db.exec(select(AuditEvent).where(AuditEvent.action == "session.created")).all()) == 1


def test_a_refused_creation_changes_nothing_and_is_told_on_the_page(world, engine):
    tab, app_id, commits = world
    with Session(engine) as db:
        app = db.get(Application, app_id)
        app.is_active = False
        db.add(app)
        db.commit()
    tab.send(SessionsListState, "load")
    before = len(commits)
    tab.send(NewSessionsState, "create", {"user_name": "Ada Lovelace", "user_email": "ada@example.com"})
    assert len(commits) == before and tab[NewSessionsState].created is None
    assert tab[SessionsListState].error == "This application is deactivated: activate it to create sessions."
    with Session(engine) as db:
        assert db.exec(select(VerificationSession)).all() == []


class Upload:
    def __init__(self, data: bytes):
        self.data = data

    async def read(self, size: int = -1) -> bytes:
        return self.data[:size] if size >= 0 else self.data


def test_a_bulk_upload_reloads_the_list_in_its_unit_and_a_wrong_file_is_told_beside_it(world):
    tab, app_id, commits = world
    tab.send(SessionsListState, "load")
    before = len(commits)
    tab.send(NewSessionsState, "upload_bulk", [Upload(b"name,email\nAda,ada@example.com\nBob,not-an-email\n")])
    new, page = tab[NewSessionsState], tab[SessionsListState]
    assert len(commits) - before == 1 and page.total == 1
    assert new.bulk_message.startswith("1 session created; 1 row was") and [e.line for e in new.bulk_errors] == [3]
    tab.send(NewSessionsState, "upload_bulk", [Upload(b"")])
    assert new.bulk_message == "The file is empty." and page.error == "" and page.total == 1


def test_the_settings_page_shows_the_services_view_and_keeps_it_on_a_refusal(world):
    tab, app_id, commits = world
    tab.root.router = RouterData.from_router_data({
        "pathname": f"/applications/{app_id}/settings", "query": {"app_id": str(app_id)}, "ip": "127.0.0.1",
        "token": "tab", "headers": dict(tab.root.router.headers.raw_headers)})
    tab.send(AppSettingsState, "load")
    page = tab[AppSettingsState]
    assert page.can_manage and page.settings.name == "Onboarding" and page.settings.preferences.locale == "en"
    prefs = {"primary_colour": "#112233", "secondary_colour": "#445566", "locale": "en", "success_url": "",
             "error_url": "", "privacy_policy_url": "", "session_lifetime_days": "3", "media_retention_days": "30",
             "reminder_count": "0", "reminder_interval_days": "2"}
    tab.send(AppSettingsState, "save_preferences", prefs)
    assert page.settings.preferences.session_lifetime_days == 3 and page.notice.startswith("Preferences saved")
    tab.send(AppSettingsState, "save_preferences", {**prefs, "success_url": "ftp://bank.example"})
    assert "http:// or https://" in page.error and page.settings.preferences.session_lifetime_days == 3


def test_the_password_step_hands_its_token_to_the_browser_and_keeps_none(engine, monkeypatch):
    from identity_app import db as db_module

    monkeypatch.setattr(db_module, "get_engine", lambda: engine)
    with Session(engine) as db:
        seed.owner(db)
        db.commit()
    tab = Console("/signin", {}, {})
    tab.send(SignInState, "submit_password", {"email": "owner@example.com", "password": "not the password"})
    assert "do not match" in tab[SignInState].error
    spec = tab.send(SignInState, "submit_password", {"email": "owner@example.com", "password": PASSWORD})
    token = re.search(r'token:\\?"([A-Za-z0-9_-]{20,})', str(spec)).group(1)
    with Session(engine) as db:
        assert db.exec(select(SignInSession).where(SignInSession.token_hash == hash_token(token))).one()
    assert tab[SignInState].error == "" and token.encode() not in pickle.dumps(tab.root)


def _signed_in_tab(engine, email: str, path: str, query: dict[str, str]) -> Console:
    """A console tab of `email`, signed in with password and a first TOTP enrolment."""
    with Session(engine, expire_on_commit=False) as db:
        step = auth.sign_in_password(db, email=email, password=PASSWORD)
        secret = auth.start_enrolment(db, token_hash=step.token_hash).secret
        token = auth.confirm_enrolment(db, token_hash=step.token_hash, code=pyotp.TOTP(secret).now()).token
        db.commit()
    return Console(path, query, {cookies.SESSION.header: hash_token(token)})


def test_the_decision_hint_says_what_stands_in_the_way_the_state_or_the_permission(world, engine):
    tab, app_id, _ = world
    with Session(engine, expire_on_commit=False) as db:
        owner = next(o for o in auth.list_operators(db) if o.email != "vic.viewer@example.com")
        seed.member(db, owner, app_id, "vic.viewer@example.com", ["VIEW_SESSIONS"])
        sid = seed.created_session(db, owner, app_id).id
        db.commit()
    path, query = f"/applications/{app_id}/sessions/{sid}", {"app_id": str(app_id), "session_id": str(sid)}
    tab.root.router = RouterData.from_router_data({
        "pathname": path, "query": query, "ip": "127.0.0.1", "token": "tab",
        "headers": dict(tab.root.router.headers.raw_headers)})
    tab.send(SessionDetailState, "load")
    page = tab[SessionDetailState]
    # The owner may decide, once the capture is finished: the page says it waits for the session.
    assert page.found and page.may_decide and not page.can_decide
    viewer = _signed_in_tab(engine, "vic.viewer@example.com", path, query)
    viewer.send(SessionDetailState, "load")
    seen = viewer[SessionDetailState]
    # A viewer is told about the permission, not that the session must first be completed.
    assert seen.found and not seen.may_decide and not seen.can_decide


def test_a_session_without_a_name_is_headed_by_its_id(world, engine):
    # A session made through the Yoti-compatible endpoint has no name: the page's heading was empty.
    tab, app_id, _ = world
    with Session(engine, expire_on_commit=False) as db:
        owner = auth.list_operators(db)[0]
        sid = seed.created_session(db, owner, app_id).id
        vs = db.get(VerificationSession, sid)
        vs.user_name = ""
        db.add(vs)
        db.commit()
    query = {"app_id": str(app_id), "session_id": str(sid)}
    tab.root.router = RouterData.from_router_data({
        "pathname": f"/applications/{app_id}/sessions/{sid}", "query": query, "ip": "127.0.0.1", "token": "tab",
        "headers": dict(tab.root.router.headers.raw_headers)})
    tab.send(SessionDetailState, "load")
    assert tab[SessionDetailState].user_name == f"Session {sid} (no name)"
