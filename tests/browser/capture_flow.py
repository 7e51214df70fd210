"""The capture flow's steps in a real browser, shared by the capture tests and the scaled-out
test: sessions seeded into an app's database, a Chromium whose fake camera plays a video,
screenshots at desktop and phone size, and the whole flow from the link to COMPLETED."""
from __future__ import annotations

import re
import time
from pathlib import Path

from playwright.sync_api import TimeoutError as PlaywrightTimeout, expect
from sqlmodel import Session, select

from identity_app.db import make_engine
from identity_app.models import (Check, CheckState, MediaItem, MediaKind, Resource, ResourceKind, SessionState,
                                 Task, TaskState, VerificationSession)
from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, screenshot
from tests.services.session_factory import NO_REVIEW, make_session

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 860}
# Places set: the module's earlier pages hold theirs for IDV's idle time, and these tests are not about admission.
TEST_ENV = {"IDV_TEST_HOOKS": "true", "IDV_TEST_LIVENESS_CHALLENGES": "TURN_LEFT,BLINK", "IDV_LIVE_CAPTURES": "20"}
LIVENESS_ONLY = {**NO_REVIEW, "document_authenticity": {"enabled": False}, "text_extraction": {"enabled": False},
                 "face_match": {"enabled": False}}


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


def whole_flow(capture_app, playwright_driver, videos, *, screenshots: bool) -> None:
    """Document, then video selfie on a phone, then COMPLETED with real reports of all four checks."""
    session_id, token = new_session(capture_app, checks=NO_REVIEW)
    vs = capture_by_link(capture_app, playwright_driver, videos, f"{capture_app.url}/s/{token}", session_id,
                         screenshots=screenshots)
    seconds = (vs.completed_at - vs.capture_finished_at).total_seconds()
    print(f"\nlast capture -> COMPLETED: {seconds:.1f} s (session {session_id})")
    assert_four_real_reports(capture_app, session_id, vs)


def capture_by_link(capture_app, playwright_driver, videos, url: str, session_id: int, *,
                    screenshots: bool = False) -> VerificationSession:
    """The person's part, from the link to "All done": the document on a desktop camera, then the
    video selfie on a phone. Returns the session once COMPLETED."""
    shots = both_sizes if screenshots else (lambda page, name: None)
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
        # The passport is whole, sharp and steady: the page takes the photo by itself (issue 12), unless
        # the press lands first; either way one photo.
        expect(page.locator("#idv-feedback")).to_contain_text(re.compile("Looks good|Hold still"), timeout=30_000)
        shots(page, "2-document")
        take_photo_unless_taken(page)
        expect(page.get_by_role("heading", name="Video selfie")).to_be_visible(timeout=30_000)
    finally:
        browser.close()

    browser = camera_browser(playwright_driver, videos["face"])
    try:
        page = open_page(browser, url, PHONE)  # the link resumes at the next step, here on a phone
        expect(page.get_by_role("heading", name="Video selfie")).to_be_visible()
        expect_selfie_preview(page, capture_app, session_id)
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
    return vs


def expect_selfie_preview(page, capture_app, session_id: int) -> None:
    """Before "I'm ready" the person sees themselves in the oval (the front camera playing), and nothing
    of them has been sent: no liveness attempt, no frame."""
    page.wait_for_function("() => { const v = document.getElementById('idv-video');"
                           " return !!v && v.videoWidth > 0 && !v.paused && !!v.srcObject && v.srcObject.active; }",
                           timeout=15_000)
    with db_of(capture_app) as db:
        attempts = db.exec(select(Resource).where(Resource.session_id == session_id,
                                                  Resource.kind == ResourceKind.LIVENESS)).all()
        frames = db.exec(select(MediaItem).where(MediaItem.session_id == session_id,
                                                 MediaItem.kind == MediaKind.LIVENESS_FRAME)).all()
    assert not attempts and not frames


def take_photo_unless_taken(page) -> None:
    """Press "Take photo" unless the page took the photo by itself meanwhile."""
    try:
        page.get_by_role("button", name="Take photo").click(timeout=3_000)
    except PlaywrightTimeout:
        pass  # pressed by the page itself: the button is busy or gone


def assert_four_real_reports(capture_app, session_id: int, vs: VerificationSession) -> None:
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
    # The document's reading was asked for while the user went on to the selfie (how soon it ends
    # depends on the machine: the worker yields the CPU to the capture); the frames came analysed.
    assert [t.state for t in tasks] == [TaskState.DONE] and tasks[0].created_at < vs.capture_finished_at
    assert frames and all(m.analysis for m in frames)
