"""Issue 14: an application's dashboard and a session's PDF report, in a real browser.

Sessions are written straight into the app's database with the moments the dashboard counts
(created, link opened, consent, captures, completed, expired) and check results; one session
holds real images for the PDF. What is tested is the page and the route as a person uses them."""
from __future__ import annotations

import re
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import expect
from sqlmodel import Session

from identity_app.checks.report import CheckType
from identity_app.db import make_engine
from identity_app.models import (Check, CheckState, ManualCheck, MediaKind, Resource, ResourceKind, ReviewState,
                                 SessionState, VerificationSession, utcnow)
from identity_app.services.access import auth
from identity_app.services.capture.media import store_session_media
from identity_app.services.sessions import stats
from identity_app.storage import LocalMediaStore
from tests import capture_media as cm
from tests import seed
from tests.browser.conftest import ARTIFACTS, screenshot
from tests.browser.helpers import OWNER_EMAIL, signed_in_owner
from tests.pdf_text import image_count, pdf_text

expect.set_options(timeout=30_000)
DESKTOP, PHONE = {"width": 1440, "height": 900}, {"width": 390, "height": 844}


NOW = utcnow()
CREATED = [NOW - timedelta(days=i * 1.5, hours=1) for i in range(40)]


def created_in(days: int) -> str:
    since, _ = stats.range_of(days, utcnow())
    return str(sum(c >= since for c in CREATED))


def _sessions(db, app_id: int) -> int:
    """40 sessions over the last 60 days at every step of the funnel; returns one completed id."""
    now = NOW
    completed_id = 0
    for i in range(40):
        created = CREATED[i]
        step = i % 6  # 0 never opened .. 5 completed
        opened = created + timedelta(minutes=3) if step >= 1 else None
        vs = VerificationSession(
            application_id=app_id, token=uuid.uuid4().hex, user_name=f"Person {i}", user_email=f"p{i}@example.org",
            created_at=created, expires_at=created + timedelta(days=7),
            state=SessionState.COMPLETED if step == 5 else (SessionState.EXPIRED if created < now - timedelta(days=7)
                                                           else SessionState.ONGOING),
            started_at=opened, consent_at=opened if step >= 2 else None,
            capture_finished_at=opened + timedelta(minutes=2) if step >= 4 and opened else None,
            completed_at=opened + timedelta(minutes=2 + i % 9) if step == 5 and opened else None)
        db.add(vs)
        db.flush()
        if step >= 3:
            db.add(Resource(session_id=vs.id, kind=ResourceKind.ID_DOCUMENT))
        if step >= 4:
            db.add(Resource(session_id=vs.id, kind=ResourceKind.LIVENESS))
        if step == 5:
            completed_id = vs.id
            # Completed: i = 5, 11, 17, 23, 29, 35; liveness rejected for 11, 23, 35; face match waits for a
            # person on 5, 17, 29.
            for check_type, rec in ((CheckType.LIVENESS, "REJECT" if i % 4 == 3 else "APPROVE"),
                                    (CheckType.ID_DOCUMENT_AUTHENTICITY, "APPROVE"),
                                    (CheckType.ID_DOCUMENT_FACE_MATCH, "NOT_AVAILABLE" if i % 4 == 1 else "APPROVE")):
                pending = check_type is CheckType.ID_DOCUMENT_FACE_MATCH and rec == "NOT_AVAILABLE"
                db.add(Check(session_id=vs.id, type=check_type, state=CheckState.DONE, recommendation=rec,
                             manual_check=ManualCheck.FALLBACK, completed_at=vs.completed_at,
                             review_state=ReviewState.PENDING if pending else ReviewState.NOT_REQUIRED))
    return completed_id


@pytest.fixture(scope="module")
def world(app_server, browser):
    context = browser.new_context(viewport=DESKTOP)
    signed_in_owner(context.new_page(), app_server)
    context.close()
    data_dir = Path(app_server.env["IDV_DATA_DIR"])
    engine = make_engine(f"sqlite:///{data_dir / 'identity.db'}")
    store = LocalMediaStore(data_dir / "media", app_server.env["IDV_SECRET_KEY"])
    with Session(engine, expire_on_commit=False) as db:
        owner = next(o for o in auth.list_operators(db) if o.email == OWNER_EMAIL)
        app_id = seed.new_app(db, owner, "Dashboard Bank")
        completed_id = _sessions(db, app_id)
        for kind, data in ((MediaKind.DOCUMENT_FRONT, cm.jpeg(cm.document_frame(), 95)),
                           (MediaKind.SELFIE, cm.jpeg(cm.face_loop()[0], 90))):
            store_session_media(db, store, session_id=completed_id, kind=kind, data=data, content_type="image/jpeg")
        db.commit()
    engine.dispose()
    return app_server.url, app_id, completed_id


def _signed_in_page(browser, app_server, size=DESKTOP):
    context = browser.new_context(viewport=size, accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(30_000)
    signed_in_owner(page, app_server)
    return page


def test_the_dashboard_shows_the_figures_and_follows_the_range(browser, app_server, world):
    url, app_id, _ = world
    page = _signed_in_page(browser, app_server)
    page.goto(f"{url}/applications/{app_id}")
    page.get_by_role("navigation", name="Application").get_by_role("link", name="Dashboard").click()
    expect(page).to_have_url(re.compile(rf"/applications/{app_id}/dashboard$"))
    expect(page.get_by_role("heading", name="Dashboard Bank", level=1)).to_be_visible()
    for title in ("Sessions per day", "From link to completed", "Pass rates per check", "Time to complete",
                  "Reviews waiting"):
        expect(page.get_by_role("heading", name=title, level=2)).to_be_visible()
    # 30 days: sessions 0..19 (every 1.5 days, the newest an hour ago) were created in the range.
    expect(page.locator("#stat-created")).to_have_text(created_in(30))
    funnel = page.locator("#funnel-table")
    expect(funnel.get_by_role("row").nth(1)).to_contain_text("Link created")
    expect(funnel.get_by_role("row").nth(7)).to_contain_text("Checks completed")
    expect(funnel.get_by_role("row").nth(2)).to_contain_text(re.compile(r"Link opened\s*\d+\s*\d+%\s*\d+ \(\d+(\.\d)?%\)"))
    expect(page.locator("#pass-rate-table")).to_contain_text("Liveness")
    expect(page.locator("#pass-rate-table")).to_contain_text("66.7%")  # liveness of 5, 11 (rejected), 17
    expect(page.locator("#median-time")).to_have_text(re.compile(r"\d+ min"))
    expect(page.locator("#stat-waiting")).to_have_text("3")  # waiting now, whatever the range
    expect(page.locator("#reviews-waiting")).to_contain_text("3 checks wait for a person now; the oldest for")
    expect(page.locator("#per-day .recharts-surface").first).to_be_visible()  # Recharts drew it
    expect(page.locator("#funnel .recharts-bar-rectangle").first).to_be_visible()
    screenshot(page, "dashboard-30-days-desktop")
    page.set_viewport_size(PHONE)
    page.wait_for_timeout(500)
    screenshot(page, "dashboard-30-days-phone")
    page.set_viewport_size(DESKTOP)
    page.get_by_role("radio", name="7 days").click()
    expect(page).to_have_url(re.compile(rf"/applications/{app_id}/dashboard\?days=7$"))
    expect(page.locator("#stat-created")).to_have_text(created_in(7))  # 0, 1.5, 3, 4.5 (6) days ago
    page.reload()
    expect(page.locator("#stat-created")).to_have_text(created_in(7))  # the range survives a reload
    page.get_by_role("radio", name="90 days").click()
    expect(page.locator("#stat-created")).to_have_text("40")
    screenshot(page, "dashboard-90-days-desktop")
    page.set_viewport_size(PHONE)
    page.wait_for_timeout(500)
    width = page.evaluate("document.documentElement.scrollWidth")
    screenshot(page, "dashboard-90-days-phone")
    assert width <= PHONE["width"], f"the dashboard is {width} px wide on a 390 px phone"
    page.context.close()


def test_an_application_the_operator_cannot_see_shows_nothing(browser, app_server, world):
    url, _, _ = world
    page = _signed_in_page(browser, app_server)
    page.goto(f"{url}/applications/999999/dashboard")
    expect(page.get_by_role("alert")).to_contain_text("That application does not exist.")
    expect(page.locator("#stat-created")).to_have_count(0)
    page.context.close()


def test_the_pdf_report_downloads_for_the_signed_in_operator_only(browser, app_server, world, playwright_driver):
    url, _, session_id = world
    report_url = f"{url}/api/sessions/{session_id}/report.pdf"
    page = _signed_in_page(browser, app_server)
    r = page.context.request.get(report_url)
    assert r.status == 200 and r.headers["content-type"] == "application/pdf"
    pdf = r.body()
    text = " ".join(pdf_text(pdf).split())
    assert f"Verification session #{session_id}" in text and "Person 35" in text
    assert "Liveness, attempt 1:" in text and "Session: report downloaded" in text
    assert image_count(pdf) >= 2  # the selfie and the document (and its portrait when one is found)
    (ARTIFACTS / "reports").mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / "reports" / "session-report-example.pdf").write_bytes(pdf)  # test data only
    page.context.close()
    signed_out = playwright_driver.request.new_context()
    assert signed_out.get(report_url).status == 401
    signed_out.dispose()
