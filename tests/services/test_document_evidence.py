"""The evidence the worker keeps when it checks a document (issue 12): the MRZ band, the
portrait and the document flattened by its corners, stored as the session's media
(encrypted, read through the audited media service, deleted with the session).
Real photo of the ICAO specimen passport on a desk at an angle, real checks."""
from __future__ import annotations

from datetime import date

import cv2
import numpy as np
import pytest
from sqlmodel import select

from identity_app.checks.mrz_reader import read_mrz
from identity_app.checks.portrait import find_portrait
from identity_app.checks.report import CheckReport
from identity_app.models import AuditAction, AuditEvent, Check, MediaItem, MediaKind, Task
from identity_app.services.capture import flow as capture
from identity_app.services.capture.media import read_media
from identity_app.services.review import verification
from identity_app.services.sessions.deletion import delete_media_item, delete_session
from identity_app.storage import LocalMediaStore, MediaNotFound
from tests import capture_media as cm, seed
from tests.services.session_factory import NO_REVIEW, make_session

pytestmark = pytest.mark.slow  # the real document checks on a real passport photo

TODAY = date(2026, 11, 25)
DOCUMENT_ONLY = {**NO_REVIEW, "liveness": {"enabled": False}, "face_match": {"enabled": False}}
EVIDENCE = (MediaKind.MRZ_CROP, MediaKind.PORTRAIT_CROP, MediaKind.DOCUMENT_CORRECTED)

if not cm.PASSPORTS.is_dir():
    pytest.skip(f"{cm.PASSPORTS} is absent: the evidence is tested on its real passport photo",
                allow_module_level=True)


@pytest.fixture
def store(tmp_path):
    return LocalMediaStore(tmp_path / "media", "test-secret-key-" + "e" * 40)


def _captured_document(db, store, *, turn: float):
    vs = make_session(db, checks=DOCUMENT_ONLY)
    capture.open_link(db, token=vs.token, user_agent="pytest", ip="127.0.0.1")
    capture.give_consent(db, token=vs.token)
    doc = capture.store_document_image(db, store, token=vs.token, data=cm.jpeg(cm.document_frame(turn=turn), 92),
                                       document_type="PASSPORT")
    db.commit()
    return vs, doc


def _finish(db, vs):
    capture.finish_capture(db, token=vs.token)
    db.commit()


def _evidence(db, session_id) -> dict[MediaKind, list[MediaItem]]:
    items = db.exec(select(MediaItem).where(MediaItem.session_id == session_id,
                                            MediaItem.kind.in_(EVIDENCE))).all()  # type: ignore[attr-defined]
    out: dict[MediaKind, list[MediaItem]] = {}
    for m in items:
        out.setdefault(m.kind, []).append(m)
    return out


def _decoded(store, item: MediaItem) -> np.ndarray:
    image = cv2.imdecode(np.frombuffer(store.get(item.storage_key), np.uint8), cv2.IMREAD_COLOR)
    assert image is not None, item.kind
    assert image.shape[:2] == (item.height, item.width)
    return image


def _evidence_ids(report: dict) -> dict[str, str]:
    return {s.sub_check: d.value for s in CheckReport.from_dict(report).breakdown
            for d in s.details if d.name == verification.EVIDENCE_KEY}


def test_checking_a_document_keeps_its_mrz_portrait_and_flattened_page_as_media(db, store):
    vs, doc = _captured_document(db, store, turn=30.0)
    _finish(db, vs)
    verification.run_session_checks(db, store, session_id=vs.id, today=TODAY)

    found = _evidence(db, vs.id)
    assert set(found) == set(EVIDENCE), found
    assert all(len(items) == 1 for items in found.values())
    mrz, portrait, flat = (found[k][0] for k in EVIDENCE)
    for item in (mrz, portrait, flat):
        assert item.resource_id == doc.resource_id and item.content_type == "image/jpeg"
        assert item.analysis["source_media_id"] == doc.media_id
        # Encrypted at rest like every other media item: the file is no JPEG.
        raw = (store.root / item.storage_key).read_bytes()
        assert not raw.startswith(b"\xff\xd8") and b"JFIF" not in raw[:64]
    # The captured photo stays as it was taken.
    front = db.get(MediaItem, doc.media_id)
    assert front is not None and front.kind == MediaKind.DOCUMENT_FRONT and (front.width, front.height) == cm.SIZE

    # The MRZ crop is a wide band holding the two lines the check read: read again, it gives them.
    band = _decoded(store, mrz)
    assert band.shape[1] >= 300 and 3.5 <= band.shape[1] / band.shape[0] <= 12, band.shape
    (task,) = db.exec(select(Task).where(Task.session_id == vs.id)).all()
    again = read_mrz(band)
    assert again is not None and list(again.parsed.lines) == task.result["mrz_lines"]

    # The portrait is a face, upright, about square.
    face = _decoded(store, portrait)
    assert min(face.shape[:2]) >= 80 and 0.7 <= face.shape[1] / face.shape[0] <= 1.4, face.shape
    seen = find_portrait(face, margin=0.0, min_fraction=0.3)
    assert seen is not None and seen[1] == 0

    # The flattened page has a passport page's proportions (ISO ID-3, 125 x 88 mm) and its corners.
    page = _decoded(store, flat)
    assert max(page.shape[:2]) >= 700 and abs(page.shape[1] / page.shape[0] - 125 / 88) < 0.12, page.shape
    assert len(flat.analysis["corners"]) == 4
    turned = find_portrait(page)
    assert turned is not None and turned[1] == 0  # upright: its portrait needs no turn

    # Each sub-check names the evidence it looked at.
    checks = {c.type: c for c in db.exec(select(Check).where(Check.session_id == vs.id))}
    text = _evidence_ids(checks["ID_DOCUMENT_TEXT_DATA_CHECK"].report)
    assert text["mrz_found"] == str(mrz.id)
    authenticity = _evidence_ids(checks["ID_DOCUMENT_AUTHENTICITY"].report)
    assert authenticity.get("image_quality") == str(flat.id), authenticity

    # A reviewer reads them through the audited media service.
    owner = seed.owner(db)
    db.commit()
    content = read_media(db, store, actor=owner, media_id=portrait.id, ip="127.0.0.2")
    assert content.data == store.get(portrait.storage_key)
    db.commit()
    viewed = db.exec(select(AuditEvent).where(AuditEvent.action == AuditAction.MEDIA_VIEWED,
                                              AuditEvent.target == f"media:{portrait.id}")).all()
    assert len(viewed) == 1

    # A job run again keeps them once.
    verification.run_session_checks(db, store, session_id=vs.id, today=TODAY)
    assert {k: [m.id for m in v] for k, v in _evidence(db, vs.id).items()} == {
        k: [found[k][0].id] for k in EVIDENCE}

    # Deleting the session deletes them, rows and stored objects.
    keys, ids = [m.storage_key for m in (mrz, portrait, flat)], [m.id for m in (mrz, portrait, flat)]
    delete_session(db, store, actor=owner, session_id=vs.id, confirmation="DELETE")
    db.commit()
    assert db.exec(select(MediaItem).where(MediaItem.id.in_(ids))).all() == []  # type: ignore[union-attr]
    for key in keys:
        with pytest.raises(MediaNotFound):
            store.get(key)


def test_a_document_read_early_gets_its_mrz_crop_from_the_photo_it_was_read_from(db, store):
    vs, doc = _captured_document(db, store, turn=0.0)
    assert verification.read_document_early(db, store, resource_id=doc.resource_id, today=TODAY)
    _finish(db, vs)
    verification.run_session_checks(db, store, session_id=vs.id, today=TODAY)
    found = _evidence(db, vs.id)
    assert set(found) == set(EVIDENCE), found
    (task,) = db.exec(select(Task).where(Task.session_id == vs.id)).all()
    band = _decoded(store, found[MediaKind.MRZ_CROP][0])
    again = read_mrz(band)
    assert again is not None and list(again.parsed.lines) == task.result["mrz_lines"]


def test_deleting_the_photo_deletes_the_evidence_cut_from_it(db, store):
    vs, doc = _captured_document(db, store, turn=0.0)
    _finish(db, vs)
    verification.run_session_checks(db, store, session_id=vs.id, today=TODAY)
    found = _evidence(db, vs.id)
    assert set(found) == set(EVIDENCE), found
    derived = [m for ms in found.values() for m in ms if (m.analysis or {}).get("source_media_id") == doc.media_id]
    assert derived, "the evidence names the photo it was cut from"
    keys = [m.storage_key for m in derived]
    owner = seed.owner(db)
    db.commit()
    delete_media_item(db, store, actor=owner, media_id=doc.media_id)
    db.commit()
    assert db.exec(select(MediaItem).where(MediaItem.id.in_([m.id for m in derived]))).all() == []  # type: ignore[union-attr]
    for key in keys:
        with pytest.raises(MediaNotFound):
            store.get(key)
    event = db.exec(select(AuditEvent).where(AuditEvent.action == AuditAction.MEDIA_DELETED)).one()
    assert event.target == f"media:{doc.media_id}"
