"""Deletion really deletes: one media item, all media of a session, the whole
session (after typing DELETE), and the retention job; on local disk and S3."""
from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest
import sqlalchemy as sa
from sqlmodel import Session, select

from identity_app.models import (
    AuditEvent, Check, Decision, MediaItem, MediaKind, Resource, Task, VerificationSession, utcnow,
)
from identity_app.services.sessions import decisions, deletion
from identity_app.services.errors import Forbidden, NotFound, ValidationError
from identity_app.services.sessions.detail import get_session_detail
from identity_app.storage import LocalMediaStore, MediaNotFound, S3MediaStore
from tests import seed
from tests.conftest import SHARED_DATA, shared_data

pytestmark = pytest.mark.slow  # not in the fast tier: sessions captured and checked for real

SECRET = "test-secret-" + "y" * 40
PERSONAL = ("Ada", "ada@example.org", "ERIKSSON", "L898902C3")


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def world(request, tmp_path_factory):
    shared_data("mrz-passporteye")
    shared_data("liveness-pose-eyes-insightface")
    engine = seed.module_engine(request)
    root = tmp_path_factory.mktemp("media")
    store = LocalMediaStore(root, SECRET)
    with Session(engine, expire_on_commit=False) as db:
        owner = seed.owner(db)
        app_id = seed.application(db, owner, face_match="NEVER", text="NEVER")
        media_deleter = seed.member(db, owner, app_id, "media@example.com", ["VIEW_SESSIONS", "DELETE_MEDIA"])
        session_deleter = seed.member(db, owner, app_id, "sessions@example.com",
                                      ["VIEW_SESSIONS", "DELETE_SESSIONS", "DECIDE"])
        other_app = seed.application(db, owner, "Other")
        outsider = seed.member(db, owner, other_app, "outsider@example.com", seed.all_permissions())
        db.commit()
        one = seed.captured_session(db, store, owner, app_id)
        media = seed.captured_session(db, store, owner, app_id)
        whole = seed.captured_session(db, store, owner, app_id)
    return SimpleNamespace(engine=engine, store=store, root=root, owner=owner, media_deleter=media_deleter,
                           session_deleter=session_deleter, outsider=outsider, app_id=app_id,
                           one=one.session_id, media=media.session_id, whole=whole.session_id)


def files_under(root: Path, session_id: int) -> list[Path]:
    folder = root / "sessions" / str(session_id)
    return [p for p in folder.rglob("*") if p.is_file()] if folder.exists() else []


def media_rows(db, session_id: int) -> list[MediaItem]:
    return list(db.exec(select(MediaItem).where(MediaItem.session_id == session_id)).all())


def audit_text(db) -> str:
    return repr([(e.target, e.details) for e in db.exec(select(AuditEvent)).all()])


def test_delete_one_media_item(world):
    with Session(world.engine, expire_on_commit=False) as db:
        items = media_rows(db, world.one)
        doc = next(m for m in items if m.kind == MediaKind.DOCUMENT_FRONT)
        path = world.root / doc.storage_key
        assert path.is_file() and len(files_under(world.root, world.one)) == len(items)
        with pytest.raises(Forbidden, match="Delete media"):
            deletion.delete_media_item(db, world.store, actor=world.session_deleter, media_id=doc.id)
        with pytest.raises(NotFound):
            deletion.delete_media_item(db, world.store, actor=world.outsider, media_id=doc.id)
        assert path.is_file()
        deletion.delete_media_item(db, world.store, actor=world.media_deleter, media_id=doc.id, ip="10.0.0.4")
        db.commit()
        assert not path.exists() and not world.store.exists(doc.storage_key)
        with pytest.raises(MediaNotFound):
            world.store.get(doc.storage_key)
        assert db.get(MediaItem, doc.id) is None
        # With it went the evidence the worker cut from it (MRZ band, portrait, flattened page).
        derived = [m for m in items if (m.analysis or {}).get("source_media_id") == doc.id]
        assert len(media_rows(db, world.one)) == len(items) - 1 - len(derived) == len(files_under(world.root, world.one))
        event = db.exec(select(AuditEvent).where(AuditEvent.action == "media.deleted")).one()
        named = {"derived_media": ",".join(str(m.id) for m in derived)} if derived else {}
        assert (event.target, event.details, event.actor) == (f"media:{doc.id}", {"kind": "DOCUMENT_FRONT", **named},
                                                              "media@example.com")
        # The report that was made from it stays.
        d = get_session_detail(db, actor=world.owner, session_id=world.one)
        assert len(d.checks) == 4 and d.document_fields
        with pytest.raises(NotFound):
            deletion.delete_media_item(db, world.store, actor=world.media_deleter, media_id=doc.id)


def test_delete_all_media_of_a_session_keeps_reports_details_and_decision(world):
    with Session(world.engine, expire_on_commit=False) as db:
        decisions.decide(db, actor=world.session_deleter, session_id=world.media, value="APPROVE", note="ok")
        db.commit()
        before = get_session_detail(db, actor=world.owner, session_id=world.media)
        keys = [m.storage_key for m in media_rows(db, world.media)]
        assert len(keys) > 20 and files_under(world.root, world.media)
        with pytest.raises(Forbidden):
            deletion.delete_session_media(db, world.store, actor=world.session_deleter, session_id=world.media)
        count = deletion.delete_session_media(db, world.store, actor=world.media_deleter, session_id=world.media)
        db.commit()
        assert count == len(keys)
        assert files_under(world.root, world.media) == [] and not (world.root / "sessions" / str(world.media)).exists()
        assert not any(world.store.exists(k) for k in keys)
        assert media_rows(db, world.media) == []
        after = get_session_detail(db, actor=world.owner, session_id=world.media)
        assert after.media == ()
        assert [(c.type, c.recommendation, c.reason, c.breakdown) for c in after.checks] == [
            (c.type, c.recommendation, c.reason, c.breakdown) for c in before.checks]
        assert after.document_fields == before.document_fields and after.decision == before.decision
        event = db.exec(select(AuditEvent).where(AuditEvent.action == "session.media_deleted")).one()
        assert event.details["media_items"] == len(keys)
        # Other sessions' files are untouched.
        assert files_under(world.root, world.whole)
        text = audit_text(db)
        assert not any(p in text for p in PERSONAL)


def test_delete_the_whole_session_after_typing_delete(world):
    sid = world.whole
    with Session(world.engine, expire_on_commit=False) as db:
        assert files_under(world.root, sid)
        with pytest.raises(Forbidden, match="Delete sessions"):
            deletion.delete_session(db, world.store, actor=world.media_deleter, session_id=sid, confirmation="DELETE")
        with pytest.raises(NotFound):
            deletion.delete_session(db, world.store, actor=world.outsider, session_id=sid, confirmation="DELETE")
        for wrong in ("", "delete", "DELET"):
            with pytest.raises(ValidationError, match="Type DELETE"):
                deletion.delete_session(db, world.store, actor=world.session_deleter, session_id=sid,
                                        confirmation=wrong)
        assert files_under(world.root, sid) and db.get(VerificationSession, sid) is not None
        counts_before = {t.__name__: db.exec(select(sa.func.count()).select_from(t).where(t.session_id == sid)).one()
                         for t in (Check, Task, Resource, MediaItem)}
        assert all(counts_before.values())
        result = deletion.delete_session(db, world.store, actor=world.session_deleter, session_id=sid,
                                         confirmation="DELETE", ip="10.0.0.5")
        db.commit()
    assert result.checks == counts_before["Check"] and result.media_items == counts_before["MediaItem"]
    assert not (world.root / "sessions" / str(sid)).exists()
    with Session(world.engine) as db:
        assert db.get(VerificationSession, sid) is None
        for table in (Check, Task, Resource, MediaItem, Decision):
            assert db.exec(select(sa.func.count()).select_from(table).where(table.session_id == sid)).one() == 0
        event = db.exec(select(AuditEvent).where(AuditEvent.action == "session.deleted")).one()
        assert event.session_id == sid and event.details["checks"] == counts_before["Check"]
        text = audit_text(db)
        assert not any(p in text for p in PERSONAL)
        with pytest.raises(NotFound):
            get_session_detail(db, actor=world.owner, session_id=sid)
    # The other sessions are intact.
    assert files_under(world.root, world.one)


def test_retention_deletes_only_media_older_than_the_applications_period(world):
    with Session(world.engine, expire_on_commit=False) as db:
        remaining = media_rows(db, world.one)
        assert remaining
        now = utcnow()
        assert deletion.delete_expired_media(db, world.store, now=now + timedelta(days=89)) == 0
        assert files_under(world.root, world.one)
        deleted = deletion.delete_expired_media(db, world.store, now=now + timedelta(days=91))
        db.commit()
        assert deleted == len(remaining)
        assert media_rows(db, world.one) == [] and files_under(world.root, world.one) == []
        assert db.get(VerificationSession, world.one) is not None
        event = db.exec(select(AuditEvent).where(AuditEvent.action == "media.retention_deleted")).one()
        assert event.actor == "system" and event.details == {"media_items": len(remaining), "retention_days": 90}


def test_deletion_from_s3_leaves_no_object(world, request):
    try:
        from tests.conftest import make_bucket
    except ImportError:
        pytest.skip("the S3 test fixture (tests/conftest.py s3_endpoint) is not available")
    endpoint = request.getfixturevalue("s3_endpoint")
    bucket = make_bucket(endpoint)
    s3 = S3MediaStore(SECRET, bucket=bucket, prefix="idv", endpoint_url=endpoint, access_key_id="test",
                      secret_access_key="test")
    images = [SHARED_DATA / "mrz-passporteye" / "testdata" / "100_pass-uto.jpg",
              SHARED_DATA / "face-verify-face_recognition" / "tests" / "obama.jpg"]

    def objects(session_id: int) -> list[str]:
        page = s3.client.list_objects_v2(Bucket=bucket, Prefix=f"idv/sessions/{session_id}/")
        return [o["Key"] for o in page.get("Contents", [])]

    with Session(world.engine, expire_on_commit=False) as db:
        a = seed.created_session(db, world.owner, world.app_id, "S3 One", "s3a@example.org").id
        b = seed.created_session(db, world.owner, world.app_id, "S3 Two", "s3b@example.org").id
        for sid in (a, b):
            for path, kind in zip(images, (MediaKind.DOCUMENT_FRONT, MediaKind.SELFIE)):
                seed.store_image(db, s3, sid, path, kind)
        db.commit()
        first = media_rows(db, a)[0]
        assert len(objects(a)) == 2 and s3.get(first.storage_key) == images[0].read_bytes()
        deletion.delete_media_item(db, s3, actor=world.media_deleter, media_id=first.id)
        assert len(objects(a)) == 1 and not s3.exists(first.storage_key)
        deletion.delete_session_media(db, s3, actor=world.media_deleter, session_id=a)
        assert objects(a) == []
        deletion.delete_session(db, s3, actor=world.session_deleter, session_id=b, confirmation="DELETE")
        db.commit()
        assert objects(b) == [] and db.get(VerificationSession, b) is None
        # Nothing of either session is left anywhere in the bucket.
        listing = s3.client.list_objects_v2(Bucket=bucket, Prefix="idv/sessions/")
        assert listing.get("KeyCount", 0) == 0
