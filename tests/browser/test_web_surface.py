"""The web surface of the running app as a browser meets it: the headers of real pages,
a page policy that allows its own inline scripts by hash and nothing else, no CORS for
another site, cookies the page's JavaScript cannot read, and no sign-in secret in the
UI state store after signing in and using the console."""
from __future__ import annotations

import re
import time

import httpx
from playwright.sync_api import expect

from tests.browser.helpers import signed_in_owner
from identity_app.web.guard import script_hashes

PAGES = ["/", "/signin", "/setup", "/audit", "/applications/1", "/s/some-link-token"]


def test_pages_carry_the_headers_and_their_inline_scripts_are_hashed(app_server):
    with httpx.Client(base_url=app_server.url, follow_redirects=True, timeout=30) as client:
        for path in PAGES:
            r = client.get(path)
            assert r.status_code == 200 and r.headers["content-type"].startswith("text/html"), path
            csp = r.headers["content-security-policy"]
            script_src = re.search(r"script-src ([^;]*)", csp).group(1)
            assert "'unsafe-inline'" not in script_src
            for digest in script_hashes(r.content):
                assert digest in script_src, (path, digest)
            assert "frame-ancestors 'none'" in csp and "object-src 'none'" in csp
            assert r.headers["x-frame-options"] == "DENY"
            assert r.headers["referrer-policy"] == "no-referrer"
            assert r.headers["x-content-type-options"] == "nosniff"
            assert "strict-transport-security" not in r.headers  # http here; https gets HSTS (service test)


def test_another_site_gets_no_cors(app_server):
    evil = {"Origin": "https://evil.example"}
    with httpx.Client(base_url=app_server.url, timeout=30) as client:
        for path in ("/api/media/1", "/api/applications/1/sessions.csv", "/api/health"):
            r = client.get(path, headers=evil, cookies={"idv_session": "whatever"})
            # (Reflex's outer CORS layer may still say allow-credentials: without an allowed
            # origin a browser gives the calling page nothing.)
            assert "access-control-allow-origin" not in r.headers, path
            pre = client.options(path, headers={**evil, "Access-Control-Request-Method": "GET"})
            assert pre.headers.get("access-control-allow-origin") != "https://evil.example"


def test_no_sign_in_secret_reaches_the_ui_state_store(page, app_server):
    signed_in_owner(page, app_server)
    page.goto(app_server.url + "/audit")
    expect(page.get_by_role("heading", name="Audit log")).to_be_visible()
    jar = {c["name"]: c for c in page.context.cookies()}
    assert jar["idv_session"]["httpOnly"] and jar["idv_session"]["sameSite"] == "Strict"
    assert page.evaluate("document.cookie").find("idv_") == -1  # the page's JavaScript cannot read them
    secrets = [jar[name]["value"] for name in ("idv_session", "idv_device") if name in jar]
    states = app_server.data_dir / "ui-state"
    for _ in range(40):  # Reflex writes its states a moment after each event
        files = list(states.glob("*.pkl"))
        if files:
            break
        time.sleep(0.25)
    assert files, "the state store holds this browser's states"
    for path in files:
        data = path.read_bytes()
        assert not any(s.encode() in data for s in secrets), path
        assert oct(path.stat().st_mode & 0o777) == "0o600"
    assert oct(states.stat().st_mode & 0o777) == "0o700"
