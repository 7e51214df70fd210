"""Issue 14, console items 9-16, in a real browser on one app: feedback beside the control that
caused it, every console page within a 390 px phone, invitations listed / refused twice / sent
again / revoked (a dead link says so at once), bulk sessions emailed and the export's link column,
words instead of codes, the list's view in its URL with accent-insensitive search and sort, one h1
and a main landmark per page with controls named in words, recovery codes copied and downloaded,
and a wrong password in the audit log. Sessions are written straight into the app's database
through the services: what is tested is the pages."""
from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pyotp
import pytest
from playwright.sync_api import expect
from sqlmodel import Session

from identity_app.db import make_engine
from identity_app.services.access import auth
from tests import seed
from tests.browser.conftest import screenshot
from tests.browser.helpers import OWNER_EMAIL, fill, signed_in_owner

expect.set_options(timeout=30_000)
DESKTOP, PHONE = {"width": 1440, "height": 900}, {"width": 390, "height": 844}
PEOPLE = [("Élodie Durand", "elodie@example.fr"), ("Zoë Müller", "zoe@example.de"), ("Anna Smith", "anna@example.com")]


def both_sizes(page, name: str) -> None:
    for size, suffix in ((DESKTOP, "desktop"), (PHONE, "phone")):
        page.set_viewport_size(size)
        page.wait_for_timeout(300)
        screenshot(page, f"{name}-{suffix}")
    page.set_viewport_size(DESKTOP)


def page_width(page) -> int:
    return page.evaluate("document.documentElement.scrollWidth")


def wide_elements(page) -> list[str]:
    """What sticks out of a 390 px page (for the failure message)."""
    return page.evaluate("""() => [...document.querySelectorAll('body *')].filter(e => {
        const r = e.getBoundingClientRect(); return r.right > window.innerWidth + 0.5 && r.width > 0;
      }).slice(0, 8).map(e => e.tagName + '.' + (e.className && e.className.baseVal === undefined ? e.className : '')
        .toString().slice(0, 60) + ' ' + (e.id || '') + ' ' + Math.round(e.getBoundingClientRect().right))""")


@pytest.fixture(scope="module")
def world(app_server, browser):
    context = browser.new_context(viewport=DESKTOP)
    signed_in_owner(context.new_page(), app_server)  # the first sign-up sets up the owner
    context.close()
    data_dir = Path(app_server.env["IDV_DATA_DIR"])
    engine = make_engine(f"sqlite:///{data_dir / 'identity.db'}")
    with Session(engine, expire_on_commit=False) as db:
        owner = next(o for o in auth.list_operators(db) if o.email == OWNER_EMAIL)
        app_id = seed.new_app(db, owner, "Items Bank")
        seed.member(db, owner, app_id, "vic.viewer@example.com", ["VIEW_SESSIONS"])
        for i in range(30):  # two pages of 25
            seed.created_session(db, owner, app_id, f"Person {i:02d}", f"p{i}@example.org", f"P-{i}")
        for name, email in PEOPLE:
            seed.created_session(db, owner, app_id, name, email, "")
        db.commit()
    yield dict(engine=engine, app_id=app_id, outbox=data_dir / "outbox")
    engine.dispose()


@pytest.fixture
def owner_page(page, app_server, world):
    page.set_viewport_size(DESKTOP)
    signed_in_owner(page, app_server)
    return page


def test_9_feedback_shows_beside_the_control_that_caused_it(owner_page, app_server, world):
    page = owner_page
    page.goto(f"{app_server.url}/applications/{world['app_id']}/settings")
    button = page.get_by_role("button", name="Save preferences")
    button.scroll_into_view_if_needed()
    button.click()
    status = page.get_by_role("status").filter(has_text="Preferences saved")
    expect(status).to_be_visible()
    expect(status).to_be_in_viewport()  # before: at the top, 1,250 px above the button
    assert abs(status.bounding_box()["y"] - button.bounding_box()["y"]) < 200
    screenshot(page, "console-items-settings-feedback")
    # A refusal shows there too.
    fill(page, "Success redirect URL", "ftp://bank.example/done")
    button.click()
    alert = page.get_by_role("alert").filter(has_text="http:// or https://")
    expect(alert).to_be_in_viewport()
    fill(page, "Success redirect URL", "")
    button.click()
    expect(status).to_be_in_viewport()


def test_10_every_console_page_fits_a_phone(owner_page, app_server, world):
    page, url, app_id = owner_page, app_server.url, world["app_id"]
    page.set_viewport_size(PHONE)
    pages = {"home": "/", "sessions": f"/applications/{app_id}", "users": f"/applications/{app_id}/users",
             "settings": f"/applications/{app_id}/settings", "integrations": f"/applications/{app_id}/integrations",
             "audit": "/audit"}
    for name, path in pages.items():
        page.goto(url + path)
        expect(page.locator("main h1")).to_be_visible()
        page.wait_for_timeout(500)
        assert page_width(page) <= 390, (name, page_width(page), wide_elements(page))
        tabs = page.get_by_role("navigation", name="Application")
        if tabs.count():
            audit = tabs.get_by_role("link", name="Audit")
            box = audit.bounding_box()
            assert box and box["x"] + box["width"] <= 390, (name, box)  # before: clipped
        screenshot(page, f"console-items-{name}-phone")
        page.set_viewport_size(DESKTOP)
        screenshot(page, f"console-items-{name}-desktop")
        page.set_viewport_size(PHONE)
    # A created session's "Link copied" is said beside the button, not over the link.
    page.goto(f"{url}/applications/{app_id}")
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=url)
    fill(page, "Name", "Phone Person")
    fill(page, "Email", "phone@example.org")
    page.get_by_role("button", name="Create session").click()
    link = page.locator("#session-link")
    expect(link).to_be_visible()
    page.get_by_role("button", name="Copy link").click()
    said = page.locator("#link-copied")
    expect(said).to_have_text("Link copied")
    a, b = link.bounding_box(), said.bounding_box()
    assert a["y"] + a["height"] <= b["y"] or b["y"] + b["height"] <= a["y"], (a, b)  # no overlap
    assert page_width(page) <= 390, wide_elements(page)
    screenshot(page, "console-items-session-created-phone")


def test_11_invitations_listed_refused_twice_sent_again_and_revoked(owner_page, app_server, world, browser):
    page, url = owner_page, app_server.url
    page.goto(f"{url}/applications/{world['app_id']}/users")
    fill(page, "Email", "ines@example.com")
    page.get_by_role("checkbox", name="Make decisions", exact=True).click()
    page.get_by_role("button", name="Send invitation").click()
    first_link = page.locator("#invitation-link").inner_text().strip()
    pending = page.locator("#pending-invitations")
    row = pending.get_by_role("row").filter(has_text="ines@example.com")
    expect(row).to_contain_text("Make decisions")
    expect(row).to_contain_text("View sessions")
    # The same email again: refused, and said why, beside the form.
    fill(page, "Email", "ines@example.com")
    page.get_by_role("button", name="Send invitation").click()
    expect(page.get_by_role("alert")).to_contain_text("ines@example.com was already invited")
    expect(pending.get_by_role("row").filter(has_text="ines@example.com")).to_have_count(1)
    # Sent again: a new link, and the old one says at once that it is dead (no form, no password).
    row.get_by_role("button", name="Send again").click()
    expect(page.get_by_text("Invitation sent again to ines@example.com")).to_be_visible()
    expect(page.locator("#invitation-link")).not_to_have_text(first_link)
    second_link = page.locator("#invitation-link").inner_text().strip()
    both_sizes(page, "console-items-invitations")
    stranger = browser.new_context(viewport=PHONE).new_page()
    stranger.goto(first_link)
    expect(stranger.get_by_role("alert")).to_contain_text("not valid any more")
    expect(stranger.get_by_label("Password (at least 10 characters)")).to_have_count(0)
    screenshot(stranger, "console-items-stale-invitation-phone")
    # Revoked after a confirmation: the list empties and the newer link is dead too.
    row.get_by_role("button", name="Revoke").click()
    dialog = page.get_by_role("alertdialog")
    expect(dialog).to_contain_text("Revoke the invitation to ines@example.com?")
    dialog.get_by_role("button", name="Cancel").click()
    expect(row).to_have_count(1)
    row.get_by_role("button", name="Revoke").click()
    page.get_by_role("alertdialog").get_by_role("button", name="Revoke invitation").click()
    expect(page.get_by_text("The invitation to ines@example.com is revoked")).to_be_visible()
    expect(row).to_have_count(0)
    stranger.goto(second_link)
    expect(stranger.get_by_role("alert")).to_contain_text("not valid any more")
    stranger.context.close()


def test_12_bulk_sessions_are_emailed_and_the_export_has_links(owner_page, app_server, world):
    page, url, outbox = owner_page, app_server.url, world["outbox"]
    page.goto(f"{url}/applications/{world['app_id']}")
    before = set(outbox.glob("*.eml"))
    data = b"name,email\nBulk One,bulk1@example.org\nBulk Two,bulk2@example.org\n"
    page.get_by_role("checkbox", name="Email each person their link").click()
    page.locator("#bulk_csv input[type=file]").set_input_files(
        files=[{"name": "people.csv", "mimeType": "text/csv", "buffer": data}])
    page.get_by_role("button", name="Upload and create").click()
    expect(page.locator("#bulk-result")).to_contain_text("2 sessions created.")
    expect(page.locator("#bulk-result")).to_contain_text("the 2 links were written to the outbox")
    texts = [p.read_text() for p in set(outbox.glob("*.eml")) - before]
    assert len(texts) == 2 and any("bulk1@example.org" in t for t in texts)
    # Without the option, the batch can be emailed afterwards.
    page.get_by_role("checkbox", name="Email each person their link").click()
    page.locator("#bulk_csv input[type=file]").set_input_files(
        files=[{"name": "one.csv", "mimeType": "text/csv", "buffer": b"name,email\nBulk Three,bulk3@example.org\n"}])
    page.get_by_role("button", name="Upload and create").click()
    expect(page.locator("#bulk-result")).to_contain_text("1 session created.")
    page.get_by_role("button", name="Email the links").click()
    expect(page.get_by_role("status").filter(has_text="The link was written to the outbox")).to_be_in_viewport()
    assert len(set(outbox.glob("*.eml")) - before) == 3
    both_sizes(page, "console-items-bulk-emailed")
    response = page.request.get(url + page.locator("#export-csv").get_attribute("href"))
    rows = list(csv.DictReader(io.StringIO(response.text().lstrip("\ufeff"))))
    bulk = next(r for r in rows if r["name"] == "Bulk Three")
    assert bulk["link"].startswith(url + "/s/") and bulk["state"] == "IN PROGRESS"
    assert bulk["link"] in next(p.read_text() for p in set(outbox.glob("*.eml")) - before
                                if "bulk3@example.org" in p.read_text())


def test_13_words_not_codes(owner_page, app_server, world):
    page, url = owner_page, app_server.url
    page.goto(f"{url}/applications/{world['app_id']}/settings")
    main = page.locator("main")
    expect(main.get_by_role("heading", name="Document authenticity")).to_be_visible()
    expect(main).not_to_contain_text("ID_DOCUMENT_AUTHENTICITY")
    expect(main).not_to_contain_text("ID_DOCUMENT_FACE_MATCH")
    assert page.locator("#locale option").all_inner_texts() == ["English", "Français"]
    assert page.locator("#face_manual option").all_inner_texts()[0].startswith("Always: ")
    page.goto(f"{url}/applications/{world['app_id']}")
    fill(page, "Search name, email or reference", "anna")
    page.keyboard.press("Enter")
    expect(page.locator("#sessions-total")).to_have_text("1 session")  # before: "1 sessions"
    expect(page.locator("#sessions-table")).to_contain_text("IN PROGRESS")
    rows = list(csv.DictReader(io.StringIO(page.request.get(
        url + page.locator("#export-csv").get_attribute("href")).text().lstrip("\ufeff"))))
    assert [r["state"] for r in rows] == ["IN PROGRESS"]  # as the list says (before: ONGOING)


def test_14_the_lists_view_is_in_its_url_and_search_ignores_accents(owner_page, app_server, world):
    page, url, app_id = owner_page, app_server.url, world["app_id"]
    page.goto(f"{url}/applications/{app_id}")
    total, table = page.locator("#sessions-total"), page.locator("#sessions-table")
    fill(page, "Search name, email or reference", "muller")
    page.keyboard.press("Enter")
    expect(total).to_have_text("1 session")
    expect(table).to_contain_text("Zoë Müller")
    page.select_option("#state_filter", "ONGOING")
    expect(page).to_have_url(re.compile(r"q=muller.*state=ONGOING|state=ONGOING.*q=muller"))
    page.reload()
    expect(page.locator("#q")).to_have_value("muller")
    expect(page.locator("#state_filter")).to_have_value("ONGOING")
    expect(total).to_have_text("1 session")
    # A shared link opens the same view in another tab.
    shared = page.context.new_page()
    shared.goto(page.url)
    expect(shared.locator("#sessions-table")).to_contain_text("Zoë Müller")
    expect(shared.locator("#sessions-total")).to_have_text("1 session")
    shared.close()
    # Sorted by name, descending: Zoë before Élodie (accents sort with their letter; before, É sorted
    # after Z, so Élodie came first).
    page.get_by_role("button", name="Clear").click()
    page.get_by_role("button", name="Name", exact=True).click()
    expect(page).to_have_url(re.compile(r"sort=name"))
    fill(page, "Search name, email or reference", "d")  # Élodie Durand, zoe@example.de
    page.keyboard.press("Enter")
    names = table.locator("tbody tr td:first-child a")
    expect(names.first).to_have_text("Zoë Müller")
    texts = names.all_inner_texts()
    assert texts.index("Zoë Müller") < texts.index("Élodie Durand"), texts
    page.get_by_role("button", name="Clear").click()
    expect(names.first).to_have_text("Zoë Müller")
    # Page 2 survives a reload.
    page.get_by_role("button", name="Next").click()
    expect(page.get_by_text(re.compile(r"^Page 2 of 2$"))).to_be_visible()
    expect(page).to_have_url(re.compile(r"page=2"))
    page.reload()
    expect(page.get_by_text(re.compile(r"^Page 2 of 2$"))).to_be_visible()
    expect(names.first).not_to_have_text("Zoë Müller")
    both_sizes(page, "console-items-sessions-url")
    # A link whose filter no longer holds says so and lists everything; a page that is gone, the last one.
    page.goto(f"{url}/applications/{app_id}?state=FINISHED")
    expect(page.get_by_role("alert")).to_contain_text("Filter by state")
    expect(total).to_have_text(re.compile(r"^\d+ sessions$"))
    page.goto(f"{url}/applications/{app_id}?page=99")
    expect(page.get_by_text(re.compile(r"^Page 2 of 2$"))).to_be_visible()


def test_15_one_h1_a_main_landmark_and_controls_named_in_words(owner_page, app_server, world):
    page, url, app_id = owner_page, app_server.url, world["app_id"]
    for path in ("/", f"/applications/{app_id}", f"/applications/{app_id}/users",
                 f"/applications/{app_id}/settings", "/audit"):
        page.goto(url + path)
        expect(page.locator("main h1")).to_be_visible()
        page.wait_for_timeout(300)
        assert page.locator("h1").count() == 1, (path, page.locator("h1").all_inner_texts())
        assert page.get_by_role("main").count() == 1, path
    account = page.get_by_role("button", name=re.compile("account menu", re.I))
    expect(account).to_have_text("Olive Owner")
    assert "Olive Owner" in account.get_attribute("aria-label")  # the name it shows is in the name it has
    page.goto(f"{url}/applications/{app_id}/users")
    box = page.get_by_role("checkbox", name="Make decisions for vic.viewer@example.com")
    expect(box).to_have_count(1)
    expect(page.get_by_role("checkbox", name=re.compile("^DECIDE"))).to_have_count(0)


def _enrol_new_member(browser, page, url: str, app_id: int, email: str):
    page.goto(f"{url}/applications/{app_id}/users")
    fill(page, "Email", email)
    page.get_by_role("button", name="Send invitation").click()
    link = page.locator("#invitation-link").inner_text().strip()
    context = browser.new_context(viewport=PHONE, accept_downloads=True)
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=url)
    member = context.new_page()
    member.goto(link)
    fill(member, "Your name", "Rhea Recovery")
    fill(member, "Password (at least 10 characters)", "rhea's long password")
    fill(member, "Repeat the password", "rhea's long password")
    member.get_by_role("button", name="Create account").click()
    expect(member.locator("#totp-secret")).to_have_text(re.compile(r"[A-Z2-7]{16,}"))
    fill(member, "Code from the app", pyotp.TOTP(member.locator("#totp-secret").inner_text().strip()).now())
    member.get_by_role("button", name="Confirm and continue").click()
    expect(member.get_by_role("heading", name="Save your recovery codes")).to_be_visible()
    return context, member


def test_16_recovery_codes_copied_and_downloaded_and_wrong_passwords_audited(owner_page, app_server, world,
                                                                             browser):
    page, url = owner_page, app_server.url
    context, member = _enrol_new_member(browser, page, url, world["app_id"], "rhea@example.com")
    try:
        codes = member.locator("#recovery-codes code")
        expect(codes).to_have_count(8)
        assert member.locator("h1").count() == 1 and member.get_by_role("main").count() == 1  # the sign-in pages too
        shown = codes.all_inner_texts()
        member.get_by_role("button", name="Copy codes").click()
        expect(member.locator("#recovery-codes-said")).to_have_text("Codes copied.")
        assert member.evaluate("navigator.clipboard.readText()").split("\n") == shown
        with member.expect_download() as download:
            member.get_by_role("button", name="Download as .txt").click()
        assert download.value.suggested_filename == "recovery-codes.txt"
        text = Path(download.value.path()).read_text()
        assert all(code in text.splitlines() for code in shown)
        assert member.evaluate("document.documentElement.scrollWidth") <= 390
        screenshot(member, "console-items-recovery-codes-phone")
        member.set_viewport_size(DESKTOP)
        screenshot(member, "console-items-recovery-codes-desktop")
        member.get_by_role("button", name="I have saved them").click()
    finally:
        context.close()
    # A wrong password is on the record (who, from where), never the password itself.
    other = browser.new_context(viewport=DESKTOP).new_page()
    other.goto(url + "/signin")
    fill(other, "Email", "rhea@example.com")
    fill(other, "Password", "not rhea's password 42")
    other.get_by_role("button", name="Continue").click()
    expect(other.get_by_role("alert")).to_be_visible()
    other.context.close()
    page.goto(url + "/audit")
    page.select_option("#audit-action", "auth.sign_in_failed")
    page.get_by_role("button", name="Filter").click()
    row = page.locator("#audit-table tbody tr").filter(has_text="rhea@example.com")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("Sign-in failed")
    expect(page.locator("main")).not_to_contain_text("not rhea's password")
    both_sizes(page, "console-items-audit-wrong-password")
