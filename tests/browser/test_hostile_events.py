"""Every console event handler, sent by hand over the websocket as an attacker would (after
a `load` aimed at another application's session), by someone signed out, with a forged
cookie, as another application's manager and as a viewer without the permission: nothing
in the database or the media store changes. The owner sending the same events does change
things, so the events do arrive. Reflex's upload endpoint is tried the same way."""
from __future__ import annotations

import inspect
import time
from pathlib import Path

import numpy as np
import pyotp
import pytest
import sqlalchemy as sa
from sqlmodel import Session, SQLModel

from tests.browser.conftest import start_app, stop_app
from tests.browser.reflex_socket import ReflexSocket

# Not aimed at anyone else: a manager of any application may create an application of their own.
OWN_ACTIONS = {("ApplicationsState", "create")}
SKIP_TABLES = {"audit_event", "sign_in_session", "auth_failure", "trusted_device"}  # an attempt may leave these


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """Its own app: application A (a completed session with media and a check in review) and
    application B, an owner, A's viewer and B's manager, each signed in (their cookies)."""
    import cv2

    from identity_app.db import make_engine
    from identity_app.models import (Check, CheckState, ManualCheck, MediaKind, ReviewState, SessionState,
                                     VerificationSession)
    from identity_app.services.applications import registry as applications
    from identity_app.services.access import auth, invitations
    from identity_app.services.capture import media
    from identity_app.services.sessions import links as sessions
    from identity_app.crypto import hash_token
    from identity_app.storage import LocalMediaStore

    app = start_app(tmp_path_factory.mktemp("hostile-events"))
    engine = make_engine(f"sqlite:///{app.data_dir / 'identity.db'}")
    store = LocalMediaStore(app.data_dir / "media", app.env["IDV_SECRET_KEY"])

    def signed_in(db, email: str, password: str) -> str:
        step = auth.sign_in_password(db, email=email, password=password)
        enrol = auth.start_enrolment(db, token_hash=step.token_hash)
        return auth.confirm_enrolment(db, token_hash=step.token_hash, code=pyotp.TOTP(enrol.secret).now()).token

    def member(db, owner, app_id: int, email: str, perms: list[str]) -> None:
        sent = invitations.invite(db, actor=owner, application_id=app_id, email=email, permissions=perms)
        invitations.accept_invitation(db, token_hash=hash_token(sent.link.rsplit("/", 1)[-1]), name=email[:4],
                                      password="a long password here")

    ok, jpeg = cv2.imencode(".jpg", np.full((240, 320, 3), 128, np.uint8))
    with Session(engine, expire_on_commit=False) as db:
        owner = auth.create_owner(db, name="Olive", email="owner@example.com", password="a long password here")
        a = applications.create_application(db, actor=owner, name="Application A")
        b = applications.create_application(db, actor=owner, name="Application B")
        member(db, owner, a.id, "viewer@example.com", ["VIEW_SESSIONS"])
        member(db, owner, b.id, "manager-b@example.com",
               ["VIEW_SESSIONS", "CREATE_SESSIONS", "DECIDE", "DELETE_MEDIA", "DELETE_SESSIONS", "MANAGE_APPLICATION"])
        created = sessions.create_session(db, actor=owner, application_id=a.id, user_name="Ada Target",
                                          user_email="ada@example.org", reference="REF-A")
        item = media.store_session_media(db, store, session_id=created.id, kind=MediaKind.DOCUMENT_FRONT,
                                         data=jpeg.tobytes(), content_type="image/jpeg")
        vs = db.get(VerificationSession, created.id)
        vs.state = SessionState.COMPLETED
        db.add(vs)
        check = Check(session_id=created.id, type="ID_DOCUMENT_FACE_MATCH", state=CheckState.DONE,
                      recommendation="NOT_AVAILABLE", manual_check=ManualCheck.ALWAYS,
                      review_state=ReviewState.PENDING)
        db.add(check)
        db.commit()
        viewer_id = next(o.id for o in auth.list_operators(db) if o.email == "viewer@example.com")
        cookies = {
            "owner": signed_in(db, "owner@example.com", "a long password here"),
            "viewer": signed_in(db, "viewer@example.com", "a long password here"),
            "manager_b": signed_in(db, "manager-b@example.com", "a long password here"),
        }
        db.commit()
        ids = {"app": a.id, "other_app": b.id, "session": created.id, "media": item.id, "check": check.id,
               "operator": viewer_id}
    yield app, engine, cookies, ids
    engine.dispose()
    stop_app(app.proc)


def snapshot(engine, media_dir: Path) -> dict:
    """Every row of every table an attack could touch, and the stored media files."""
    rows = {}
    with engine.connect() as conn:
        for table in SQLModel.metadata.sorted_tables:
            if table.name not in SKIP_TABLES:
                rows[table.name] = conn.execute(sa.select(table).order_by(*table.primary_key.columns)).all()
    files = sorted((str(p.relative_to(media_dir)), p.stat().st_size) for p in media_dir.rglob("*") if p.is_file())
    return {"rows": rows, "files": files}


def console_states():
    import importlib
    import pkgutil

    import identity_app.state as package
    from identity_app.state.base import ConsoleState
    from identity_app.state.sign_in import SignInState

    for module in pkgutil.iter_modules(package.__path__):  # every state module, so every console state
        importlib.import_module(f"{package.__name__}.{module.name}")
    states = [s for s in ConsoleState.get_substates() if s is not SignInState] + [ConsoleState]
    assert len(states) >= 8
    return states


def argument(name: str, annotation, ids: dict):
    """A plausible, hostile argument for a handler's parameter."""
    text = str(annotation)
    if "UploadFile" in text:
        return None  # uploads go through /_upload: tested below
    if "dict" in text:
        return {"name": "Hijacked", "description": "x", "email": "mallory@example.com", "user_name": "Mallory",
                "user_email": "m@example.com", "reference": "X", "value": "APPROVE", "note": "n", "result": "PASS",
                "reason": "r", "confirmation": "DELETE", "permission_VIEW_SESSIONS": "on",
                "permission_MANAGE_APPLICATION": "on", "doc_enabled": "", "liveness_enabled": "",
                "primary_colour": "#ff0000", "session_lifetime_days": "1", "media_retention_days": "1"}
    if "bool" in text:
        return False if name == "active" else True
    if "float" in text:
        return 2.0
    if "int" in text:
        return {"media_id": ids["media"], "check_id": ids["check"], "operator_id": ids["operator"]}.get(name, 1)
    return {"permission": "MANAGE_APPLICATION", "value": "APPROVE", "name": "status"}.get(name, "DELETE")


def attack(url: str, cookies: dict[str, str], ids: dict) -> ReflexSocket:
    sock = ReflexSocket(url, cookies)
    params = {"app_id": str(ids["app"]), "session_id": str(ids["session"])}
    path = f"/applications/{ids['app']}/sessions/{ids['session']}"
    for state in console_states():
        full = state.get_full_name()
        if "load" in state.event_handlers:
            sock.send(f"{full}.load", path=path, params=params)
        for var in ("app_id_value", "session_id_value", "viewer_media_id", "new_session_id"):
            if var in state.vars:
                sock.send(f"{full}.setvar", {"var_name": var, "value": ids["session"]}, path=path, params=params)
        for name, handler in state.event_handlers.items():
            if name in ("load", "setvar") or (state.__name__, name) in OWN_ACTIONS:
                continue
            sig = inspect.signature(handler.fn)
            args = {p: argument(p, sig.parameters[p].annotation, ids) for p in list(sig.parameters)[1:]}
            if any(v is None for v in args.values()):
                continue
            sock.send(f"{full}.{name}", args, path=path, params=params)
    sock.settle()
    return sock


@pytest.mark.parametrize("who", ["signed_out", "forged", "manager_b", "viewer"])
def test_no_console_event_changes_anything_without_the_permission(world, who):
    app, engine, cookies, ids = world
    jar = {"signed_out": {}, "forged": {"idv_session": "forged-token-" + "x" * 30}}.get(who)
    if jar is None:
        jar = {"idv_session": cookies[who]}
    before = snapshot(engine, app.data_dir / "media")
    sock = attack(app.url, jar, ids)
    sock.close()
    after = snapshot(engine, app.data_dir / "media")
    assert len(sock.messages) > 40  # the events were answered
    changed = {t for t in before["rows"] if before["rows"][t] != after["rows"][t]}
    assert not changed, {t: (before["rows"][t], after["rows"][t]) for t in changed}
    assert after["files"] == before["files"]


def test_the_owner_sending_the_same_events_does_change_things(world):
    """The control: the same events do reach the services."""
    app, engine, cookies, ids = world
    before = snapshot(engine, app.data_dir / "media")
    sock = ReflexSocket(app.url, {"idv_session": cookies["owner"]})
    from identity_app.state.session_detail import SessionDetailState

    full = SessionDetailState.get_full_name()
    params = {"app_id": str(ids["app"]), "session_id": str(ids["session"])}
    sock.send(f"{full}.load", path="/", params=params)
    sock.send(f"{full}.ask_delete_media", {"media_id": ids["media"]}, path="/", params=params)  # the dialog
    sock.send(f"{full}.delete_media", {}, path="/", params=params)  # its confirmation
    sock.settle()
    sock.close()
    after = snapshot(engine, app.data_dir / "media")
    assert len(after["rows"]["media_item"]) == len(before["rows"]["media_item"]) - 1
    assert len(after["files"]) == len(before["files"]) - 1


def _multipart(handler: str, client_token: str, size: int = 0) -> tuple[bytes, dict]:
    import cv2

    ok, png = cv2.imencode(".png", np.zeros((64, 64, 3), np.uint8))
    data = png.tobytes() + b"\0" * size
    boundary = "----idvtest"
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"files\"; filename=\"logo.png\"\r\n"
            f"Content-Type: image/png\r\n\r\n").encode() + data + f"\r\n--{boundary}--\r\n".encode()
    return body, {"Content-Type": f"multipart/form-data; boundary={boundary}", "Reflex-Client-Token": client_token,
                  "Reflex-Event-Handler": handler}


def announce(url: str, length: int, headers: dict) -> int:
    """The status answered to a request that announces `length` bytes and sends 1 kB."""
    import socket
    from urllib.parse import urlsplit

    u = urlsplit(url)
    with socket.create_connection((u.hostname, u.port), timeout=20) as conn:
        head = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
        conn.sendall(f"POST /_upload HTTP/1.1\r\nHost: {u.netloc}\r\n{head}Content-Length: {length}\r\n\r\n".encode()
                     + b"x" * 1024)
        return int(conn.recv(4096).split(b" ", 2)[1])


def test_reflex_uploads_need_a_signed_in_operator_a_size_limit_and_the_permission(world):
    import httpx

    from identity_app.state.application_settings import AppSettingsState

    app, engine, cookies, ids = world
    handler = f"{AppSettingsState.get_full_name()}.upload_logo"
    before = snapshot(engine, app.data_dir / "media")
    body, headers = _multipart(handler, "no-such-client")
    with httpx.Client(base_url=app.url, timeout=60) as client:
        assert client.post("/_upload", content=body, headers=headers).status_code == 401
        forged = client.post("/_upload", content=body, headers={**headers, "Cookie": "idv_session=forged"})
        assert forged.status_code == 401
        # 300 MB announced: refused before a byte of it is read.
        assert announce(app.url, 300 * 1024 * 1024, {**headers, "Cookie": f"idv_session={cookies['owner']}"}) == 413
        # A body longer than the limit, sent in chunks without a length.
        def chunks():
            for _ in range(6):
                yield b"y" * (1024 * 1024)
        streamed = client.post("/_upload", content=chunks(), headers={**headers, "Cookie": f"idv_session={cookies['owner']}"})
        assert streamed.status_code in (411, 413)
        # The public folder of uploads is never served.
        assert client.get("/_upload/anything.png").status_code == 404
        # Another application's manager aims the settings state at application A, then uploads.
        sock = ReflexSocket(app.url, {"idv_session": cookies["manager_b"]})
        full = AppSettingsState.get_full_name()
        sock.send(f"{full}.load", path=f"/applications/{ids['app']}/settings", params={"app_id": str(ids["app"])})
        sock.settle()
        body, headers = _multipart(handler, sock.token)
        resp = client.post("/_upload", content=body, headers={**headers, "Cookie": f"idv_session={cookies['manager_b']}"})
        sock.settle()
        sock.close()
        assert resp.status_code < 500
    assert snapshot(engine, app.data_dir / "media") == before


def test_password_guessing_over_the_websocket_is_slowed_audited_and_the_owner_still_gets_in(world):
    """Two connections firing wrong passwords at the owner's account as fast as events go: a few are
    checked (each audited), the rest are refused unchecked; the owner's own browser signs in at once."""
    from identity_app.models import AuditEvent
    from identity_app.services.access import auth, guessing
    from identity_app.state.sign_in import SignInState

    app, engine, cookies, ids = world
    with Session(engine) as db:
        owner_id = next(o.id for o in auth.list_operators(db) if o.email == "owner@example.com")
        device = auth.trust_device(db, operator_id=owner_id)  # the cookie the owner's browser holds
        db.commit()
        failed_before = len(db.exec(sa.select(AuditEvent).where(AuditEvent.action == "auth.sign_in_failed")).all())
    full = SignInState.get_full_name()
    attackers = [ReflexSocket(app.url) for _ in range(2)]
    started = time.monotonic()
    for i in range(60):
        attackers[i % 2].send(f"{full}.submit_password", {"form": {"email": "owner@example.com",
                                                                    "password": f"guess number {i}"}}, path="/signin")

    # Then each connection asks for the sign-in page, which clears the page's message: once that
    # answer is back, every guess before it on that connection has been answered.
    for sock in attackers:
        sock.send(f"{full}.load_sign_in", path="/signin")
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and not all(
            any("'error_rx_state_': ''" in str(m) for m in sock.messages[-3:]) for sock in attackers):
        time.sleep(0.25)
    took = time.monotonic() - started
    for sock in attackers:
        sock.close()
    with Session(engine) as db:
        checked = len(db.exec(sa.select(AuditEvent).where(AuditEvent.action == "auth.sign_in_failed")).all()) \
            - failed_before
    print(f"\n60 guesses in {took:.1f} s over 2 connections: {checked} checked and audited, "
          f"{60 - checked} refused unchecked")
    # However slow the machine, no more were checked than the pauses allow in that time.
    assert 5 <= checked <= guessing.attempts_within(guessing.ACCOUNT, took)
    owner = ReflexSocket(app.url, {"idv_device": device})
    owner.send(f"{full}.submit_password", {"form": {"email": "owner@example.com", "password": "a long password here"}},
               path="/signin")
    owner.settle()
    owner.close()
    assert any("/api/auth/cookie" in str(m) and "pending" in str(m) for m in owner.messages), owner.messages
