"""The reviewer's workbench in a real browser (issue 14): media grouped with liveness attempts as
clips and one delete per group (item 7), the viewer's zoom and pan, the portrait and the selfie
side by side, the timeline, the link resent and regenerated, the PDF report link, the review
queue's assignee, notes and age, and the sessions list after deleting a session (item 16)."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect
from sqlmodel import Session, select

from identity_app.db import make_engine
from identity_app.models import AuditEvent, MediaItem, MediaKind, Resource, ResourceKind
from identity_app.services.access import auth
from identity_app.services.capture.media import store_session_media
from identity_app.services.sessions import links
from identity_app.storage import LocalMediaStore
from tests import seed
from tests.browser.conftest import screenshot
from tests.browser.helpers import OWNER_EMAIL, signed_in_owner
from tests.conftest import shared_data

pytestmark = pytest.mark.slow

expect.set_options(timeout=20_000)  # 7 engineers' apps share 2 cores: pages answer slowly, not wrongly
DESKTOP, PHONE = {"width": 1440, "height": 900}, {"width": 390, "height": 844}


@pytest.fixture(scope="module")
def world(app_server):
    """A session captured for real with two liveness attempts, padded to 302 liveness frames as in
    the issue, and a second session whose link has not been used yet."""
    shared_data("mrz-passporteye")
    shared_data("liveness-pose-eyes-insightface")
    from tests import capture_media as cm

    data_dir = Path(app_server.env["IDV_DATA_DIR"])
    engine = make_engine(f"sqlite:///{data_dir / 'identity.db'}")
    store = LocalMediaStore(data_dir / "media", app_server.env["IDV_SECRET_KEY"])
    with Session(engine, expire_on_commit=False) as db:
        owner = next(o for o in auth.list_operators(db) if o.email == OWNER_EMAIL)
        app_id = seed.application(db, owner, "Workbench", face_match="FALLBACK", text="ALWAYS", liveness_retries=2)
        db.commit()
        captured = seed.captured_session(db, store, owner, app_id, name="Wanda Workbench", reference="WB-1",
                                         printed_photo_first=True)
        sid = captured.session_id
        frames = db.exec(select(MediaItem).where(MediaItem.session_id == sid,
                                                 MediaItem.kind == MediaKind.LIVENESS_FRAME)).all()
        last = db.exec(select(Resource).where(Resource.session_id == sid, Resource.kind == ResourceKind.LIVENESS)
                       .order_by(Resource.attempt.desc())).first()  # type: ignore[attr-defined]
        still = cm.jpeg(cm.face_stills()["open"])
        for n in range(302 - len(frames)):
            store_session_media(db, store, session_id=sid, kind=MediaKind.LIVENESS_FRAME, data=still,
                                content_type="image/jpeg", resource_id=last.id, captured_ms=100_000 + n * 125)
        fresh = seed.created_session(db, owner, app_id, "Fern Fresh", "fern@example.org", "WB-2")
        db.commit()
    yield dict(engine=engine, app_id=app_id, sid=sid, fresh=fresh, media_root=data_dir / "media")
    engine.dispose()


def loaded(page, selector: str) -> None:
    page.wait_for_function("(sel) => { const i = document.querySelector(sel);"
                           " return i && i.complete && i.naturalWidth > 0; }", arg=selector)


def test_the_session_page_is_a_workbench(page, app_server, request):
    signed_in_owner(page, app_server)
    w = request.getfixturevalue("world")
    url, app_id, sid = app_server.url, w["app_id"], w["sid"]
    page.set_viewport_size(DESKTOP)
    page.goto(f"{url}/applications/{app_id}/sessions/{sid}")

    # --- item 7: 302 liveness frames are two clips, not 302 chips with trash icons
    groups = page.locator(".media-group")
    expect(groups.filter(has_text="Liveness attempt 2")).to_be_visible()
    assert groups.count() <= 4, groups.all_inner_texts()
    expect(groups.filter(has_text="Liveness attempt 1")).to_have_count(1)
    expect(page.get_by_role("button", name=re.compile(r"^Delete media \d+$"))).to_have_count(0)
    assert page.locator("#media-groups").bounding_box()["height"] < 900
    document = groups.filter(has_text="Document")
    expect(document.get_by_role("button", name="Front (original)")).to_be_visible()

    # A liveness attempt plays back as a clip of its stored frames (authenticated media URLs).
    clip = groups.filter(has_text="Liveness attempt 2").locator("img")
    frames = clip.get_attribute("data-frames").split()
    assert 10 <= len(frames) <= 48 and all(f.startswith("/api/media/") for f in frames)
    cover = clip.get_attribute("src")
    groups.filter(has_text="Liveness attempt 2").get_by_role("button", name=re.compile("^Play")).click()
    page.wait_for_function("() => { const i = document.querySelector('[data-playing=\"1\"]');"
                           " return i && Number(i.dataset.frame) >= 3; }")
    assert clip.get_attribute("src") != cover

    # --- the viewer zooms AND pans: the passport at 3x, its MRZ (the bottom) brought into view by dragging
    document.get_by_role("button", name="Front (original)").click()
    loaded(page, "#media-viewer-image")
    zone = page.locator("#media-viewer-image-zone")
    for _ in range(3):
        page.get_by_role("button", name="Zoom in (viewer)").click()
    expect(page.locator("#main-zoom-level")).to_have_text("3.4x")
    page.wait_for_function("() => { const z = document.querySelector('#media-viewer-image-zone');"
                           " return z.scrollHeight > 2 * z.clientHeight && z.scrollWidth > 2 * z.clientWidth; }")
    zone.scroll_into_view_if_needed()
    box = zone.bounding_box()
    top_before = zone.evaluate("z => z.scrollTop")
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] - 10)
    page.mouse.down()
    for step in range(1, 11):
        page.mouse.move(box["x"] + box["width"] / 2 - 20 * step, box["y"] + box["height"] - 10 - 40 * step)
    page.mouse.up()
    moved = zone.evaluate("z => [z.scrollLeft, z.scrollTop]")
    assert moved[1] >= top_before + 300 and moved[0] > 0, moved
    zone.evaluate("z => z.scrollTop = z.scrollHeight")  # a scroll wheel or a finger does the same
    assert zone.evaluate("z => Math.abs(z.scrollTop + z.clientHeight - z.scrollHeight) <= 2")
    screenshot(page, "console-session-viewer-zoomed-mrz")

    # --- the portrait (document crop) and the selfie side by side, large, each zoomable
    loaded(page, "#compare-portrait")
    loaded(page, "#compare-selfie")
    p, s = page.locator("#compare-portrait-zone").bounding_box(), page.locator("#compare-selfie-zone").bounding_box()
    assert abs(p["y"] - s["y"]) < 2 and p["width"] > 400 and s["width"] > 400  # side by side at 1440
    page.get_by_role("button", name="Zoom in (Document portrait)").click()
    expect(page.locator("#portrait-zoom-level")).to_have_text("1.5x")

    # --- one timeline of what happened
    timeline = page.locator("#timeline")
    for text in ("Session created", "Link opened", "Consent given", "Document photographed",
                 "Liveness attempt finished", "Capture finished", "check finished"):
        expect(timeline).to_contain_text(text)

    # --- the PDF report: a plain download link that the page router does not take
    pdf = page.locator("#report-pdf")
    assert pdf.get_attribute("href") == f"/api/sessions/{sid}/report.pdf"
    assert pdf.get_attribute("download") is not None
    answer = page.request.get(url + pdf.get_attribute("href"))  # with the page's sign-in cookie
    assert answer.status == 200 and answer.headers["content-type"].startswith("application/pdf"), answer.status
    page.evaluate("window.scrollTo(0, 0)")
    screenshot(page, "console-session-workbench-1440")
    page.set_viewport_size(PHONE)
    expect(page.locator("#compare")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 392
    screenshot(page, "console-session-workbench-390")
    page.set_viewport_size(DESKTOP)

    # --- one delete per group, asked first
    before = len([f for f in (w["media_root"] / "sessions" / str(sid)).rglob("*") if f.is_file()])
    groups.filter(has_text="Liveness attempt 1").get_by_role("button", name=re.compile("^Delete Liveness")).click()
    dialog = page.get_by_role("alertdialog")
    dialog.get_by_role("button", name="Delete for good").click()
    expect(page.get_by_text(re.compile(r"Liveness attempt 1 \(\d+ frames\): deleted\.")).first).to_be_visible()
    expect(groups.filter(has_text="Liveness attempt 1")).to_have_count(0)
    after = len([f for f in (w["media_root"] / "sessions" / str(sid)).rglob("*") if f.is_file()])
    assert 20 <= before - after <= 100
    expect(timeline).to_contain_text("Media deleted")


def test_a_session_with_600_media_opens_grouped_and_prints_its_load_time(browser, app_server, request):
    # Issue 14, item 17: the session page with 600 media items took 3.0 s cold. Printed, not
    # asserted (shared cores); what is asserted is that 600 items are still a handful of groups.
    import time

    w = request.getfixturevalue("world")
    with Session(w["engine"], expire_on_commit=False) as db:
        sid = w["sid"]
        have = len(db.exec(select(MediaItem.id).where(MediaItem.session_id == sid)).all())
        last = db.exec(select(Resource).where(Resource.session_id == sid, Resource.kind == ResourceKind.LIVENESS)
                       .order_by(Resource.attempt.desc())).first()  # type: ignore[attr-defined]
        from tests import capture_media as cm

        still = cm.jpeg(cm.face_stills()["open"])
        store = LocalMediaStore(w["media_root"], app_server.env["IDV_SECRET_KEY"])
        for n in range(600 - have):
            store_session_media(db, store, session_id=sid, kind=MediaKind.LIVENESS_FRAME, data=still,
                                content_type="image/jpeg", resource_id=last.id, captured_ms=200_000 + n * 125)
        db.commit()
        assert len(db.exec(select(MediaItem.id).where(MediaItem.session_id == sid)).all()) == 600
    context = browser.new_context(viewport=DESKTOP)
    try:
        page = context.new_page()
        signed_in_owner(page, app_server)
        start = time.monotonic()
        page.goto(f"{app_server.url}/applications/{w['app_id']}/sessions/{sid}")
        groups = page.locator(".media-group")
        expect(groups.filter(has_text="Liveness attempt 2")).to_be_visible()
        shown = time.monotonic() - start
        assert groups.count() <= 4, groups.all_inner_texts()
        print(f"\nsession page with 600 media items: media groups shown {shown:.2f} s after navigation "
              f"(first open of the page in a signed-in browser)")
    finally:
        context.close()


def test_the_link_is_resent_or_regenerated_from_the_session_page(page, app_server, request):
    signed_in_owner(page, app_server)
    w = request.getfixturevalue("world")
    url, app_id, fresh = app_server.url, w["app_id"], w["fresh"]
    page.set_viewport_size(DESKTOP)
    page.goto(f"{url}/applications/{app_id}/sessions/{fresh.id}")
    old = re.compile("/s/" + re.escape(fresh.token) + "$")  # the link as the app under test spells its origin
    expect(page.locator("#session-link")).to_have_text(old)
    page.get_by_role("button", name="Email the link again").click()
    expect(page.get_by_text("The link was emailed again.").first).to_be_visible()
    page.get_by_role("button", name="Regenerate link").click()
    page.get_by_role("alertdialog").get_by_role("button", name="Make a new link").click()
    expect(page.locator("#session-link")).not_to_have_text(old)
    new_link = page.locator("#session-link").inner_text()
    assert new_link.startswith(f"{url}/s/")
    # Copy gives the new link, and says so once the clipboard has it.
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=url)
    page.get_by_role("button", name="Copy", exact=True).click()
    expect(page.locator("#session-link-copied")).to_have_text("Copied")
    assert page.evaluate("navigator.clipboard.readText()") == new_link.strip()
    with Session(w["engine"]) as db:
        assert links.find_by_token(db, fresh.token) is None  # the old link stops working
        assert links.find_by_token(db, new_link.rsplit("/", 1)[1]).id == fresh.id
        actions = [e.action for e in db.exec(select(AuditEvent).where(AuditEvent.session_id == fresh.id)).all()]
    assert {"session.link_emailed", "session.link_regenerated"} <= set(actions)
    expect(page.locator("#timeline")).to_contain_text("Link regenerated")
    # The old link's page says it is not valid; the new one opens the capture.
    page.goto(f"{url}/s/{fresh.token}")
    expect(page.get_by_text(re.compile("not valid|no longer|does not exist", re.I)).first).to_be_visible()


def test_the_review_queue_has_assignee_notes_and_age(page, app_server, request):
    signed_in_owner(page, app_server)
    w = request.getfixturevalue("world")
    url, app_id = app_server.url, w["app_id"]
    page.set_viewport_size(DESKTOP)
    page.goto(f"{url}/applications/{app_id}/review")
    queue = page.locator("#review-queue")
    rows = queue.locator("tbody tr")
    expect(rows).to_have_count(2)
    expect(queue.locator(".queue-age").first).to_have_text(re.compile(r"^\d+ (min|h \d+ min)$"))
    first, last = (rows.nth(i).get_by_role("cell").first.inner_text() for i in (0, 1))
    page.locator("#sort-by-age").click()
    expect(rows.first.get_by_role("cell").first).to_have_text(last, use_inner_text=True)  # newest first now
    page.locator("#sort-by-age").click()
    expect(rows.first.get_by_role("cell").first).to_have_text(first, use_inner_text=True)

    face = rows.filter(has_text="Face match")
    face.get_by_role("button", name="Assign to me").click()
    expect(face).to_contain_text("Olive Owner")
    expect(face.get_by_role("button", name="Unassign")).to_be_visible()
    face.get_by_role("button", name=re.compile("^Review")).click()
    item = page.locator("#review-item")
    loaded(page, "#review-portrait")
    loaded(page, "#review-selfie")
    page.get_by_label("New note").fill("Glasses in the selfie, compare the ears")
    page.get_by_role("button", name="Add note").click()
    expect(page.locator("#review-notes")).to_contain_text("Glasses in the selfie, compare the ears")
    expect(face).to_contain_text("1 · Glasses in the selfie")
    page.get_by_role("button", name="Zoom in (Document portrait)").click()
    expect(page.locator("#portrait-zoom-level")).to_have_text("1.5x")
    screenshot(page, "console-review-queue-workbench-1440")
    # The breakdown and the FAIL reasons in words (before: ai_face_match, DIFFERENT_PERSON).
    item.get_by_text("Automated breakdown").click()
    labels = item.locator("[title]").filter(has=page.locator("xpath=self::*")).all_inner_texts()
    assert labels and not [t for t in labels if "_" in t], labels
    expect(page.locator("#reason_code option").first).not_to_contain_text("_")
    page.set_viewport_size(PHONE)
    expect(item).to_be_visible()
    # The queue's columns stay on a phone's screen (before: Assignee and the rest scrolled off).
    page.wait_for_timeout(300)
    table = page.locator("#review-queue").bounding_box()
    assert table["x"] + table["width"] <= 390 + 0.5, table
    expect(face).to_contain_text("Wanda Workbench")  # the person folded under the check
    screenshot(page, "console-review-queue-workbench-390")
    page.set_viewport_size(DESKTOP)
    face.get_by_role("button", name="Unassign").click()
    expect(face.get_by_role("button", name="Assign to me")).to_be_visible()


def test_after_deleting_a_session_the_url_is_the_sessions_list_with_a_message(page, app_server, request):
    signed_in_owner(page, app_server)
    w = request.getfixturevalue("world")
    url, app_id, sid = app_server.url, w["app_id"], w["sid"]
    page.goto(f"{url}/applications/{app_id}/sessions/{sid}")
    page.get_by_role("button", name="Delete session", exact=True).click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_label("Type DELETE to confirm").fill("DELETE")
    dialog.get_by_role("button", name="Delete session permanently").click()
    expect(page).to_have_url(f"{url}/applications/{app_id}")
    expect(page.get_by_text(f"Session {sid} deleted.")).to_be_visible()
    page.go_back()  # the deleted session's page is not in the history: back leaves it behind
    assert f"/sessions/{sid}" not in page.url
