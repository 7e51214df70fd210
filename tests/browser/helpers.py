"""Shared sign-in helpers for browser tests: the owner account, set up or
signed in, with TOTP codes computed from the secret shown at enrolment."""
from __future__ import annotations

import re
import time

import pyotp
from playwright.sync_api import expect

from tests.browser.conftest import screenshot

OWNER_EMAIL = "owner@example.com"
OWNER_PASSWORD = "a long owner password"
# TOTP secret of the owner per app url (known once this module enrolled the owner).
_SECRETS: dict[str, str] = {}
# Last TOTP step used per app url: a code is single-use.
_LAST_STEP: dict[str, int] = {}
# The owner's sign-in cookies per app url, reused by the next test: a fresh sign-in needs a TOTP
# step not used before, up to 30 s of waiting each time (most of the browser tests' wall time).
_COOKIES: dict[str, list] = {}


def fill(page, label: str, value: str) -> None:
    page.get_by_label(label, exact=True).fill(value)


def fresh_code(url: str) -> str:
    """A code of a step not used before by these helpers (waits for the next step if needed)."""
    secret = _SECRETS[url]
    step = int(time.time() // 30)
    if _LAST_STEP.get(url, -1) >= step:
        time.sleep(30 - time.time() % 30 + 0.5)
        step = int(time.time() // 30)
    _LAST_STEP[url] = step
    return pyotp.TOTP(secret).at(step * 30)


def _enrol(page, url: str) -> None:
    expect(page.get_by_role("heading", name="Set up two-factor authentication")).to_be_visible()
    # The secret arrives with the page's state, after the static heading.
    expect(page.locator("#totp-secret")).to_have_text(re.compile(r"[A-Z2-7]{16,}"))
    _SECRETS[url] = page.locator("#totp-secret").inner_text().strip()
    fill(page, "Code from the app", fresh_code(url))
    page.get_by_role("button", name="Confirm and continue").click()
    expect(page.get_by_role("heading", name="Save your recovery codes")).to_be_visible()
    page.get_by_role("button", name="I have saved them").click()
    expect(page.get_by_role("heading", name="Applications")).to_be_visible()


def set_up_owner(page) -> None:
    """The first-run form, filled in as the owner.

    The page mounts its form again once it has connected to the app; on a loaded machine that came
    after the first fields were typed (CI: name and email empty, the passwords kept, so the browser's
    required-field check held the form back). Fields found empty are typed again before the click."""
    fields = {"Your name": "Olive Owner", "Email": OWNER_EMAIL,
              "Password (at least 10 characters)": OWNER_PASSWORD, "Repeat the password": OWNER_PASSWORD}
    for label, value in fields.items():
        fill(page, label, value)
    for _ in range(3):
        empty = [label for label in fields if page.get_by_label(label, exact=True).input_value() != fields[label]]
        if not empty:
            break
        for label in empty:
            fill(page, label, fields[label])
    page.get_by_role("button", name="Create owner account").click()


def _password(page, url: str) -> None:
    page.goto(url + "/signin")
    fill(page, "Email", OWNER_EMAIL)
    fill(page, "Password", OWNER_PASSWORD)
    page.get_by_role("button", name="Continue").click()


def _owner_exists(app_server) -> bool:
    """Asked of the app's own database (the pages redirect only after hydration)."""
    from identity_app.db import make_engine
    from identity_app.services.access import auth
    from sqlmodel import Session

    engine = make_engine(f"sqlite:///{app_server.data_dir / 'identity.db'}")
    try:
        with Session(engine) as db:
            return auth.owner_exists(db)
    finally:
        engine.dispose()


def signed_in_owner(page, app_server) -> None:
    """Leave `page` signed in as the owner (set up first when the app is new), with the cookies of
    an earlier sign-in when the server still honours them."""
    url = app_server.url
    if url in _COOKIES and _owner_exists(app_server):
        page.context.add_cookies(_COOKIES[url])
        page.goto(url + "/")
        home = page.get_by_role("heading", name="Applications")
        expect(home.or_(page.get_by_role("heading", name="Sign in"))).to_be_visible()
        if home.is_visible():
            return
        del _COOKIES[url]  # signed out or expired since: sign in again
        page.context.clear_cookies()
    _sign_in_owner(page, app_server)
    _COOKIES[url] = page.context.cookies()


def _sign_in_owner(page, app_server) -> None:
    url = app_server.url
    if not _owner_exists(app_server):
        page.goto(url + "/setup")
        expect(page.get_by_role("heading", name="Set up the owner account")).to_be_visible()
        set_up_owner(page)
        _enrol(page, url)
        return
    if url not in _SECRETS:
        # Enrolled by another test whose secret we do not know: reset TOTP as the
        # container's operator would, then enrol again.
        app_server.cli("reset-totp", "--email", OWNER_EMAIL)
    _password(page, url)
    if url not in _SECRETS:
        _enrol(page, url)
        return
    expect(page.get_by_role("heading", name="Two-factor code")).to_be_visible()
    fill(page, "Code", fresh_code(url))
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Applications")).to_be_visible()


def sign_in_to_code_page(page, url: str) -> None:
    _password(page, url)
    expect(page.get_by_role("heading", name="Two-factor code")).to_be_visible()


def next_code(secret: str) -> str:
    """The code of the next 30-second step (the current one was used already)."""
    t = pyotp.TOTP(secret)
    wait = 30 - (time.time() % 30)
    if wait > 25:  # a fresh step began just now: its code may be the one used before
        time.sleep(wait - 24)
    return t.at(time.time() + 30)


def front_door_flow(page, url: str) -> None:
    page.goto(url + "/")
    expect(page).to_have_url(url + "/setup")
    expect(page.get_by_role("heading", name="Set up the owner account")).to_be_visible()
    set_up_owner(page)

    expect(page.get_by_role("heading", name="Set up two-factor authentication")).to_be_visible()
    expect(page.get_by_alt_text("QR code for your authenticator app")).to_be_visible()
    secret = page.locator("#totp-secret").inner_text().strip()
    assert len(secret) >= 16
    screenshot(page, "console-totp-enrolment")
    fill(page, "Code from the app", "000000" if pyotp.TOTP(secret).now() != "000000" else "111111")
    page.get_by_role("button", name="Confirm and continue").click()
    expect(page.get_by_role("alert")).to_contain_text("not right")
    first_code = pyotp.TOTP(secret).now()
    fill(page, "Code from the app", first_code)
    page.get_by_role("button", name="Confirm and continue").click()

    expect(page.get_by_role("heading", name="Save your recovery codes")).to_be_visible()
    expect(page.locator("#recovery-codes code")).to_have_count(8)  # drawn from /api/auth/recovery-codes
    page.get_by_role("button", name="I have saved them").click()
    expect(page.get_by_role("heading", name="Applications")).to_be_visible()

    # The setup page is gone for good.
    page.goto(url + "/setup")
    expect(page).to_have_url(url + "/")
    expect(page.get_by_role("heading", name="Applications")).to_be_visible()

    # Sign out from the menu ends the sign-in on the server.
    page.get_by_role("button", name="Account menu").click()
    page.get_by_role("menuitem", name="Sign out").click()
    expect(page).to_have_url(re.compile(re.escape(url) + r"/signin/?$"))
    page.goto(url + "/")
    expect(page).to_have_url(re.compile(re.escape(url) + r"/signin/?$"))

    # Sign in again: a wrong code is refused, then the next code works.
    sign_in_to_code_page(page, url)
    fill(page, "Code", "999999" if pyotp.TOTP(secret).now() != "999999" else "888888")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_contain_text("not right")
    code = next_code(secret)
    fill(page, "Code", code)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Applications")).to_be_visible()
    screenshot(page, "console-home")

    # The same code again (another sign-in) is refused as reused.
    page.get_by_role("button", name="Account menu").click()
    page.get_by_role("menuitem", name="Sign out").click()
    expect(page).to_have_url(re.compile(re.escape(url) + r"/signin/?$"))
    sign_in_to_code_page(page, url)
    fill(page, "Code", code)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_contain_text("already used")
