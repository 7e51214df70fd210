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
from sqlmodel import Session, select

from identity_app.db import make_engine
from identity_app.models import (Check, CheckState, MediaItem, MediaKind, SessionState, Task, TaskState,
                                 VerificationSession)
from tests import capture_media as cm
from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, screenshot, start_app, stop_app
from tests.services.session_factory import NO_REVIEW, make_session

expect.set_options(timeout=20_000)
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 860}
TEST_ENV = {"IDV_TEST_HOOKS": "true", "IDV_TEST_LIVENESS_CHALLENGES": "TURN_LEFT,BLINK"}
LIVENESS_ONLY = {**NO_REVIEW, "document_authenticity": {"enabled": False}, "text_extraction": {"enabled": False},
                 "face_match": {"enabled": False}}


@pytest.fixture(scope="module")
def videos(tmp_path_factory):
    folder = tmp_path_factory.mktemp("camera")
    return {
        "document": cm.write_y4m(folder / "document.y4m", cm.document_clip(4.0)),
        "face": cm.write_y4m(folder / "face.y4m", cm.face_loop()),
        "print": cm.write_y4m(folder / "print.y4m", cm.printed_photo_loop()),
    }


@pytest.fixture(scope="module")
def capture_app(tmp_path_factory):
    app = start_app(tmp_path_factory.mktemp("capture-app"), TEST_ENV)
    yield app
    stop_app(app.proc)


def db_of(app) -> Session:
    url = app.env.get("IDV_DATABASE_URL") or f"sqlite:///{app.data_dir / 'identity.db'}"
    return Session(make_engine(url), expire_on_commit=False)


def new_session(app, **kw) -> tuple[int, str]:
    with db_of(app) as db:
        vs = make_session(db, **kw)
        return vs.id, vs.token


def camera_browser(playwright_driver, video: Path | None, *, fake_ui: bool = True):
    args = list(CHROMIUM_ARGS) + ["--use-fake-device-for-media-stream"]
    if fake_ui:
        args.append("--use-fake-ui-for-media-stream")
    if video is not None:
        args.append(f"--use-file-for-fake-video-capture={video}")
    return playwright_driver.chromium.launch(executable_path=CHROMIUM, headless=True, args=args)


def open_page(browser, url: str, viewport=DESKTOP):
    context = browser.new_context(viewport=viewport)
    page = context.new_page()
    page.set_default_timeout(30_000)
    for _ in range(10):
        page.goto(url)
        # Another checkout's concurrent `reflex run` may be re-exporting the shared .web folder.
        if page.get_by_text("Not Found", exact=True).count() == 0:
            break
        time.sleep(3)
    return page


def both_sizes(page, name: str) -> None:
    """Screenshots at desktop and phone size, back to where the page was."""
    size = page.viewport_size
    page.set_viewport_size(DESKTOP)
    screenshot(page, f"capture-{name}-desktop")
    page.set_viewport_size(PHONE)
    screenshot(page, f"capture-{name}-phone")
    page.set_viewport_size(size)


def consent(page) -> None:
    expect(page.get_by_role("heading", name="Verify your identity for Acme Bank")).to_be_visible()
    page.get_by_role("checkbox").click()
    page.get_by_role("button", name="Start").click()


def wait_state(app, session_id: int, state: SessionState, timeout: float) -> VerificationSession:
    deadline = time.time() + timeout
    while time.time() < deadline:
        with db_of(app) as db:
            vs = db.get(VerificationSession, session_id)
            if vs.state == state:
                return vs
        time.sleep(0.5)
    raise AssertionError(f"session {session_id} not {state.value} after {timeout} s; worker log:\n"
                         + (app.data_dir.parent / "worker.log").read_text()[-3000:])


def checks_of(app, session_id: int) -> list[Check]:
    with db_of(app) as db:
        return list(db.exec(select(Check).where(Check.session_id == session_id)))


def test_the_whole_flow_ends_completed_with_real_reports(capture_app, playwright_driver, videos):
    whole_flow(capture_app, playwright_driver, videos, screenshots=True)


def whole_flow(capture_app, playwright_driver, videos, *, screenshots: bool) -> None:
    """Document, then video selfie on a phone, then COMPLETED with real reports of all four checks."""
    shots = both_sizes if screenshots else (lambda page, name: None)
    session_id, token = new_session(capture_app, checks=NO_REVIEW)
    url = f"{capture_app.url}/s/{token}"

    browser = camera_browser(playwright_driver, videos["document"])
    try:
        page = open_page(browser, url)
        expect(page.get_by_role("heading", name="Verify your identity for Acme Bank")).to_be_visible()
        shots(page, "1-welcome")
        page.get_by_role("button", name="Start").click()
        expect(page.get_by_role("alert")).to_contain_text("tick the box")  # no consent, no capture
        page.get_by_role("checkbox").click()
        page.get_by_role("button", name="Start").click()
        expect(page.get_by_role("heading", name="Your identity document")).to_be_visible()
        expect(page.locator("#idv-feedback")).to_contain_text("Looks good", timeout=30_000)
        shots(page, "2-document")
        page.get_by_role("button", name="Take photo").click()
        expect(page.get_by_role("heading", name="Video selfie")).to_be_visible(timeout=30_000)
    finally:
        browser.close()

    browser = camera_browser(playwright_driver, videos["face"])
    try:
        page = open_page(browser, url, PHONE)  # the link resumes at the next step, here on a phone
        expect(page.get_by_role("heading", name="Video selfie")).to_be_visible()
        shots(page, "3-liveness")
        page.get_by_role("button", name="I'm ready").click()
        expect(page.locator("#idv-instruction")).to_contain_text("Turn your head", timeout=15_000)
        shots(page, "4-liveness-challenge")
        expect(page.get_by_role("heading", name="We're checking your documents")).to_be_visible(timeout=90_000)
        shots(page, "5-checking")
        vs = wait_state(capture_app, session_id, SessionState.COMPLETED, 180)
        expect(page.get_by_role("heading", name="All done")).to_be_visible(timeout=30_000)
        shots(page, "6-done")
    finally:
        browser.close()

    seconds = (vs.completed_at - vs.capture_finished_at).total_seconds()
    print(f"\nlast capture -> COMPLETED: {seconds:.1f} s (session {session_id})")
    checks = {c.type: c for c in checks_of(capture_app, session_id)}
    assert set(checks) == {"LIVENESS", "ID_DOCUMENT_AUTHENTICITY", "ID_DOCUMENT_TEXT_DATA_CHECK",
                           "ID_DOCUMENT_FACE_MATCH"}
    assert all(c.state == CheckState.DONE and c.report["breakdown"] for c in checks.values())
    assert checks["LIVENESS"].recommendation == "APPROVE", checks["LIVENESS"].report
    assert checks["ID_DOCUMENT_TEXT_DATA_CHECK"].recommendation == "APPROVE"
    assert (checks["ID_DOCUMENT_AUTHENTICITY"].recommendation, checks["ID_DOCUMENT_AUTHENTICITY"].reason) == (
        "REJECT", "SPECIMEN")  # the ICAO specimen passport, honestly reported
    assert any(s["sub_check"] == "ai_face_match" for s in checks["ID_DOCUMENT_FACE_MATCH"].report["breakdown"])
    with db_of(capture_app) as db:
        device = db.get(VerificationSession, session_id).device
        tasks = db.exec(select(Task).where(Task.session_id == session_id)).all()
        frames = db.exec(select(MediaItem).where(MediaItem.session_id == session_id,
                                                 MediaItem.kind == MediaKind.LIVENESS_FRAME)).all()
    assert device["browser"] == "Chrome" and device["ip"] == "127.0.0.1"
    # The document was read while the user went on to the selfie; the frames came with their analyses.
    assert [t.state for t in tasks] == [TaskState.DONE] and tasks[0].completed_at < vs.capture_finished_at
    assert frames and all(m.analysis for m in frames)


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
        from identity_app.services import capture

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
