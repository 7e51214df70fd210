"""The console's front door in a real browser: owner setup, TOTP enrolment,
sign-out, sign-in with TOTP, a wrong code and a reused code refused."""
from __future__ import annotations


import pytest
from playwright.sync_api import expect

from tests.browser.conftest import start_app, stop_app
from tests.browser.helpers import OWNER_EMAIL as EMAIL, OWNER_PASSWORD as PASSWORD, fill, front_door_flow


@pytest.fixture(scope="module")
def fresh_app(tmp_path_factory):
    """An app of its own: the first-run setup needs a database with no operator."""
    app = start_app(tmp_path_factory.mktemp("front-door"))
    yield app
    stop_app(app.proc)


def test_owner_setup_enrolment_sign_out_and_sign_in(page, fresh_app):
    front_door_flow(page, fresh_app.url)


def test_wrong_password_gets_a_generic_message(page, fresh_app):
    if "owner@example.com" not in fresh_app.cli("list-operators"):  # run alone: no owner yet
        fresh_app.cli("create-owner", "--email", EMAIL, "--name", "Olive Owner", env={"IDV_OWNER_PASSWORD": PASSWORD})
    page.goto(fresh_app.url + "/signin")
    fill(page, "Email", "nobody@example.com")
    fill(page, "Password", "whatever password")
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("alert")).to_contain_text("do not match an account")
