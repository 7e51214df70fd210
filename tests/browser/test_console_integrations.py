"""The console's Integrations tab in a real browser: an API key made, used and revoked; a webhook
endpoint receiving signed events on a loopback receiver, its delivery log, a resend, a secret
rotated; a Yoti SDK key pair whose private key is downloaded once as a PEM file. Every secret is
shown once and reaches neither the UI state store, nor the browser's storage, nor the app's log.
An operator who does not manage the application sees no tab and is refused on the route."""
from __future__ import annotations

import json
import re
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pyotp
import pytest
from cryptography.hazmat.primitives import serialization
from playwright.sync_api import expect
from sqlmodel import Session, select
from standardwebhooks import Webhook

from identity_app.components.integration_parts import ROW_CLASS
from identity_app.db import make_engine
from identity_app.models import AuditAction, AuditEvent, SdkKey
from identity_app.services.access import auth
from tests import seed
from tests.browser.conftest import screenshot, start_app, stop_app
from tests.browser.helpers import OWNER_EMAIL, fill, signed_in_owner

expect.set_options(timeout=20_000)

# The receiver listens on loopback over plain http: allowed only with these test switches (test_hooks.py).
TEST_ENV = {"IDV_TEST_HOOKS": "true", "IDV_TEST_LOOPBACK_WEBHOOKS": "true"}
APP_NAME = "Integrations Co"
VIEWER = "vera@example.com"
AUDITED = (AuditAction.API_KEY_CREATED, AuditAction.API_KEY_REVOKED, AuditAction.WEBHOOK_CREATED,
           AuditAction.WEBHOOK_UPDATED, AuditAction.WEBHOOK_RESENT, AuditAction.WEBHOOK_SECRET_ROTATED,
           AuditAction.WEBHOOK_DELETED, AuditAction.SDK_KEY_CREATED, AuditAction.SDK_KEY_REVOKED)
DESKTOP, PHONE = {"width": 1280, "height": 800}, {"width": 390, "height": 844}


@pytest.fixture(scope="module")
def integrations_app(tmp_path_factory):
    app = start_app(tmp_path_factory.mktemp("integrations-app"), TEST_ENV)
    yield app
    stop_app(app.proc)


class Receiver:
    """A webhook receiver on loopback: records every request; answers 500 while `failing`."""

    def __init__(self) -> None:
        self.received: list[dict] = []
        self.failing = False
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's name
                body = self.rfile.read(int(self.headers.get("content-length", 0)))
                status = 500 if receiver.failing else 204
                with receiver.lock:
                    receiver.received.append({"headers": {k.lower(): v for k, v in self.headers.items()},
                                              "body": body, "status": status})
                self.send_response(status)
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks/identity"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def wait_for(self, predicate, timeout: float = 60) -> dict:
        deadline = time.time() + timeout
        while time.time() < deadline:
            with self.lock:
                found = [r for r in self.received if predicate(r)]
            if found:
                return found[-1]
            time.sleep(0.2)
        raise AssertionError(f"the receiver got no such request in {timeout} s: {self.received}")

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.close()


def topic(name: str):
    return lambda r: json.loads(r["body"])["type"] == name


def api(app, token: str) -> httpx.Client:
    return httpx.Client(base_url=app.url + "/api/v1", headers={"Authorization": f"Bearer {token}"}, timeout=30)


def app_db(app) -> Session:
    return Session(make_engine(f"sqlite:///{app.data_dir / 'identity.db'}"), expire_on_commit=False)


def create_application(page, url: str) -> str:
    page.goto(url + "/")
    expect(page.get_by_role("heading", name="Applications")).to_be_visible()
    fill(page, "Name", APP_NAME)
    page.get_by_role("button", name="Create application").click()
    page.get_by_role("link", name=APP_NAME).click()
    expect(page.get_by_role("heading", name=APP_NAME)).to_be_visible()
    expect(page).to_have_url(re.compile(r".*/applications/[1-9][0-9]*$"))
    return page.url


def leaked_anywhere(app, page, secrets: list[str]) -> list[str]:
    """Where any of the secrets is found: the UI state store's files, the browser's storage, the app's log."""
    found = []
    states = app.data_dir / "ui-state"
    time.sleep(1.5)  # Reflex writes its states a moment after each event
    files = list(states.glob("*.pkl"))
    assert files, "the state store holds this browser's states"
    storage = page.evaluate("JSON.stringify([Object.entries(localStorage), Object.entries(sessionStorage)])")
    for s in secrets:
        found += [f"state file {p.name}" for p in files if s.encode() in p.read_bytes()]
        found += ["browser storage"] if s in storage else []
        found += ["app log"] if s in app.log.read_text(errors="replace") else []
    return found


def shown_once(page, box: str) -> str:
    """The secret in a one-time box, which says it is shown once."""
    expect(page.locator(f"#{box}")).to_be_visible()
    expect(page.locator(f"#{box}")).to_contain_text("Copy it now: it will not be shown again")
    value = page.locator(f"#{box}-value")
    expect(value).not_to_have_text("")
    return value.inner_text().strip()


def done_with(page, box: str) -> None:
    page.locator(f"#{box}").get_by_role("button", name="Done: I have stored it").click()
    expect(page.locator(f"#{box}")).to_be_hidden()
    assert page.locator(f"#{box}-value").text_content() == ""


def both_sizes(page, name: str) -> None:
    page.set_viewport_size(DESKTOP)
    screenshot(page, f"{name}-desktop")
    page.set_viewport_size(PHONE)
    page.wait_for_timeout(300)
    screenshot(page, f"{name}-phone")
    page.set_viewport_size(DESKTOP)


def make_api_key(page, app) -> str:
    keys = page.locator("#api-keys")
    fill(page, "Key name (what uses it)", "CRM backend")
    keys.get_by_role("button", name="Create API key").click()  # no scope ticked: refused, nothing shown
    expect(keys.get_by_role("alert")).to_contain_text("Choose at least one scope")
    expect(page.locator("#api-key-secret")).to_be_hidden()
    keys.get_by_role("checkbox", name="Create sessions and email their links").click()
    keys.get_by_role("checkbox", name="Read sessions, their checks and results").click()
    keys.get_by_role("button", name="Create API key").click()
    token = shown_once(page, "api-key-secret")
    expect(keys.get_by_role("alert")).to_have_count(0)
    assert re.fullmatch(r"idv_[a-z2-7]{8}_[A-Za-z0-9_-]{20,}", token), token
    row = listed(page, "api-keys-list", "CRM backend")
    expect(row).to_contain_text(f"idv_{token.split('_')[1]}_…")
    expect(row).to_contain_text("Create sessions and email their links")
    expect(row).to_contain_text("never")
    assert token not in page.locator("#api-keys-list").inner_text()
    # Copy puts it on the clipboard (the script reads the box; it carries nothing secret).
    page.locator("#api-key-secret").get_by_role("button", name="Copy").click()
    expect(page.locator("#api-key-secret-copied")).to_have_text("Copied.")
    assert page.evaluate("navigator.clipboard.readText()") == token
    with api(app, token) as client:
        assert client.get("/sessions").status_code == 200
    return token


def listed(page, list_id: str, text: str = ""):
    """The rows of one of the tab's lists (keys, endpoints, deliveries), those showing `text` if given."""
    found = page.locator(f"#{list_id} .{ROW_CLASS}")
    return found.filter(has_text=text) if text else found


def deliveries_row(page, text: str):
    return listed(page, "deliveries-list", text)


def refresh_until(page, locator, text: str, timeout: float = 60) -> None:
    """Press the log's Refresh until the row shows `text` (deliveries happen in the worker)."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        page.locator("#delivery-log").get_by_role("button", name="Refresh").click()
        page.wait_for_timeout(700)
        if locator.count() and text in locator.first.inner_text():
            return
    expect(locator.first).to_contain_text(text, timeout=1)


def webhooks_flow(page, app, token: str, receiver: Receiver) -> list[str]:
    hooks = page.locator("#webhooks")
    fill(page, "Endpoint URL", receiver.url)
    fill(page, "Description (optional)", "Onboarding backend")
    hooks.get_by_role("checkbox", name=re.compile("A session was created")).click()
    expect(hooks.get_by_role("checkbox", name="Include names and emails")).not_to_be_checked()
    expect(hooks).to_contain_text("Off by default")
    hooks.get_by_role("button", name="Add endpoint").click()
    secret = shown_once(page, "webhook-secret")
    assert secret.startswith("whsec_")
    row = listed(page, "endpoints-list", receiver.url)
    expect(row).to_contain_text("session.created")
    expect(row).to_contain_text("Enabled")

    # A session made through the API: the receiver gets session.created, signed, with ids only.
    with api(app, token) as client:
        made = client.post("/sessions", json={"user_name": "Ada Lovelace", "user_email": "ada@example.com"})
        assert made.status_code == 201, made.text
    got = receiver.wait_for(topic("session.created"))
    Webhook(secret).verify(got["body"], got["headers"])
    assert b"ada@example.com" not in got["body"] and b"Lovelace" not in got["body"]

    row.get_by_role("button", name="Delivery log").click()
    expect(page.locator("#delivery-log")).to_contain_text(receiver.url)
    first = deliveries_row(page, "session.created")
    refresh_until(page, first, "DELIVERED")
    expect(first).to_contain_text("204")
    took = first.locator(".response-ms").inner_text().strip()
    assert re.fullmatch(r"\d+", took), took  # the response time, ms

    # The receiver fails once: the log shows the 500; Resend delivers it.
    receiver.failing = True
    with api(app, token) as client:
        assert client.post("/sessions", json={"user_name": "Grace Hopper",
                                              "user_email": "grace@example.com"}).status_code == 201
    failed = receiver.wait_for(lambda r: r["status"] == 500)
    receiver.failing = False
    newest = listed(page, "deliveries-list").first
    refresh_until(page, newest, "500")
    expect(newest.locator(".response-code")).to_have_text("500")
    expect(newest).to_contain_text("PENDING")
    both_sizes(page, "console-integrations-delivery-log")
    newest.get_by_role("button", name="Resend").click()
    expect(page.locator("#delivery-log")).to_contain_text("Delivery queued again")
    resent = receiver.wait_for(lambda r: r["status"] == 204
                               and r["headers"]["webhook-id"] == failed["headers"]["webhook-id"])
    Webhook(secret).verify(resent["body"], resent["headers"])
    refresh_until(page, listed(page, "deliveries-list").first, "DELIVERED")
    expect(listed(page, "deliveries-list").first.locator(".response-code")).to_have_text("204")

    # Rotating: a new secret shown once; for the overlap both secrets sign every delivery.
    done_with(page, "webhook-secret")
    row.get_by_role("button", name="Rotate secret").click()
    page.get_by_role("alertdialog").get_by_role("button", name="Rotate secret").click()
    rotated = shown_once(page, "webhook-secret")
    assert rotated.startswith("whsec_") and rotated != secret
    expect(row).to_contain_text("Old secret also signs until")
    before = len(receiver.received)
    with api(app, token) as client:
        assert client.post("/sessions", json={"user_name": "Alan Turing",
                                              "user_email": "alan@example.com"}).status_code == 201
    third = receiver.wait_for(lambda r: receiver.received.index(r) >= before and topic("session.created")(r))
    assert len(third["headers"]["webhook-signature"].split(" ")) == 2
    Webhook(rotated).verify(third["body"], third["headers"])
    Webhook(secret).verify(third["body"], third["headers"])
    both_sizes(page, "console-integrations-webhook-secret")
    done_with(page, "webhook-secret")
    return [secret, rotated]


def sdk_key_flow(page, app, tmp: Path) -> tuple[str, str]:
    """Generate a key pair: its private key arrives once as <sdk_id>.pem and matches the public key kept."""
    with page.expect_download() as info:
        page.locator("#sdk-keys").get_by_role("button", name="Generate key pair").click()
    download = info.value
    sdk_id = download.suggested_filename.removesuffix(".pem")
    assert re.fullmatch(r"[0-9a-f-]{36}\.pem", download.suggested_filename), download.suggested_filename
    path = tmp / download.suggested_filename
    download.save_as(path)
    pem = path.read_text()
    private = serialization.load_pem_private_key(pem.encode(), password=None)
    with app_db(app) as db:
        stored = db.exec(select(SdkKey).where(SdkKey.sdk_id == sdk_id)).one()
    public = private.public_key().public_bytes(serialization.Encoding.PEM,
                                              serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    assert public == stored.public_key_pem
    row = listed(page, "sdk-keys-list", sdk_id)
    expect(row).to_contain_text("Live")
    expect(page.locator("#sdk-keys")).to_contain_text("cannot be downloaded again")
    return sdk_id, pem


def revoke(page, list_id: str, text: str) -> None:
    row = listed(page, list_id, text)
    row.get_by_role("button", name="Revoke").click()
    page.get_by_role("alertdialog").get_by_role("button", name="Revoke key").click()
    expect(row).to_contain_text("Revoked")
    expect(row.get_by_role("button", name="Revoke")).to_have_count(0)


def viewer_is_refused(browser, app, app_url: str) -> None:
    """An operator who may only view sessions sees no Integrations tab and is refused on its route."""
    with app_db(app) as db:
        owner = next(o for o in auth.list_operators(db) if o.email == OWNER_EMAIL)
        app_id = int(app_url.rstrip("/").rsplit("/", 1)[-1])
        seed.member(db, owner, app_id, VIEWER, ["VIEW_SESSIONS"])
        db.commit()
    context = browser.new_context(viewport=DESKTOP)
    try:
        vera = context.new_page()
        vera.goto(app.url + "/signin")
        fill(vera, "Email", VIEWER)
        fill(vera, "Password", seed.PASSWORD)
        vera.get_by_role("button", name="Continue").click()
        expect(vera.locator("#totp-secret")).to_have_text(re.compile(r"[A-Z2-7]{16,}"))
        fill(vera, "Code from the app", pyotp.TOTP(vera.locator("#totp-secret").inner_text().strip()).now())
        vera.get_by_role("button", name="Confirm and continue").click()
        vera.get_by_role("button", name="I have saved them").click()
        expect(vera.get_by_role("heading", name="Applications")).to_be_visible()
        vera.goto(app_url)
        tabs = vera.get_by_role("navigation", name="Application")
        expect(tabs.get_by_role("link", name="Settings")).to_have_attribute("href", re.compile(r"/settings$"))
        vera.wait_for_timeout(1500)  # the tabs asked whether to show Integrations
        expect(tabs.get_by_role("link", name="Integrations")).to_have_count(0)
        vera.goto(app_url + "/integrations")
        expect(vera.locator("#integrations-refused")).to_contain_text("'Manage application' permission")
        expect(vera.get_by_role("heading", name="API keys")).to_have_count(0)
        screenshot(vera, "console-integrations-refused")
    finally:
        context.close()


def test_integrations_tab(page, browser, integrations_app, receiver, tmp_path):
    app, url = integrations_app, integrations_app.url
    page.set_viewport_size(DESKTOP)
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=url)
    signed_in_owner(page, app)
    app_url = create_application(page, url)
    page.get_by_role("navigation", name="Application").get_by_role("link", name="Integrations").click()
    expect(page).to_have_url(app_url + "/integrations")
    expect(page.get_by_role("heading", name="API keys")).to_be_visible()

    token = make_api_key(page, app)
    both_sizes(page, "console-integrations-api-key")
    done_with(page, "api-key-secret")
    hook_secrets = webhooks_flow(page, app, token, receiver)
    sdk_id, pem = sdk_key_flow(page, app, tmp_path)

    # Shown once: after a reload nothing of them is on the page.
    page.reload()
    expect(page.get_by_role("heading", name="API keys")).to_be_visible()
    expect(page.locator("#api-keys-list")).to_contain_text("CRM backend")
    content = page.content()
    pem_line = pem.strip().splitlines()[10]  # a line of the key itself
    assert not any(s in content for s in (token, *hook_secrets, pem_line))
    assert not leaked_anywhere(app, page, [token, *hook_secrets, pem_line])
    both_sizes(page, "console-integrations")

    revoke(page, "api-keys-list", "CRM backend")
    with api(app, token) as client:
        assert client.get("/sessions").status_code == 401
    revoke(page, "sdk-keys-list", sdk_id)

    row = listed(page, "endpoints-list", receiver.url)
    row.get_by_role("button", name="Disable").click()
    expect(row).to_contain_text("Disabled")
    row.get_by_role("button", name="Enable").click()
    expect(row).to_contain_text("Enabled")
    row.get_by_role("button", name="Delete").click()
    page.get_by_role("alertdialog").get_by_role("button", name="Delete endpoint").click()
    expect(listed(page, "endpoints-list")).to_have_count(0)
    expect(page.locator("#webhooks")).to_contain_text("No endpoints yet.")
    expect(page.locator("#delivery-log")).to_have_count(0)
    with app_db(app) as db:  # every action on the audit trail
        actions = set(db.exec(select(AuditEvent.action)))
    assert {a.value for a in AUDITED} <= actions, {a.value for a in AUDITED} - actions

    viewer_is_refused(browser, app, app_url)
