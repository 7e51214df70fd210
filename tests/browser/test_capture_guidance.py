"""The capture pages as a person meets them (issue 14 items 8 and 15, issue 12's automatic capture),
in Debian's Chromium with a fake camera:

- a French link is French to the browser: <html lang="fr"> and a French document title;
- the video selfie counts each challenge's seconds down, never says "Checking your video" while a
  challenge runs, keeps "1 / 2" on one line on a 390 px phone, ends a failed attempt when the pending
  challenge's time is up, and "Try again" starts the next attempt without a press on "I'm ready";
- the document camera takes the photo by itself once the passport is whole, sharp and steady (saying
  "Hold still… taking the photo"), and never while the document is cut by the frame.

Screenshots: test-artifacts/screenshots/capture-guidance-*.png at 1440x900 and 390x844.
"""
from __future__ import annotations

import re
import time

import pytest
from playwright.sync_api import expect
from sqlmodel import select

from identity_app.models import MediaItem, MediaKind, Resource, ResourceKind
from tests import capture_media as cm
from tests.browser.capture_flow import (LIVENESS_ONLY, PHONE, TEST_ENV, camera_browser, db_of, new_session,
                                        open_page)
from tests.browser.conftest import screenshot, start_app, stop_app
from tests.services.session_factory import NO_REVIEW

expect.set_options(timeout=20_000)
DESKTOP = {"width": 1440, "height": 900}


@pytest.fixture(scope="module")
def guidance_app(tmp_path_factory):
    app = start_app(tmp_path_factory.mktemp("guidance-app"), TEST_ENV)
    yield app
    stop_app(app.proc)


@pytest.fixture(scope="module")
def cut_document(tmp_path_factory):
    """The passport held too close: cut by the frame's left and right edges."""
    folder = tmp_path_factory.mktemp("camera-cut")
    return cm.write_y4m(folder / "cut.y4m", [cm.document_frame(fill=1.25, turn=2.0 * (k % 3)) for k in range(24)])


def shots(page, name: str) -> None:
    size = page.viewport_size
    for label, viewport in (("desktop", DESKTOP), ("phone", PHONE)):
        page.set_viewport_size(viewport)
        screenshot(page, f"capture-guidance-{name}-{label}")
    page.set_viewport_size(size)


def consent(page, heading: str = "Verify your identity for Acme Bank", start: str = "Start") -> None:
    expect(page.get_by_role("heading", name=heading)).to_be_visible()
    page.get_by_role("checkbox").click()
    page.get_by_role("button", name=start).click()


def test_a_french_link_is_french_to_the_browser(guidance_app, playwright_driver):
    _, token = new_session(guidance_app, checks=NO_REVIEW, locale="fr")
    browser = camera_browser(playwright_driver, None)
    try:
        page = open_page(browser, f"{guidance_app.url}/s/{token}", PHONE)
        expect(page.get_by_role("heading", name="Vérifiez votre identité pour Acme Bank")).to_be_visible()
        expect(page).to_have_title("Vérification d'identité")
        assert page.evaluate("document.documentElement.lang") == "fr"
        shots(page, "1-french-welcome")
    finally:
        browser.close()
    _, token = new_session(guidance_app, checks=NO_REVIEW)  # and an English one stays English
    browser = camera_browser(playwright_driver, None)
    try:
        page = open_page(browser, f"{guidance_app.url}/s/{token}", PHONE)
        expect(page.get_by_role("heading", name="Verify your identity for Acme Bank")).to_be_visible()
        expect(page).to_have_title("Identity verification")
        assert page.evaluate("document.documentElement.lang") == "en"
    finally:
        browser.close()


def lines_of(page, selector: str) -> int:
    """How many lines the element's text takes."""
    return page.evaluate("""(sel) => { const r = document.createRange();
        r.selectNodeContents(document.querySelector(sel));
        return new Set([...r.getClientRects()].map(c => Math.round(c.top))).size; }""", selector)


def test_liveness_counts_down_and_try_again_starts_the_next_attempt(guidance_app, playwright_driver, videos):
    session_id, token = new_session(guidance_app, checks=LIVENESS_ONLY)  # 2 attempts (NO_REVIEW's max_retries)
    browser = camera_browser(playwright_driver, videos["print"])  # a print: it cannot blink in time
    try:
        page = open_page(browser, f"{guidance_app.url}/s/{token}", PHONE)
        consent(page)
        expect(page.get_by_role("heading", name="Video selfie")).to_be_visible()
        page.get_by_role("button", name="I'm ready").click()
        began = time.monotonic()
        expect(page.locator("#idv-instruction")).to_contain_text("Turn your head", timeout=30_000)
        countdown = page.locator("#idv-countdown")
        expect(countdown).to_have_text(re.compile(r"^\d+ s left$"))
        seconds = int(countdown.inner_text().split()[0])
        assert 1 <= seconds <= 10
        expect(page.get_by_text("Checking your video")).to_have_count(0)  # not while the challenge runs
        expect(page.locator("#idv-step-count")).to_have_text("1 / 2")
        assert lines_of(page, "#idv-step-count") == 1  # on a 390 px phone, beside a long instruction
        shots(page, "2-liveness-countdown")
        expect(countdown).to_have_attribute("data-tone", "warn", timeout=15_000)  # the last seconds stand out
        screenshot(page, "capture-guidance-2b-liveness-last-seconds-phone")
        expect(page.get_by_role("alert")).to_contain_text("That didn't work", timeout=90_000)
        first_s = time.monotonic() - began
        shots(page, "3-liveness-failed")
        page.get_by_role("button", name="Try again (1 left)").click()
        # The next attempt runs at once: its instruction and countdown, no second press on "I'm ready".
        expect(page.locator("#idv-countdown")).to_have_text(re.compile(r"^\d+ s left$"), timeout=30_000)
        expect(page.locator("#idv-instruction")).not_to_have_text("")
        expect(page.get_by_text("Checking your video")).to_have_count(0)
        expect(page.get_by_role("button", name="I'm ready")).to_be_disabled()  # busy: the attempt runs
    finally:
        browser.close()
    print(f"\nfailed liveness attempt (a print), press to 'That didn't work': {first_s:.1f} s")
    with db_of(guidance_app) as db:
        attempts = db.exec(select(Resource).where(Resource.session_id == session_id,
                                                  Resource.kind == ResourceKind.LIVENESS)).all()
    assert len(attempts) == 2 and len({len(a.challenge) for a in attempts}) == 1


def document_photos(app, session_id: int) -> list[MediaItem]:
    with db_of(app) as db:
        return list(db.exec(select(MediaItem).where(MediaItem.session_id == session_id,
                                                    MediaItem.kind == MediaKind.DOCUMENT_FRONT)))


def test_the_document_camera_takes_the_photo_by_itself(guidance_app, playwright_driver, videos):
    session_id, token = new_session(guidance_app, checks=NO_REVIEW)
    browser = camera_browser(playwright_driver, videos["document"])  # the passport held up, swaying a pixel
    try:
        page = open_page(browser, f"{guidance_app.url}/s/{token}", DESKTOP)
        consent(page)
        expect(page.get_by_role("heading", name="Your identity document")).to_be_visible(timeout=30_000)
        expect(page.locator("#idv-feedback")).to_contain_text("Hold still… taking the photo", timeout=30_000)
        screenshot(page, "capture-guidance-4-auto-capture-desktop")
        # Nobody presses "Take photo": the page does, and the flow goes on.
        expect(page.get_by_role("heading", name="Video selfie")).to_be_visible(timeout=60_000)
        shots(page, "5-after-auto-capture")
    finally:
        browser.close()
    assert len(document_photos(guidance_app, session_id)) == 1


def test_the_back_is_not_the_front_taken_again_by_itself(guidance_app, playwright_driver, videos):
    """A card has a back: after the front, the page waits for the card to be turned over (a frame that is
    not ready) before it takes a photo by itself; the camera still sees the front, so it takes none."""
    checks = {**NO_REVIEW, "document_authenticity": {"accepted_types": ["NATIONAL_ID"]}}
    session_id, token = new_session(guidance_app, checks=checks)
    browser = camera_browser(playwright_driver, videos["document"])
    try:
        page = open_page(browser, f"{guidance_app.url}/s/{token}", PHONE)
        consent(page)
        expect(page.get_by_text("Now turn the document over")).to_be_visible(timeout=60_000)  # the front, taken by itself
        time.sleep(6)  # a dozen assessments of the same, ready front
        expect(page.locator("#idv-feedback")).not_to_contain_text("Hold still")
        assert len(document_photos(guidance_app, session_id)) == 1
        shots(page, "7-document-back-waits")
        page.get_by_role("button", name="Take photo").click()  # the person's press still takes it
        expect(page.get_by_role("heading", name="Video selfie")).to_be_visible(timeout=60_000)
    finally:
        browser.close()
    with db_of(guidance_app) as db:
        backs = db.exec(select(MediaItem).where(MediaItem.session_id == session_id,
                                                MediaItem.kind == MediaKind.DOCUMENT_BACK)).all()
    assert len(backs) == 1


def test_a_document_cut_by_the_frame_is_not_taken_by_itself(guidance_app, playwright_driver, cut_document):
    session_id, token = new_session(guidance_app, checks=NO_REVIEW)
    browser = camera_browser(playwright_driver, cut_document)
    try:
        page = open_page(browser, f"{guidance_app.url}/s/{token}", PHONE)
        consent(page)
        expect(page.get_by_role("heading", name="Your identity document")).to_be_visible(timeout=30_000)
        expect(page.locator("#idv-feedback")).to_contain_text("cut off", timeout=30_000)
        shots(page, "6-document-cut")
        time.sleep(6)  # a dozen assessments: none takes the photo
        expect(page.locator("#idv-feedback")).not_to_contain_text("Hold still")
        expect(page.get_by_role("heading", name="Your identity document")).to_be_visible()
        expect(page.get_by_role("button", name="Take photo")).to_be_enabled()  # a press still may
    finally:
        browser.close()
    assert document_photos(guidance_app, session_id) == []
