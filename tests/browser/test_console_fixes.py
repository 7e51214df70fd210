"""Issue 14, "broken or losing data", in a real browser on one app: the CSV export downloads,
deletions ask first and say what they did, a session waiting for a person says so (to the end
user and in the console's list), the capture pages carry the logo and the secondary colour, and
a REJECT of document authenticity or liveness shows why. Sessions and reports are written
straight into the app's database (through the services where they exist): what is tested is
the pages."""
from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from PIL import Image
from playwright.sync_api import expect
from sqlmodel import Session, select

from identity_app.checks.report import CheckReport, CheckType, Recommendation, sub_check
from identity_app.db import make_engine
from identity_app.models import (Application, Check, CheckState, ManualCheck, MediaItem, MediaKind, ReviewState,
                                 SessionState, VerificationSession, utcnow)
from identity_app.services.access import auth
from identity_app.services.applications import settings as app_settings
from identity_app.services.capture.media import store_session_media
from identity_app.storage import LocalMediaStore
from tests import capture_media as cm
from tests import seed
from tests.browser.conftest import screenshot
from tests.browser.helpers import OWNER_EMAIL, signed_in_owner

expect.set_options(timeout=30_000)
DESKTOP, PHONE = {"width": 1440, "height": 900}, {"width": 390, "height": 844}
SECONDARY = "#7c2d12"  # rgb(124, 45, 18)


def both_sizes(page, name: str) -> None:
    for size, suffix in ((DESKTOP, "desktop"), (PHONE, "phone")):
        page.set_viewport_size(size)
        screenshot(page, f"{name}-{suffix}")
    page.set_viewport_size(DESKTOP)


def _report(check_type: CheckType, reason: str, *subs) -> dict:
    return CheckReport(check_type, Recommendation.REJECT, reason, breakdown=tuple(subs),
                       algorithm_version="test").to_dict()


def _done(db, session_id: int, check_type: CheckType, report: dict, **kw) -> None:
    db.add(Check(session_id=session_id, type=check_type, state=CheckState.DONE, report=report,
                 recommendation=report["recommendation"]["value"], reason=report["recommendation"]["reason"],
                 completed_at=utcnow(), **kw))


@pytest.fixture(scope="module")
def world(app_server, browser):
    """The owner (signed up through the pages), an application with a logo and a secondary colour,
    a member, and three sessions: one waiting for a person, one completed with two REJECTs and
    media, one just created."""
    context = browser.new_context(viewport=DESKTOP)
    signed_in_owner(context.new_page(), app_server)  # the first sign-up sets up the owner
    context.close()
    data_dir = Path(app_server.env["IDV_DATA_DIR"])
    engine = make_engine(f"sqlite:///{data_dir / 'identity.db'}")
    store = LocalMediaStore(data_dir / "media", app_server.env["IDV_SECRET_KEY"])
    with Session(engine, expire_on_commit=False) as db:
        owner = next(o for o in auth.list_operators(db) if o.email == OWNER_EMAIL)
        app_id = seed.application(db, owner, "Fixes Bank", face_match="ALWAYS")
        logo = io.BytesIO()
        Image.new("RGB", (240, 80), (200, 30, 30)).save(logo, "PNG")
        app_settings.upload_logo(db, store, actor=owner, application_id=app_id, data=logo.getvalue())
        app = db.get(Application, app_id)
        app.secondary_colour = SECONDARY  # the snapshot of the sessions below takes it
        db.add(app)
        seed.member(db, owner, app_id, "vic.viewer@example.com", ["VIEW_SESSIONS"])

        waiting = seed.created_session(db, owner, app_id, "Walter Waiting", "walter@example.org", "W-1")
        vs = db.get(VerificationSession, waiting.id)
        vs.consent_at = vs.started_at = vs.capture_finished_at = utcnow()
        db.add(vs)
        face = _report(CheckType.ID_DOCUMENT_FACE_MATCH, "DIFFERENT_PERSON",
                       sub_check("ai_face_match", False, confidence_score=0.41))
        _done(db, waiting.id, CheckType.ID_DOCUMENT_FACE_MATCH, face, manual_check=ManualCheck.ALWAYS,
              review_state=ReviewState.PENDING)

        rejected = seed.created_session(db, owner, app_id, "Rita Rejected", "rita@example.org", "R-1")
        vs = db.get(VerificationSession, rejected.id)
        vs.state, vs.completed_at, vs.capture_finished_at = SessionState.COMPLETED, utcnow(), utcnow()
        db.add(vs)
        _done(db, rejected.id, CheckType.ID_DOCUMENT_AUTHENTICITY, _report(
            CheckType.ID_DOCUMENT_AUTHENTICITY, "SPECIMEN",
            sub_check("image_quality", True, sharpness=212.5),
            sub_check("specimen", False, matched_text="SPECIMEN", where="visual zone"),
            sub_check("physical_presence", False, copy_score=0.87, threshold=0.6)))
        _done(db, rejected.id, CheckType.LIVENESS, _report(
            CheckType.LIVENESS, "CHALLENGE_NOT_COMPLETED",
            sub_check("face_present", True, frames_without_face=0, frames=96),
            sub_check("challenge_1_blink", False, frame="none", response_s="none")))
        media = [store_session_media(db, store, session_id=rejected.id, kind=MediaKind.DOCUMENT_FRONT,
                                     data=cm.jpeg(cm.document_frame()), content_type="image/jpeg").id
                 for _ in range(2)]
        seed.created_session(db, owner, app_id, "Nora New", "nora@example.org", "N-1")
        db.commit()
    yield dict(engine=engine, app_id=app_id, waiting=waiting, rejected=rejected.id, media=media)
    engine.dispose()
    from identity_app import image_pool

    image_pool.shutdown()  # the logo upload started this process's image pool: the next module starts its own


@pytest.fixture
def owner_page(page, app_server, world):
    page.set_viewport_size(DESKTOP)
    signed_in_owner(page, app_server)
    return page


def test_1_export_csv_downloads_the_list(owner_page, app_server, world):
    page, url = owner_page, app_server.url
    page.goto(f"{url}/applications/{world['app_id']}")
    expect(page.locator("#sessions-table").get_by_role("row")).to_have_count(4)
    with page.expect_download() as download:
        page.locator("#export-csv").click()
    assert download.value.suggested_filename.endswith(".csv")
    text = Path(download.value.path()).read_text(encoding="utf-8-sig")
    assert text.startswith("session_id,name,email") and "Walter Waiting" in text and "Nora New" in text
    expect(page.get_by_text("404")).to_have_count(0)
    expect(page).to_have_url(f"{url}/applications/{world['app_id']}")  # still on the list


def test_2_media_and_members_are_removed_only_once_confirmed(owner_page, app_server, world):
    page, url, sid = owner_page, app_server.url, world["rejected"]
    page.goto(f"{url}/applications/{world['app_id']}/sessions/{sid}")
    first, second = world["media"]
    # Media come in groups (issue 14 item 7): one item is shown in the viewer, then deleted from there.
    shown = page.get_by_role("button", name=f"(media {first})")
    shown.click()
    page.get_by_role("button", name="Delete the item shown").click()
    dialog = page.get_by_role("alertdialog")
    expect(dialog).to_contain_text(f"Delete media item {first}?")
    both_sizes(page, "console-fixes-media-delete-dialog")
    dialog.get_by_role("button", name="Cancel").click()
    expect(dialog).to_have_count(0)
    expect(shown).to_have_count(1)  # nothing went
    page.get_by_role("button", name="Delete the item shown").click()
    page.get_by_role("alertdialog").get_by_role("button", name="Delete this item").click()
    expect(page.get_by_text(f"Media item {first} deleted.")).to_have_count(2)  # on the page and as a toast
    expect(shown).to_have_count(0)
    with Session(world["engine"]) as db:
        assert [m.id for m in db.exec(select(MediaItem).where(MediaItem.session_id == sid))] == [second]

    page.goto(f"{url}/applications/{world['app_id']}/users")
    row = page.get_by_role("row").filter(has_text="vic.viewer@example.com")
    row.get_by_role("button", name="Remove").click()
    dialog = page.get_by_role("alertdialog")
    expect(dialog).to_contain_text("Remove vic.viewer@example.com?")
    both_sizes(page, "console-fixes-remove-member-dialog")
    dialog.get_by_role("button", name="Cancel").click()
    expect(row).to_have_count(1)
    row.get_by_role("button", name="Remove").click()
    page.get_by_role("alertdialog").get_by_role("button", name="Remove access").click()
    expect(page.get_by_text("vic.viewer@example.com no longer has access to this application.")).to_be_visible()
    expect(row).to_have_count(0)


def test_3_a_session_waiting_for_a_person_says_so(owner_page, app_server, world, browser):
    page, url = owner_page, app_server.url
    page.goto(f"{url}/applications/{world['app_id']}")
    table = page.locator("#sessions-table")
    expect(table.get_by_role("row").filter(has_text="Walter Waiting").locator(".needs-review")).to_have_text(
        "NEEDS REVIEW")
    expect(table.locator(".needs-review")).to_have_count(1)
    page.locator("#review_filter").select_option("PENDING")
    expect(table.get_by_role("row")).to_have_count(2)  # header + Walter
    expect(table).to_contain_text("Walter Waiting")
    assert "review=PENDING" in (page.locator("#export-csv").get_attribute("href") or "")
    both_sizes(page, "console-fixes-sessions-needs-review")

    person = browser.new_context(viewport=PHONE).new_page()
    person.goto(f"{url}/s/{world['waiting'].token}")
    expect(person.get_by_role("heading", name="A person is checking your documents")).to_be_visible()
    expect(person.locator("#idv-review")).to_contain_text("You can close this page now")
    expect(person.get_by_text("usually takes less than a minute")).to_have_count(0)
    both_sizes(person, "capture-fixes-under-review")
    person.context.close()


def test_5_capture_pages_show_the_logo_and_the_secondary_colour(app_server, world, browser):
    with Session(world["engine"]) as db:
        owner = next(o for o in auth.list_operators(db) if o.email == OWNER_EMAIL)
        token = seed.created_session(db, owner, world["app_id"], "Lena Logo", "lena@example.org", "L-1").token
        db.commit()
    person = browser.new_context(viewport=PHONE).new_page()
    person.goto(f"{app_server.url}/s/{token}")
    heading = person.get_by_role("heading", name="Verify your identity for Fixes Bank")
    expect(heading).to_be_visible()
    logo = person.get_by_role("img", name="Fixes Bank")
    expect(logo).to_be_visible()
    person.wait_for_function("() => { const i = document.querySelector('#idv-logo');"
                             " return i && i.complete && i.naturalWidth === 240; }")
    assert heading.evaluate("h => getComputedStyle(h).color") == "rgb(124, 45, 18)"
    assert "rgb(124, 45, 18)" in person.locator("#idv-band").evaluate("b => getComputedStyle(b).backgroundImage")
    both_sizes(person, "capture-fixes-branding")
    person.context.close()


def test_6_a_rejected_authenticity_or_liveness_shows_why(owner_page, app_server, world):
    page = owner_page
    page.goto(f"{app_server.url}/applications/{world['app_id']}/sessions/{world['rejected']}")
    cards = page.locator(".check-card")
    expect(cards).to_have_count(2)
    auth_why = cards.filter(has_text="Document authenticity").locator(".why-rejected")
    expect(auth_why).to_be_visible()  # in plain view, nothing to expand
    expect(auth_why).to_contain_text("2 of 3 sub-checks failed")
    expect(auth_why.locator(".failed-sub-check")).to_have_count(2)
    expect(auth_why).to_contain_text("Not a specimen document")
    expect(auth_why).to_contain_text("Matched text: SPECIMEN")
    expect(auth_why).to_contain_text("Physical document (not a copy)")
    expect(auth_why).to_contain_text("Copy score: 0.87")
    expect(auth_why).not_to_contain_text("Image quality")  # a passed sub-check is not a reason
    live_why = cards.filter(has_text="Liveness").locator(".why-rejected")
    expect(live_why).to_contain_text("Challenge 1 blink")
    expect(live_why).to_contain_text("Response (s): none")
    expect(live_why).to_contain_text("No one reviews this check by hand")
    both_sizes(page, "console-fixes-session-why-rejected")
