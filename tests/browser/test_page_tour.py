"""Every console page, signed out and signed in, at 1440x900 and 390x844, as the README's
screenshot list names them (`tour-<page>-{desktop,phone}.png`): each shows its one h1 and none
is wider than a 390 px phone. The capture pages have their own (tests/browser/test_capture_*)."""
from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect
from sqlmodel import Session

from identity_app.db import make_engine
from identity_app.services.access import auth
from tests import seed
from tests.browser.conftest import screenshot
from tests.browser.helpers import OWNER_EMAIL, signed_in_owner, sign_in_to_code_page

pytestmark = pytest.mark.slow
expect.set_options(timeout=30_000)
DESKTOP, PHONE = {"width": 1440, "height": 900}, {"width": 390, "height": 844}


def both_sizes(page, name: str) -> None:
    """Screenshots at both sizes; on the phone, nothing sticks out sideways."""
    for size, suffix in ((DESKTOP, "desktop"), (PHONE, "phone")):
        page.set_viewport_size(size)
        page.wait_for_timeout(400)
        if size is PHONE:
            width = page.evaluate("document.documentElement.scrollWidth")
            assert width <= PHONE["width"], (name, width)
        screenshot(page, f"tour-{name}-{suffix}")
    page.set_viewport_size(DESKTOP)


@pytest.fixture(scope="module")
def world(app_server, browser):
    context = browser.new_context(viewport=DESKTOP)
    signed_in_owner(context.new_page(), app_server)  # the first sign-up sets up the owner
    context.close()
    engine = make_engine(f"sqlite:///{Path(app_server.env['IDV_DATA_DIR']) / 'identity.db'}")
    with Session(engine, expire_on_commit=False) as db:
        owner = next(o for o in auth.list_operators(db) if o.email == OWNER_EMAIL)
        app_id = seed.new_app(db, owner, "Tour Bank")
        session_id = seed.created_session(db, owner, app_id, "Tess Tour", "tess@example.org", "T-1").id
        db.commit()
    yield dict(app_id=app_id, session_id=session_id)
    engine.dispose()


def test_the_sign_in_pages(page, app_server, world):
    page.goto(app_server.url + "/signin")
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    both_sizes(page, "sign-in")
    sign_in_to_code_page(page, app_server.url)
    both_sizes(page, "two-factor-code")


def test_every_signed_in_console_page(page, app_server, world):
    signed_in_owner(page, app_server)
    app, sid = world["app_id"], world["session_id"]
    pages = {
        "applications": "/", "sessions": f"/applications/{app}", "session": f"/applications/{app}/sessions/{sid}",
        "review-queue": f"/applications/{app}/review", "dashboard": f"/applications/{app}/dashboard",
        "users": f"/applications/{app}/users", "settings": f"/applications/{app}/settings",
        "integrations": f"/applications/{app}/integrations", "audit": "/audit",
    }
    for name, path in pages.items():
        page.goto(app_server.url + path)
        expect(page.locator("main h1")).to_be_visible()
        # One h1 (before: the session page's section headings were h1 too, Radix's default)
        assert page.locator("h1").count() == 1, (name, page.locator("h1").all_inner_texts())
        if name == "session":  # nobody opened Tess's link: the banner says whom the session waits for
            expect(page.locator("#session-progress")).to_have_text("Waiting for the person to open the link.")
        if name == "sessions":  # and the list says so under IN PROGRESS
            expect(page.locator(".session-progress")).to_have_text("link not opened")
        both_sizes(page, name)
