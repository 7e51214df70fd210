"""Admission in a real browser (issue 13): with one live-capture place, the second person at the
document step is told their place in line (nobody waits silently), and is served once the first
person has gone quiet, with no reload."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.capture_flow import (DESKTOP, PHONE, TEST_ENV, both_sizes, camera_browser, consent, new_session,
                                        open_page)
from tests.browser.conftest import start_app, stop_app

ONE_PLACE = {**TEST_ENV, "IDV_LIVE_CAPTURES": "1"}
READY = re.compile("Looks good|Hold still|Move|Fill|glare|sharp|whole", re.I)


@pytest.fixture(scope="module")
def one_place_app(tmp_path_factory):
    app = start_app(tmp_path_factory.mktemp("one-place-app"), ONE_PLACE)
    yield app
    stop_app(app.proc)


def at_document_step(browser, url: str, viewport):
    page = open_page(browser, url, viewport)
    consent(page)
    expect(page.get_by_role("heading", name="Your identity document")).to_be_visible()
    return page


def served(page):
    """Hints on the document (or the photo already taken by itself and the next step shown)."""
    return page.locator("#idv-feedback", has_text=READY).or_(page.get_by_role("heading", name="Video selfie"))


def test_the_second_person_sees_their_place_in_line_then_is_served(one_place_app, playwright_driver, videos):
    first = camera_browser(playwright_driver, videos["document"])
    second = camera_browser(playwright_driver, videos["document"])
    try:
        _, token_a = new_session(one_place_app)
        _, token_b = new_session(one_place_app)
        page_a = at_document_step(first, f"{one_place_app.url}/s/{token_a}", DESKTOP)
        expect(served(page_a)).to_be_visible(timeout=30_000)  # the one place is A's

        page_b = at_document_step(second, f"{one_place_app.url}/s/{token_b}", PHONE)
        feedback_b = page_b.locator("#idv-feedback")
        expect(feedback_b).to_contain_text("You are number 1 in line", timeout=30_000)
        both_sizes(page_b, "waiting-in-line")
        assert not page_b.get_by_role("button", name=re.compile("Take photo")).is_disabled()  # still usable

        first.close()  # A leaves; their place is free once they have been quiet for the idle time
        expect(served(page_b)).to_be_visible(timeout=90_000)
    finally:
        first.close()
        second.close()
