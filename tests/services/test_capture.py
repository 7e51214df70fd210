"""The capture flow's services on real images, real storage and both databases."""
from __future__ import annotations

import io
from datetime import timedelta

import numpy as np
import pytest
from PIL import Image
from sqlmodel import select

from identity_app.models import Check, CheckState, MediaItem, MediaKind, Resource, SessionState, Task, utcnow
from identity_app.services.capture import flow as capture
from identity_app.services.capture.flow import CaptureRefused, LinkStatus
from identity_app.storage import LocalMediaStore
from tests import capture_media as cm
from tests.services.session_factory import NO_REVIEW, make_session

PHONE_UA = ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 "
            "(KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1")


@pytest.fixture
def store(tmp_path):
    return LocalMediaStore(tmp_path / "media", "test-secret-key-" + "y" * 40)


def consented(db, **kw):
    vs = make_session(db, **kw)
    capture.open_link(db, token=vs.token, user_agent=PHONE_UA, ip="203.0.113.9")
    capture.give_consent(db, token=vs.token)
    db.commit()
    return vs


def test_it_records_the_device_and_shows_the_branding_when_a_link_is_opened(db):
    vs = make_session(db, locale="fr")
    view = capture.open_link(db, token=vs.token, user_agent=PHONE_UA, ip="203.0.113.9")
    assert view.status == LinkStatus.OPEN and view.application_name == "Acme Bank" and view.locale == "fr"
    assert not view.consent_given and view.upload_allowed and view.max_retries == 3
    db.refresh(vs)
    assert vs.device["browser"] == "Safari" and vs.device["os"] == "iOS" and vs.device["ip"] == "203.0.113.9"
    assert vs.started_at is not None


@pytest.mark.parametrize("token", ["", "x" * 80, "no such token", "../etc/passwd", "A" * 43])
def test_unknown_links_reveal_nothing(db, token):
    make_session(db)
    view = capture.open_link(db, token=token)
    assert view == capture.CLOSED


def test_an_expired_link_is_closed_and_the_session_expires(db):
    vs = make_session(db, lifetime=timedelta(seconds=-1))
    assert capture.open_link(db, token=vs.token) == capture.CLOSED
    db.refresh(vs)
    assert vs.state == SessionState.EXPIRED
    with pytest.raises(CaptureRefused) as err:
        capture.give_consent(db, token=vs.token)
    assert err.value.code == "LINK_CLOSED"


def test_capture_needs_consent_first(db, store):
    vs = make_session(db)
    with pytest.raises(CaptureRefused) as err:
        capture.store_document_image(db, store, token=vs.token, data=cm.jpeg(cm.document_frame()))
    assert err.value.code == "CONSENT_REQUIRED"
    view = capture.give_consent(db, token=vs.token)
    assert view.consent_given
    db.refresh(vs)
    assert vs.consent_at is not None


def test_a_document_photo_is_cleaned_and_stored_encrypted(db, store):
    vs = consented(db)
    frame = cm.document_frame()
    # A JPEG with EXIF (orientation 6 = rotated, plus a GPS-like comment): both must go.
    pil = Image.fromarray(np.ascontiguousarray(np.rot90(frame, 1)[:, :, ::-1]))
    exif = Image.Exif()
    exif[0x0112] = 6
    exif[0x010E] = "secret location 51.5N"
    buf = io.BytesIO()
    pil.save(buf, "JPEG", exif=exif.tobytes(), quality=95)
    stored = capture.store_document_image(db, store, token=vs.token, data=buf.getvalue(), document_type="PASSPORT")
    db.commit()
    item = db.get(MediaItem, stored.media_id)
    assert item.kind == MediaKind.DOCUMENT_FRONT and item.content_type == "image/jpeg"
    assert (item.width, item.height) == (640, 480)  # EXIF orientation applied
    clean = store.get(item.storage_key)
    assert b"secret location" not in clean and b"Exif" not in clean[:200]
    assert b"secret location" not in (store.root / item.storage_key).read_bytes()
    assert not stored.needs_back
    assert db.get(Resource, stored.resource_id).document_type == "PASSPORT"


@pytest.mark.parametrize("data, code", [
    (b"", "EMPTY"),
    (b"%PDF-1.7 not an image at all", "UNSUPPORTED_TYPE"),
    (cm.jpeg(np.full((480, 640, 3), 128, np.uint8))[:400], "CORRUPTED"),
])
def test_bad_files_are_refused_with_a_reason(db, store, data, code):
    vs = consented(db)
    with pytest.raises(CaptureRefused) as err:
        capture.store_document_image(db, store, token=vs.token, data=data)
    assert err.value.code == code and str(err.value)
    assert db.exec(select(MediaItem)).all() == []


def test_oversized_files_and_decompression_bombs_are_refused(db, store, settings, monkeypatch):
    vs = consented(db)
    monkeypatch.setattr(settings, "upload_max_bytes", 50_000)
    with pytest.raises(CaptureRefused) as err:
        capture.store_document_image(db, store, token=vs.token, data=cm.jpeg(cm.document_frame(), 100) * 3)
    assert err.value.code == "FILE_TOO_LARGE"
    bomb = io.BytesIO()
    Image.new("L", (20_000, 20_000)).save(bomb, "PNG")  # 400 Mpx in a few hundred kB
    monkeypatch.setattr(settings, "upload_max_bytes", 15 * 1024 * 1024)
    with pytest.raises(CaptureRefused) as err:
        capture.store_document_image(db, store, token=vs.token, data=bomb.getvalue())
    assert err.value.code == "TOO_MANY_PIXELS"


def test_a_poor_photo_is_refused_with_the_quality_hint(db, store):
    vs = consented(db)
    dark = (cm.document_frame() * 0.15).astype(np.uint8)
    with pytest.raises(CaptureRefused) as err:
        capture.store_document_image(db, store, token=vs.token, data=cm.jpeg(dark))
    assert err.value.code == "PHOTO_TOO_DARK" and "dark" in str(err.value)
    feedback = capture.frame_quality(cm.jpeg(dark))
    assert not feedback.ok and feedback.problems[0] == "PHOTO_TOO_DARK"
    assert capture.frame_quality(cm.jpeg(cm.document_frame())).ok


def test_document_type_and_country_follow_the_application(db, store):
    vs = consented(db, checks={"document_authenticity": {"accepted_types": ["PASSPORT"], "country_mode": "ALLOW",
                                                          "countries": ["FRA", "DEU"]}})
    data = cm.jpeg(cm.document_frame())
    for doc_type, country, code in (("DRIVING_LICENCE", "FRA", "DOCUMENT_TYPE_NOT_ACCEPTED"),
                                    ("PASSPORT", "", "COUNTRY_REQUIRED"), ("PASSPORT", "GBR", "COUNTRY_NOT_ACCEPTED")):
        with pytest.raises(CaptureRefused) as err:
            capture.store_document_image(db, store, token=vs.token, data=data, document_type=doc_type, country=country)
        assert err.value.code == code
    stored = capture.store_document_image(db, store, token=vs.token, data=data, document_type="PASSPORT",
                                          country="fra")
    assert db.get(Resource, stored.resource_id).issuing_country == "FRA"


def test_liveness_attempts_have_random_challenges_and_are_limited(db, store):
    vs = consented(db, checks=NO_REVIEW)
    first = capture.start_liveness_attempt(db, token=vs.token)
    assert 2 <= len(first.challenges) <= 3 and len(set(first.challenges)) == len(first.challenges)
    frames = cm.face_loop()[:6]
    capture.add_liveness_frames(db, store, token=vs.token, resource_id=first.resource_id,
                                frames=[(int(t * 1000), cm.jpeg(f)) for f, t in zip(frames, cm.timestamps(6))])
    capture.finish_liveness_attempt(db, token=vs.token, resource_id=first.resource_id)
    with pytest.raises(CaptureRefused):  # a finished attempt takes no more frames
        capture.add_liveness_frames(db, store, token=vs.token, resource_id=first.resource_id,
                                    frames=[(900, cm.jpeg(frames[0]))])
    second = capture.start_liveness_attempt(db, token=vs.token)
    assert second.attempt == 2 and second.resource_id != first.resource_id
    with pytest.raises(CaptureRefused) as err:  # max_retries = 2
        capture.start_liveness_attempt(db, token=vs.token)
    assert err.value.code == "NO_ATTEMPTS_LEFT"
    stored = db.exec(select(MediaItem).where(MediaItem.resource_id == first.resource_id)
                     .order_by(MediaItem.id)).all()
    assert [m.captured_ms for m in stored] == [0, 125, 250, 375, 500, 625]
    result = capture.liveness_result(db, token=vs.token, resource_id=first.resource_id)
    assert not result.done and result.attempts_left == 0


def test_finishing_capture_creates_pending_checks_and_closes_the_link_for_capture(db, store):
    vs = consented(db, checks=NO_REVIEW)
    with pytest.raises(CaptureRefused) as err:
        capture.finish_capture(db, token=vs.token)
    assert err.value.code == "DOCUMENT_MISSING"
    capture.store_document_image(db, store, token=vs.token, data=cm.jpeg(cm.document_frame()))
    attempt = capture.start_liveness_attempt(db, token=vs.token)
    capture.finish_liveness_attempt(db, token=vs.token, resource_id=attempt.resource_id)
    session_id = capture.finish_capture(db, token=vs.token)
    db.commit()
    checks = {c.type: c.state for c in db.exec(select(Check).where(Check.session_id == session_id))}
    assert checks == {"LIVENESS": CheckState.PENDING, "ID_DOCUMENT_AUTHENTICITY": CheckState.PENDING,
                      "ID_DOCUMENT_TEXT_DATA_CHECK": CheckState.PENDING, "ID_DOCUMENT_FACE_MATCH": CheckState.PENDING}
    assert [t.type for t in db.exec(select(Task))] == ["ID_DOCUMENT_TEXT_DATA_EXTRACTION"]
    assert capture.status(db, token=vs.token).status == LinkStatus.CHECKING
    with pytest.raises(CaptureRefused):
        capture.store_document_image(db, store, token=vs.token, data=cm.jpeg(cm.document_frame()))
    db.refresh(vs)
    assert vs.capture_finished_at is not None and vs.capture_finished_at <= utcnow()


def test_test_only_challenges_need_the_test_hooks_switch(monkeypatch):
    monkeypatch.setenv("IDV_TEST_LIVENESS_CHALLENGES", "turn_left, BLINK")
    for hooks in (None, "false", "no", "maybe"):  # off unless IDV_TEST_HOOKS is true
        if hooks is None:
            monkeypatch.delenv("IDV_TEST_HOOKS", raising=False)
        else:
            monkeypatch.setenv("IDV_TEST_HOOKS", hooks)
        for _ in range(5):
            assert 2 <= len(capture.choose_challenges()) <= 3
    monkeypatch.setenv("IDV_TEST_HOOKS", "true")
    assert capture.choose_challenges() == ("TURN_LEFT", "BLINK")
    monkeypatch.setenv("IDV_TEST_LIVENESS_CHALLENGES", "")
    assert 2 <= len(capture.choose_challenges()) <= 3


# ---------------------------------------------------------------- hostile images (issue 9, finding 1)

from tests import hostile_images as hi  # noqa: E402


def test_pixel_bombs_are_refused_on_every_image_path_before_any_decoding(db, store):
    vs = consented(db, checks=NO_REVIEW)
    attempt = capture.start_liveness_attempt(db, token=vs.token)
    bombs = {"finding": hi.finding_png(), "webp-canvas": hi.webp_vp8x(16_000, 16_000),
             "jpeg-stripe": hi.jpeg_header(65_535, 1), "png-square": hi.png(20_000, 20_000)}
    for name, bomb in bombs.items():
        for call in (lambda: capture.store_document_image(db, store, token=vs.token, data=bomb),
                     lambda: capture.frame_quality(bomb),
                     lambda: capture.add_liveness_frames(db, store, token=vs.token, resource_id=attempt.resource_id,
                                                         frames=[(0, cm.jpeg(cm.document_frame())), (125, bomb)])):
            with pytest.raises(CaptureRefused) as err:
                call()
            assert err.value.code in ("BAD_DIMENSIONS", "TOO_MANY_PIXELS", "FILE_TOO_LARGE"), name
    assert db.exec(select(MediaItem)).all() == []  # one bad frame refuses its whole batch


def test_a_session_keeps_at_most_20_document_photos(db, store):
    vs = consented(db)
    data = cm.jpeg(cm.document_frame())
    for i in range(capture.MAX_DOCUMENT_PHOTOS):
        capture.store_document_image(db, store, token=vs.token, data=data, side="FRONT" if i % 2 == 0 else "BACK")
    db.commit()
    for side in ("FRONT", "BACK"):
        with pytest.raises(CaptureRefused) as err:
            capture.store_document_image(db, store, token=vs.token, data=data, side=side)
        assert err.value.code == "TOO_MANY_PHOTOS"
    with pytest.raises(CaptureRefused) as err:  # what the HTTP route asks before reading a body
        capture.require_document_upload(db, vs.token)
    assert err.value.code == "TOO_MANY_PHOTOS"
    assert len(db.exec(select(MediaItem)).all()) == capture.MAX_DOCUMENT_PHOTOS


def test_liveness_frames_are_decoded_analysed_and_re_encoded_in_the_pool(db, store):
    from identity_app import image_pool

    vs = consented(db, checks=NO_REVIEW)
    attempt = capture.start_liveness_attempt(db, token=vs.token)
    frames = cm.face_loop()[:4]
    analyses = capture.add_liveness_frames(db, store, token=vs.token, resource_id=attempt.resource_id,
                                           frames=[(i * 125, cm.jpeg(f)) for i, f in enumerate(frames)])
    assert [a.face_count for a in analyses] == [1, 1, 1, 1]
    stored = db.exec(select(MediaItem).where(MediaItem.resource_id == attempt.resource_id)).all()
    assert [m.analysis["face_count"] for m in stored] == [1, 1, 1, 1] and stored[0].width == 640
    assert store.get(stored[0].storage_key)[:3] == b"\xff\xd8\xff"
    assert image_pool.get_pool().child_pids(), "the work ran in the pool's children"
