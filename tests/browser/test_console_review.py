"""The console's review side in a real browser, on a session captured and
checked for real (seeded through the services into the running app's own
database and media store): work the review queue, read the completed
session's reports, decide, delete one media item, all media, the session."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect
from sqlmodel import Session

from identity_app.db import make_engine
from identity_app.models import VerificationSession
from identity_app.services.access import auth
from identity_app.storage import LocalMediaStore
from tests import seed
from tests.browser.conftest import screenshot
from tests.browser.helpers import OWNER_EMAIL, signed_in_owner
from tests.conftest import shared_data

expect.set_options(timeout=20_000)  # the apps of several engineers share 2 cores: pages answer slowly, not wrongly


@pytest.fixture
def seeded(app_server):
    """An application (text extraction ALWAYS reviewed, face match FALLBACK) and one captured, checked session."""
    shared_data("mrz-passporteye")
    shared_data("liveness-pose-eyes-insightface")
    data_dir = Path(app_server.env["IDV_DATA_DIR"])
    engine = make_engine(f"sqlite:///{data_dir / 'identity.db'}")
    store = LocalMediaStore(data_dir / "media", app_server.env["IDV_SECRET_KEY"])
    with Session(engine, expire_on_commit=False) as db:
        owners = [o for o in auth.list_operators(db) if o.email == OWNER_EMAIL]
        assert owners, f"no owner in {data_dir}: {auth.list_operators(db)}"
        owner = owners[0]
        app_id = seed.application(db, owner, "Browser review", face_match="FALLBACK", text="ALWAYS")
        db.commit()
        captured = seed.captured_session(db, store, owner, app_id, name="Ada Lovelace", reference="BR-1")
    yield dict(engine=engine, app_id=app_id, session_id=captured.session_id, media_root=data_dir / "media")
    engine.dispose()


def image_loaded(page, selector: str) -> bool:
    return page.eval_on_selector(selector, "img => img.complete && img.naturalWidth > 0")


def test_review_decide_and_delete(page, app_server, request):
    signed_in_owner(page, app_server)
    w = request.getfixturevalue("seeded")
    url, app_id, sid = app_server.url, w["app_id"], w["session_id"]
    session_folder = w["media_root"] / "sessions" / str(sid)
    assert any(p.is_file() for p in session_folder.rglob("*"))

    # --- the review queue: face match (FALLBACK, not approved) and text data (ALWAYS)
    page.goto(f"{url}/applications/{app_id}/review")
    queue = page.locator("#review-queue")
    expect(queue.get_by_role("row")).to_have_count(3)  # header + 2 items
    expect(queue).to_contain_text("Face match")
    expect(queue).to_contain_text("Document text data")
    screenshot(page, "console-review-queue")

    queue.get_by_role("row").filter(has_text="Face match").get_by_role("button", name=re.compile("Review")).click()
    item = page.locator("#review-item")
    expect(item.get_by_alt_text("Document portrait")).to_be_visible()
    expect(item.get_by_alt_text("Selfie")).to_be_visible()
    page.wait_for_function("() => [...document.querySelectorAll('#evidence img')].every(i => i.complete && i.naturalWidth > 0)")
    item.get_by_role("radio", name="FAIL").click()
    page.locator("#reason_code").select_option("DIFFERENT_PERSON")
    page.get_by_label("Reason", exact=True).fill("The selfie is not the passport holder")
    page.get_by_role("button", name="Record result").click()
    expect(page.get_by_text("Face match: FAIL recorded.")).to_be_visible()
    expect(queue.get_by_role("row")).to_have_count(2)

    queue.get_by_role("row").filter(has_text="Document text data").get_by_role("button", name=re.compile("^Review")).click()
    expect(item.get_by_alt_text("Document image")).to_be_visible()
    expect(item).to_contain_text("ERIKSSON")
    item.get_by_role("radio", name="PASS").click()
    page.get_by_label("Reason", exact=True).fill("MRZ matches the printed page")
    page.get_by_role("button", name="Record result").click()
    expect(page.locator("#queue-empty")).to_be_visible()

    # --- the completed session: banner, cards, breakdown, fields, media viewer
    page.goto(f"{url}/applications/{app_id}/sessions/{sid}")
    expect(page.locator("#session-state")).to_have_text("COMPLETED")
    cards = page.locator(".check-card")
    expect(cards).to_have_count(4)
    expect(page.get_by_text("Reviewed by a person")).to_have_count(2)
    face = cards.filter(has_text="Face match")
    expect(face).to_contain_text("REJECT")
    expect(face).to_contain_text("DIFFERENT_PERSON")
    face.get_by_role("button", name=re.compile("Breakdown")).click()
    expect(face.get_by_text("manual_face_match")).to_be_visible()
    expect(face.get_by_text("EXPERT_REVIEW").first).to_be_visible()
    expect(page.locator("#document-fields")).to_contain_text("ERIKSSON")
    expect(page.locator("#session-link")).to_contain_text("/s/")
    viewer = "#media-viewer-image"
    page.wait_for_function(f"() => {{ const i = document.querySelector('{viewer}'); return i && i.complete && i.naturalWidth > 0; }}")
    page.get_by_role("button", name="Zoom in (viewer)").click()
    page.get_by_role("button", name="Rotate").click()
    page.get_by_role("button", name="Brighter").click()
    # Zoom x1.5 sizes the image in its scrolling box (panned there); a quarter turn; brightness 120%.
    page.wait_for_function(
        f"""() => {{ const i = document.querySelector('{viewer}'), s = getComputedStyle(i);
            return i.offsetHeight >= 1.45 * i.parentElement.clientHeight && s.transform.replace(/ /g, '') === 'matrix(0,1,-1,0,0,0)'
                && s.filter === 'brightness(1.2)'; }}""")

    # --- decision: approve, then change it to reject; both kept
    page.get_by_role("radio", name="Approve").click()
    page.get_by_label("Note", exact=True).fill("Looked fine at first")
    page.get_by_role("button", name="Save decision").click()
    expect(page.locator("#current-decision")).to_contain_text("APPROVE")
    expect(page.locator("#current-decision")).to_contain_text("Olive Owner")
    page.get_by_role("radio", name="Reject").click()
    page.get_by_label("Note", exact=True).fill("Face match failed on review")
    page.get_by_role("button", name="Save decision").click()
    expect(page.locator("#current-decision")).to_contain_text("REJECT")
    expect(page.locator("#decision-history").get_by_role("row")).to_have_count(3)

    # --- delete one group of media (the liveness attempt's frames), asked first
    groups = page.locator(".media-group")
    before = groups.count()
    files_before = len([p for p in session_folder.rglob("*") if p.is_file()])
    groups.filter(has_text="Liveness attempt").get_by_role("button", name=re.compile("^Delete Liveness")).click()
    page.get_by_role("alertdialog").get_by_role("button", name="Delete for good").click()  # it asks first
    expect(page.get_by_text(re.compile(r"Liveness attempt 1 \(\d+ frames\): deleted\.")).first).to_be_visible()
    expect(groups).to_have_count(before - 1)
    assert len([p for p in session_folder.rglob("*") if p.is_file()]) < files_before - 10

    # --- delete all media: reports and decision stay
    page.get_by_role("button", name="Delete all media").click()
    page.get_by_role("alertdialog").get_by_role("button", name="Delete media").click()
    expect(page.locator("#no-media")).to_be_visible()
    assert not session_folder.exists()
    expect(cards).to_have_count(4)
    expect(page.locator("#current-decision")).to_contain_text("REJECT")

    # --- delete the session, typing DELETE
    page.get_by_role("button", name="Delete session", exact=True).click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_label("Type DELETE to confirm").fill("DELETE")
    dialog.get_by_role("button", name="Delete session permanently").click()
    expect(page).to_have_url(f"{url}/applications/{app_id}")
    with Session(w["engine"]) as db:
        assert db.get(VerificationSession, sid) is None
    page.goto(f"{url}/applications/{app_id}/sessions/{sid}")
    expect(page.get_by_role("alert")).to_contain_text("does not exist")

    # --- the audit log tells the story, without the person's data
    page.goto(f"{url}/audit")
    page.get_by_label("Session", exact=True).fill(str(sid))
    page.get_by_role("button", name="Filter").click()
    table = page.locator("#audit-table")
    for action in ("Session deleted", "Session media deleted", "Media deleted", "Session decided",
                   "Review recorded", "Session viewed", "Media viewed"):  # the log names actions in words
        expect(table).to_contain_text(action)
    expect(table).not_to_contain_text("Ada")
    screenshot(page, "console-audit-log")
