"""The console in a real browser: create and configure an application, invite a
user and sign in as them, create a session and read its link and QR code,
search the list, export it, and a bulk CSV upload with an invalid row."""
from __future__ import annotations

import csv
import io
import re

import cv2
import numpy as np
import pyotp
from PIL import Image
from playwright.sync_api import expect

from tests.browser.conftest import screenshot
from tests.browser.helpers import fill, signed_in_owner

APP_NAME = "Acme Onboarding"
IVY = "ivy@example.com"
IVY_PASSWORD = "ivy's long password"


def logo_png() -> bytes:
    """A small synthetic logo (drawn here: no evaluation image leaves ../shared/data)."""
    img = np.full((120, 360, 3), 255, np.uint8)
    cv2.rectangle(img, (10, 10), (110, 110), (200, 80, 20), -1)
    cv2.putText(img, "ACME", (130, 80), cv2.FONT_HERSHEY_SIMPLEX, 2, (40, 40, 40), 4)
    ok, buf = cv2.imencode(".png", img)
    return bytes(buf)


def decode_qr(png: bytes) -> str:
    image = cv2.cvtColor(np.array(Image.open(io.BytesIO(png)).convert("RGB")), cv2.COLOR_RGB2BGR)
    image = cv2.resize(image, None, fx=2, fy=2, interpolation=cv2.INTER_NEAREST)
    # The SVG has a 2-module quiet zone; the detector wants a wider white margin.
    image = cv2.copyMakeBorder(image, 40, 40, 40, 40, cv2.BORDER_CONSTANT, value=(255, 255, 255))
    # The classic detector misses about 1 valid code in 30 (see test_sessions); the ArUco-based first.
    return cv2.QRCodeDetectorAruco().detectAndDecode(image)[0] or cv2.QRCodeDetector().detectAndDecode(image)[0]


def create_and_configure_application(page, url: str) -> str:
    """Returns the application's sessions page URL."""
    page.goto(url + "/")
    expect(page.get_by_role("heading", name="Applications")).to_be_visible()
    fill(page, "Name", APP_NAME)
    fill(page, "Description", "Retail customers")
    page.get_by_role("button", name="Create application").click()
    page.get_by_role("link", name=APP_NAME).click()
    expect(page.get_by_role("heading", name=APP_NAME)).to_be_visible()
    expect(page.locator("#sessions-total")).to_have_text("0 sessions")
    expect(page).to_have_url(re.compile(r".*/applications/[1-9][0-9]*$"))
    app_url = page.url

    settings_tab = page.get_by_role("navigation", name="Application").get_by_role("link", name="Settings")
    expect(settings_tab).to_have_attribute("href", app_url.replace(url, "") + "/settings")  # state loaded
    settings_tab.click()
    expect(page.get_by_role("heading", name="Requested checks")).to_be_visible()
    # Checks: passports and ID cards only, a deny list, camera only, 2 attempts, face match always reviewed.
    page.get_by_role("checkbox", name="Driving licence").click()
    page.get_by_role("checkbox", name="Residence permit").click()
    page.select_option("#country_mode", "DENY")
    fill(page, "Countries (ISO 3166 alpha-3, comma separated)", "prk, irn")
    page.select_option("#capture_method", "CAMERA")
    fill(page, "Maximum attempts (at least 1; 3 recommended)", "2")
    page.select_option("#face_manual", "ALWAYS")
    page.get_by_role("button", name="Save checks").click()
    expect(page.get_by_text("Checks saved")).to_be_visible()

    # Preferences: a wrong URL is refused with a reason, then the right values are kept.
    fill(page, "Success redirect URL", "ftp://bank.example/done")
    page.get_by_role("button", name="Save preferences").click()
    expect(page.get_by_role("alert")).to_contain_text("http:// or https://")
    fill(page, "Success redirect URL", "https://bank.example/done")
    page.select_option("#locale", "fr")
    fill(page, "Session link lifetime (days)", "3")
    fill(page, "Reminder emails (0 to 6)", "2")
    page.get_by_role("button", name="Save preferences").click()
    expect(page.get_by_text("Preferences saved")).to_be_visible()

    # Logo: uploaded, re-encoded and served by the authenticated route only.
    page.locator("#logo_upload input[type=file]").set_input_files(
        files=[{"name": "logo.png", "mimeType": "image/png", "buffer": logo_png()}])
    page.get_by_role("button", name="Upload logo").click()
    expect(page.get_by_text("Logo saved.")).to_be_visible()
    logo = page.locator("#app-logo")
    expect(logo).to_be_visible()
    src = logo.get_attribute("src")
    assert src.startswith("/api/applications/")
    response = page.request.get(url + src)
    assert response.status == 200 and response.headers["content-type"] == "image/png"

    # The saved values are shown after a reload.
    page.reload()
    expect(page.locator("#countries")).to_have_value("IRN, PRK")
    expect(page.locator("#country_mode")).to_have_value("DENY")
    expect(page.locator("#max_retries")).to_have_value("2")
    expect(page.locator("#locale")).to_have_value("fr")
    expect(page.get_by_role("checkbox", name="Driving licence")).not_to_be_checked()
    screenshot(page, "console-application-settings")
    return app_url


def invite_and_sign_in_as_ivy(page, browser, url: str, app_url: str):
    """The owner invites Ivy with 'Create sessions'; Ivy accepts, enrols TOTP and lands in the console."""
    page.goto(app_url + "/users")
    expect(page.get_by_role("heading", name="Invite a user")).to_be_visible()
    fill(page, "Email", IVY)
    page.get_by_role("checkbox", name="Create sessions", exact=True).click()
    page.get_by_role("button", name="Send invitation").click()
    link = page.locator("#invitation-link")
    expect(link).to_contain_text("/invitation/")
    invitation = link.inner_text().strip()

    context = browser.new_context(viewport={"width": 1280, "height": 900})
    ivy = context.new_page()
    ivy.set_default_timeout(20_000)
    ivy.goto(invitation)
    expect(ivy.get_by_text(APP_NAME).first).to_be_visible()
    fill(ivy, "Your name", "Ivy Investigator")
    fill(ivy, "Password (at least 10 characters)", IVY_PASSWORD)
    fill(ivy, "Repeat the password", IVY_PASSWORD)
    ivy.get_by_role("button", name="Create account").click()
    expect(ivy.get_by_role("heading", name="Set up two-factor authentication")).to_be_visible()
    expect(ivy.locator("#totp-secret")).to_have_text(re.compile(r"[A-Z2-7]{16,}"))  # arrives with the state
    secret = ivy.locator("#totp-secret").inner_text().strip()
    fill(ivy, "Code from the app", pyotp.TOTP(secret).now())
    ivy.get_by_role("button", name="Confirm and continue").click()
    ivy.get_by_role("button", name="I have saved them").click()
    expect(ivy.get_by_role("heading", name="Applications")).to_be_visible()
    # Ivy sees her one application, and its settings read-only.
    ivy.get_by_role("link", name=APP_NAME).click()
    expect(ivy.get_by_role("heading", name=APP_NAME)).to_be_visible()
    ivy.get_by_role("navigation", name="Application").get_by_role("link", name="Settings").click()
    expect(ivy.get_by_text("changing them needs the 'Manage application' permission")).to_be_visible()
    expect(ivy.get_by_role("button", name="Save checks")).to_have_count(0)
    ivy.get_by_role("navigation", name="Application").get_by_role("link", name="Sessions").click()
    expect(ivy.get_by_role("heading", name="New session")).to_be_visible()
    return context, ivy


def create_session_and_read_link(ivy, url: str) -> str:
    fill(ivy, "Name", "Ada Lovelace")
    fill(ivy, "Email", "ada@example.com")
    fill(ivy, "Reference (optional)", "CUST-0001")
    ivy.get_by_role("button", name="Create session").click()
    link_box = ivy.locator("#session-link")
    expect(link_box).to_contain_text(url + "/s/")
    link = link_box.inner_text().strip()
    qr = ivy.locator("#session-qr")
    expect(qr).to_be_visible()
    ivy.wait_for_function("() => { const i = document.querySelector('#session-qr');"
                          " return i && i.complete && i.naturalWidth > 0; }")
    decoded = ""
    for _ in range(5):  # the image may still be painting on a busy machine
        decoded = decode_qr(qr.screenshot())
        if decoded:
            break
        ivy.wait_for_timeout(300)
    assert decoded == link
    ivy.get_by_role("button", name="Copy link").click()
    # Said only once the clipboard has taken the link (the copy happens in the browser).
    expect(ivy.locator("#link-copied")).to_have_text("Link copied")
    assert ivy.evaluate("navigator.clipboard.readText()") == link
    ivy.get_by_role("button", name="Send by email").click()
    expect(ivy.get_by_text("written to the outbox")).to_be_visible()
    table = ivy.locator("#sessions-table")
    expect(table).to_contain_text("Ada Lovelace")
    expect(table).to_contain_text("IN PROGRESS")
    screenshot(ivy, "console-session-created")
    return link


def bulk_upload_with_an_invalid_row(ivy) -> None:
    data = ("name,email,reference\n"
            "Charles Babbage,charles@example.com,CUST-0002\n"
            "Grace Hopper,grace@example.com,\n"
            "Alan Turing,not-an-email,CUST-0004\n"
            "Émilie du Châtelet,emilie@example.fr,CUST-0005\n").encode("utf-8")
    ivy.locator("#bulk_csv input[type=file]").set_input_files(
        files=[{"name": "people.csv", "mimeType": "text/csv", "buffer": data}])
    ivy.get_by_role("button", name="Upload and create").click()
    expect(ivy.locator("#bulk-result")).to_contain_text("3 sessions created; 1 row was not valid")
    errors = ivy.locator("#bulk-errors")
    expect(errors).to_contain_text("Line 4")
    expect(errors).to_contain_text("Enter a valid email address.")
    expect(ivy.locator("#sessions-total")).to_have_text("4 sessions")
    screenshot(ivy, "console-bulk-upload")


def search_filter_and_export(ivy, url: str) -> None:
    total = ivy.locator("#sessions-total")
    table = ivy.locator("#sessions-table")
    fill(ivy, "Search name, email or reference", "LOVEL")
    ivy.get_by_role("button", name="Search").click()
    expect(total).to_have_text("1 session")
    expect(table).to_contain_text("Ada Lovelace")
    expect(table).not_to_contain_text("Grace Hopper")
    fill(ivy, "Search name, email or reference", "cust-000")
    ivy.keyboard.press("Enter")
    expect(total).to_have_text("3 sessions")
    ivy.select_option("#state_filter", "EXPIRED")
    expect(total).to_have_text("0 sessions")
    ivy.select_option("#state_filter", "ONGOING")
    expect(total).to_have_text("3 sessions")
    ivy.get_by_role("button", name="Name", exact=True).click()  # sort by name
    ivy.get_by_role("button", name="Sort direction").click()     # ascending
    expect(table.locator("tbody tr").first).to_contain_text("Ada Lovelace")
    screenshot(ivy, "console-sessions-search")
    # The export holds the filtered list (no media), through the authenticated route.
    href = ivy.locator("#export-csv").get_attribute("href")
    response = ivy.request.get(url + href)
    assert response.status == 200 and "attachment" in response.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(response.text().lstrip("\ufeff"))))
    assert [r["name"] for r in rows] == ["Ada Lovelace", "Charles Babbage", "Émilie du Châtelet"]
    ivy.get_by_role("button", name="Clear").click()
    expect(total).to_have_text("4 sessions")


def test_console_applications_users_and_sessions(page, browser, app_server):
    url = app_server.url
    signed_in_owner(page, app_server)
    app_url = create_and_configure_application(page, url)
    context, ivy = invite_and_sign_in_as_ivy(page, browser, url, app_url)
    try:
        context.grant_permissions(["clipboard-read", "clipboard-write"], origin=url)
        create_session_and_read_link(ivy, url)
        bulk_upload_with_an_invalid_row(ivy)
        search_filter_and_export(ivy, url)
    finally:
        context.close()
    # Signed out, the logo and the export are refused.
    anonymous = browser.new_context()
    try:
        app_id = app_url.rstrip("/").rsplit("/", 1)[-1]
        assert anonymous.request.get(f"{url}/api/applications/{app_id}/logo").status in (401, 403)
        assert anonymous.request.get(f"{url}/api/applications/{app_id}/sessions.csv").status == 401
    finally:
        anonymous.close()
