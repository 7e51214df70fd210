"""The end user's capture flow in Debian's Chromium with a fake camera.

The camera plays Y4M videos made here from real images (../shared/data): a
passport held in front of the camera, then one person who blinks and turns
her head, or a printed photo tilted in front of the camera. Chromium plays
one file per launch, so each camera scene gets its own browser; the session
link resumes where the previous browser left off. The liveness challenges
are fixed (TURN_LEFT, BLINK) through the documented test-only settings.
Screenshots of every step go to test-artifacts/screenshots/capture-*.png.
"""
from __future__ import annotations

import struct
import time
import urllib.request
from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import expect
from identity_app.models import CheckState, SessionState, VerificationSession
from tests import capture_media as cm
from tests.browser.capture_flow import (LIVENESS_ONLY, PHONE, TEST_ENV, camera_browser, checks_of, consent,
                                        db_of, new_session, open_page, wait_state, whole_flow, both_sizes)
from tests.browser.conftest import start_app, stop_app
from tests.services.session_factory import NO_REVIEW

expect.set_options(timeout=20_000)


@pytest.fixture(scope="module")
def capture_app(tmp_path_factory):
    app = start_app(tmp_path_factory.mktemp("capture-app"), TEST_ENV)
    yield app
    stop_app(app.proc)


def test_the_whole_flow_ends_completed_with_real_reports(capture_app, playwright_driver, videos):
    whole_flow(capture_app, playwright_driver, videos, screenshots=True)


def test_a_printed_photo_held_up_is_refused_at_liveness(capture_app, playwright_driver, videos):
    session_id, token = new_session(capture_app, checks=LIVENESS_ONLY)
    browser = camera_browser(playwright_driver, videos["print"])
    try:
        page = open_page(browser, f"{capture_app.url}/s/{token}", PHONE)
        consent(page)
        expect(page.get_by_role("heading", name="Video selfie")).to_be_visible()
        page.get_by_role("button", name="I'm ready").click()
        expect(page.get_by_role("alert")).to_contain_text("That didn't work", timeout=90_000)
        expect(page.get_by_role("button", name="Try again (1 left)")).to_be_visible()
        both_sizes(page, "7-liveness-refused")
    finally:
        browser.close()
    (check,) = checks_of(capture_app, session_id)
    assert check.type == "LIVENESS" and check.recommendation == "REJECT" and check.reason


def test_an_expired_or_unknown_link_shows_a_page_that_reveals_nothing(capture_app, page):
    _, token = new_session(capture_app, lifetime=timedelta(seconds=-1))
    for link in (f"/s/{token}", "/s/not-a-real-token-at-all"):
        page.goto(capture_app.url + link)
        expect(page.get_by_role("heading", name="This link cannot be used")).to_be_visible()
        expect(page.get_by_text("Acme Bank")).to_have_count(0)
    both_sizes(page, "8-link-closed")


def denied_camera_page(capture_app, playwright_driver):
    _, token = new_session(capture_app, checks=NO_REVIEW)
    browser = camera_browser(playwright_driver, None, fake_ui=False)  # the permission prompt is refused
    page = open_page(browser, f"{capture_app.url}/s/{token}")
    consent(page)
    expect(page.get_by_role("alert")).to_contain_text("Camera access was refused", timeout=30_000)
    return browser, page


def upload(page, name: str, data: bytes, mime: str = "image/jpeg") -> None:
    page.locator("#idv-file").set_input_files({"name": name, "mimeType": mime, "buffer": data})
    page.get_by_role("button", name="Upload", exact=True).click()


def test_a_denied_camera_offers_the_phone_handoff_and_upload(capture_app, playwright_driver):
    browser, page = denied_camera_page(capture_app, playwright_driver)
    try:
        expect(page.get_by_alt_text("QR code of this link")).to_be_visible()
        expect(page.get_by_role("button", name="Try the camera again")).to_be_visible()
        both_sizes(page, "9-camera-denied")
        upload(page, "passport.jpg", cm.jpeg(cm.document_frame(), 92))
        # The document is in; the selfie needs a camera: the hand-off stays offered.
        expect(page.get_by_role("heading", name="Camera access")).to_be_visible(timeout=30_000)
        expect(page.get_by_alt_text("QR code of this link")).to_be_visible()
    finally:
        browser.close()


def test_an_oversized_file_is_refused(capture_app, playwright_driver):
    browser, page = denied_camera_page(capture_app, playwright_driver)
    try:
        huge = b"\xff\xd8\xff\xe0" + b"\0" * (16 * 1024 * 1024)  # over the 15 MB default
        upload(page, "huge.jpg", huge)
        expect(page.get_by_role("alert").filter(has_text="too large")).to_be_visible()
        both_sizes(page, "10-upload-too-large")
    finally:
        browser.close()


def test_a_corrupt_image_is_refused(capture_app, playwright_driver):
    browser, page = denied_camera_page(capture_app, playwright_driver)
    try:
        upload(page, "broken.jpg", cm.jpeg(cm.document_frame())[:3000])
        expect(page.get_by_role("alert").filter(has_text="damaged")).to_be_visible()
        upload(page, "notes.txt", b"just some text", "text/plain")
        expect(page.get_by_role("alert").filter(has_text="not a photo")).to_be_visible()
        both_sizes(page, "11-upload-corrupt")
    finally:
        browser.close()


def _post(url: str, body: bytes = b"") -> dict:
    import json

    req = urllib.request.Request(url, data=body, method="POST", headers={"Content-Type": "application/octet-stream"})
    with urllib.request.urlopen(req, timeout=60) as r:
        return json.loads(r.read())


def test_a_restart_while_checks_run_still_completes_the_session(capture_app, playwright_driver, tmp_path):
    """Captured over the same HTTP API the page uses; the app (web + worker) is killed mid-checks."""
    session_id, token = new_session(capture_app, checks=NO_REVIEW)
    with db_of(capture_app) as db:  # welcome page equivalent: open and consent
        from identity_app.services.capture import flow as capture

        capture.open_link(db, token=token)
        capture.give_consent(db, token=token)
        db.commit()
    api = f"{capture_app.url}/api/capture/{token}"
    assert _post(api + "/document?side=FRONT&type=PASSPORT", cm.jpeg(cm.document_frame(), 92))["ok"]
    start = _post(api + "/liveness")
    frames = cm.face_loop() * 2
    for k in range(0, len(frames), 10):
        batch = b"".join(struct.pack(">II", int(t * 1000), len(j)) + j for t, j in
                         ((t, cm.jpeg(f)) for f, t in zip(frames[k:k + 10], cm.timestamps(len(frames))[k:k + 10])))
        assert _post(f"{api}/liveness/{start['resource_id']}/frames", batch)["ok"]
    assert _post(f"{api}/liveness/{start['resource_id']}/finish")["ok"]
    deadline = time.time() + 60
    while time.time() < deadline and not any(c.state == CheckState.DONE for c in checks_of(capture_app, session_id)):
        time.sleep(0.2)
    # Finish capture through the page's service (as the page does), then kill everything mid-run.
    with db_of(capture_app) as db:
        capture.finish_capture(db, token=token)
        db.commit()
    import sqlite3
    import subprocess
    import sys

    def worker_py(code: str) -> str:
        return subprocess.run([sys.executable, "-c", f"from identity_app import worker; {code}"],
                              cwd=Path(__file__).resolve().parents[2], env=capture_app.env, check=True,
                              timeout=60, capture_output=True, text=True).stdout.strip()

    # Hold the database's write lock so the job, once started, cannot persist anything:
    # the kill then always lands mid-run, however fast the machine is.
    holder = sqlite3.connect(str(capture_app.data_dir / "identity.db"), timeout=30, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        worker_py(f"worker.enqueue_session_checks({session_id})")
        deadline = time.time() + 60
        while worker_py(f"print(worker.session_locked({session_id}))") != "True":
            assert time.time() < deadline, "the worker never started the job"
            time.sleep(0.5)
        time.sleep(1)  # the job is running (reading, checking, then waiting to write)
        stop_app(capture_app.proc)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert wait_state_now(capture_app, session_id) == SessionState.ONGOING  # the kill came mid-checks

    restarted = start_app(capture_app.data_dir.parent, {**TEST_ENV, "IDV_SECRET_KEY": capture_app.env["IDV_SECRET_KEY"]})
    capture_app.proc, capture_app.url = restarted.proc, restarted.url
    vs = wait_state(restarted, session_id, SessionState.COMPLETED, 180)
    types = sorted(c.type for c in checks_of(restarted, session_id))
    assert types == ["ID_DOCUMENT_AUTHENTICITY", "ID_DOCUMENT_FACE_MATCH", "ID_DOCUMENT_TEXT_DATA_CHECK", "LIVENESS"]
    assert vs.completed_at is not None
    browser = camera_browser(playwright_driver, None)
    try:
        page = open_page(browser, f"{restarted.url}/s/{token}")
        expect(page.get_by_role("heading", name="All done")).to_be_visible()
    finally:
        browser.close()


def wait_state_now(app, session_id: int) -> SessionState:
    with db_of(app) as db:
        return db.get(VerificationSession, session_id).state
