"""The console's front door in a real browser: owner setup, TOTP enrolment,
sign-out, sign-in with TOTP, a wrong code and a reused code refused."""
from __future__ import annotations

import re
import time

import pyotp
import pytest
from playwright.sync_api import expect

from tests.browser.conftest import screenshot, start_app, stop_app

EMAIL = "owner@example.com"
PASSWORD = "a long owner password"


def fill(page, label: str, value: str) -> None:
    page.get_by_label(label, exact=True).fill(value)


def sign_in_password(page, url: str) -> None:
    page.goto(url + "/signin")
    fill(page, "Email", EMAIL)
    fill(page, "Password", PASSWORD)
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", name="Two-factor code")).to_be_visible()


def next_code(secret: str) -> str:
    """The code of the next 30-second step (the current one was used already)."""
    t = pyotp.TOTP(secret)
    wait = 30 - (time.time() % 30)
    if wait > 25:  # a fresh step began just now: its code may be the one used before
        time.sleep(wait - 24)
    return t.at(time.time() + 30)


@pytest.fixture(scope="module")
def fresh_app(tmp_path_factory):
    """An app of its own: the first-run setup needs a database with no operator."""
    app = start_app(tmp_path_factory.mktemp("front-door"))
    yield app
    stop_app(app.proc)


def test_owner_setup_enrolment_sign_out_and_sign_in(page, fresh_app):
    front_door_flow(page, fresh_app.url)


def front_door_flow(page, url: str) -> None:
    page.goto(url + "/")
    expect(page).to_have_url(url + "/setup")
    expect(page.get_by_role("heading", name="Set up the owner account")).to_be_visible()
    fill(page, "Your name", "Olive Owner")
    fill(page, "Email", EMAIL)
    fill(page, "Password (at least 10 characters)", PASSWORD)
    fill(page, "Repeat the password", PASSWORD)
    page.get_by_role("button", name="Create owner account").click()

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
    sign_in_password(page, url)
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
    sign_in_password(page, url)
    fill(page, "Code", code)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_contain_text("already used")


def test_wrong_password_gets_a_generic_message(page, fresh_app):
    if "owner@example.com" not in fresh_app.cli("list-operators"):  # run alone: no owner yet
        fresh_app.cli("create-owner", "--email", EMAIL, "--name", "Olive Owner", env={"IDV_OWNER_PASSWORD": PASSWORD})
    page.goto(fresh_app.url + "/signin")
    fill(page, "Email", "nobody@example.com")
    fill(page, "Password", "whatever password")
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("alert")).to_contain_text("do not match an account")
