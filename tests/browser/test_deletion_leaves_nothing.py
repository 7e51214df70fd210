"""Deleting a session in the console leaves no byte of its person anywhere the app keeps
data: the SQLite files (write-ahead log included), the UI state store (the deleting
operator's state and another open tab's), the media folder, the outbox and the queue.

The person is created in the console (link emailed to the outbox), captured and checked
for real, and shown in two tabs, so each trace is first seen where it is later looked for.
"""
from __future__ import annotations

import time
from pathlib import Path

import pytest
from playwright.sync_api import expect
from sqlmodel import Session, select

from tests import seed
from tests.browser.conftest import start_app, stop_app
from tests.browser.helpers import OWNER_EMAIL, fill, signed_in_owner
from tests.conftest import shared_data

NAME, EMAIL, REFERENCE = "Zelda Quillfeather", "zelda.quillfeather@example.net", "ZQ-778123"


@pytest.fixture(scope="module")
def lone_app(tmp_path_factory):
    """An app of its own: no other session may share the document's name or number."""
    app = start_app(tmp_path_factory.mktemp("deletion"))
    yield app
    stop_app(app.proc)


def files_holding(folder: Path, traces: list[str]) -> dict[str, list[str]]:
    """{file: traces found in its bytes} for every file under folder."""
    found = {}
    for path in folder.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            hits = [t for t in traces if t.encode() in data or t.lower().encode() in data]
            if hits:
                found[str(path.relative_to(folder))] = hits
    return found


def wait_for(condition, timeout: float = 15.0) -> bool:
    end = time.time() + timeout
    while time.time() < end:
        if condition():
            return True
        time.sleep(0.25)
    return condition()


def test_deleting_a_session_leaves_no_byte_of_the_person(browser, lone_app):
    shared_data("mrz-passporteye")
    shared_data("liveness-pose-eyes-insightface")
    from identity_app.db import make_engine
    from identity_app.models import Task, VerificationSession
    from identity_app.services.access import auth
    from identity_app.storage import LocalMediaStore

    url, data = lone_app.url, lone_app.data_dir
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(20_000)
    signed_in_owner(page, lone_app)
    engine = make_engine(f"sqlite:///{data / 'identity.db'}")
    store = LocalMediaStore(data / "media", lone_app.env["IDV_SECRET_KEY"])
    with Session(engine, expire_on_commit=False) as db:
        owner = next(o for o in auth.list_operators(db) if o.email == OWNER_EMAIL)
        app_id = seed.application(db, owner, "Deletion")
        db.commit()

    # The console creates the session and emails the link (the outbox holds name and email).
    page.goto(f"{url}/applications/{app_id}")
    fill(page, "Name", NAME)
    fill(page, "Email", EMAIL)
    fill(page, "Reference (optional)", REFERENCE)
    page.get_by_role("button", name="Create session").click()
    expect(page.locator("#session-link")).to_contain_text("/s/")
    page.get_by_role("button", name="Send by email").click()
    expect(page.get_by_text("written to the outbox")).to_be_visible()

    with Session(engine, expire_on_commit=False) as db:
        vs = db.exec(select(VerificationSession).where(VerificationSession.reference == REFERENCE)).one()
        session_id = seed.capture(db, store, vs.token)
        result = db.exec(select(Task).where(Task.session_id == session_id)).one().result
    fields = dict(tuple(f) for f in result["fields"])
    traces = [NAME, EMAIL, REFERENCE, vs.token, fields["document_number"], fields["surname"]]

    # Two tabs show the person: the session list and the session itself.
    other_tab = context.new_page()
    other_tab.goto(f"{url}/applications/{app_id}")
    expect(other_tab.locator("#sessions-table")).to_contain_text(NAME)
    page.goto(f"{url}/applications/{app_id}/sessions/{session_id}")
    expect(page.locator("#document-fields")).to_contain_text(fields["surname"])

    ui_state = data / "ui-state"
    assert wait_for(lambda: all(any(t in hits for hits in files_holding(ui_state, traces).values())
                                for t in (NAME, fields["document_number"])))
    assert files_holding(data, [EMAIL]), "the traces are where the test looks"
    assert any("outbox" in f for f in files_holding(data, [EMAIL]))

    page.get_by_role("button", name="Delete session", exact=True).click()
    page.get_by_role("dialog").get_by_label("Type DELETE to confirm").fill("DELETE")
    page.get_by_role("dialog").get_by_role("button", name="Delete session permanently").click()
    expect(page).to_have_url(f"{url}/applications/{app_id}")
    expect(page.locator("#sessions-table")).not_to_contain_text(NAME)

    # Nothing of the person in any file of the data folder: database, log, UI states, media, outbox, queue.
    assert wait_for(lambda: not files_holding(data, traces)), files_holding(data, traces)
    for name in ("identity.db", "identity.db-wal", "ui-state", "media", "outbox"):
        assert (data / name).exists()
    # The other tab still works: its next event starts from a fresh state and loads again.
    other_tab.reload()
    expect(other_tab.get_by_role("heading", name="Deletion")).to_be_visible()
    expect(other_tab.locator("#sessions-table")).not_to_contain_text(NAME)
    context.close()
    engine.dispose()
