"""Deletion leaves no byte of the person in the database files (issue 9, finding 4).

A real SQLite file, as `make run` keeps it (WAL): the deleted person's name,
email, reference, link token, storage keys, MRZ fields and IP address are in
identity.db and in identity.db-wal before the deletion, and in neither after
it (secure_delete zeroes the freed cells; the write-ahead log is copied in and
truncated once the deleting transaction commits). The audit events are kept,
without the end user's IP address; on PostgreSQL too.
"""
from __future__ import annotations

import sqlite3
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest
from sqlmodel import Session, select

from identity_app import db as dbmod
from identity_app.db import make_engine, session_scope
from identity_app.migrations import upgrade
from identity_app.models import AuditEvent, MediaItem, Task, utcnow
from identity_app.services.capture import flow as capture
from identity_app.services.sessions import deletion
from identity_app.services.review import verification
from identity_app.storage import LocalMediaStore
from tests import seed
from tests.conftest import shared_data

pytestmark = pytest.mark.slow  # not in the fast tier: a capture checked for real, then the raw database bytes

SECRET = "test-secret-" + "z" * 40
VICTIM = dict(name="Zebulon Quaxworth", email="zebulon.quaxworth@victim.example", reference="REF-QUAXWORTH-7731")
VICTIM_IP = "203.0.113.77"
BYSTANDER = dict(name="Yolanda Bystander", email="yolanda.bystander@stays.example", reference="REF-STAYS-4242")
BYSTANDER_IP = "198.51.100.23"
MRZ = ("ERIKSSON", "L898902C3")  # the UTO specimen's surname and document number, read by the real OCR


def files_of(path: Path) -> dict[str, bytes]:
    return {suffix.lstrip("-") or "db": Path(str(path) + suffix).read_bytes()
            for suffix in ("", "-wal", "-shm") if Path(str(path) + suffix).exists()}


def found(blobs: dict[str, bytes], text: str) -> list[str]:
    """Which files hold the text (case-insensitively: the search column is lower-cased)."""
    needle = text.lower().encode()
    return [name for name, blob in blobs.items() if needle in blob.lower()]


def capture_document(db: Session, store, owner, app_id: int, person: dict, ip: str, *, read: bool) -> SimpleNamespace:
    from tests import capture_media as cm

    created = seed.created_session(db, owner, app_id, person["name"], person["email"], person["reference"])
    capture.open_link(db, token=created.token, user_agent="Mozilla/5.0 (X11; Linux x86_64) Chrome/156", ip=ip)
    capture.give_consent(db, token=created.token, ip=ip)
    doc = capture.store_document_image(db, store, token=created.token, data=cm.jpeg(cm.document_frame(), 95),
                                       side="FRONT", document_type="PASSPORT", ip=ip)
    db.commit()
    if read:
        assert verification.read_document_early(db, store, resource_id=doc.resource_id, today=seed.TODAY)
        db.commit()
    keys = [m.storage_key for m in db.exec(select(MediaItem).where(MediaItem.session_id == created.id)).all()]
    return SimpleNamespace(id=created.id, token=created.token, keys=keys)


@pytest.fixture
def world(tmp_path):
    shared_data("mrz-passporteye")
    path = tmp_path / "identity.db"
    url = f"sqlite:///{path}"
    upgrade(url)
    engine = make_engine(url)
    store = LocalMediaStore(tmp_path / "media", SECRET)
    with Session(engine, expire_on_commit=False) as db:
        owner = seed.owner(db)
        app_id = seed.application(db, owner)
        deleter = seed.member(db, owner, app_id, "deleter@example.com",
                              ["VIEW_SESSIONS", "DELETE_SESSIONS", "DELETE_MEDIA"])
        db.commit()
        victim = capture_document(db, store, owner, app_id, VICTIM, VICTIM_IP, read=True)
        bystander = capture_document(db, store, owner, app_id, BYSTANDER, BYSTANDER_IP, read=False)
    yield SimpleNamespace(path=path, engine=engine, store=store, deleter=deleter, victim=victim,
                          bystander=bystander)
    engine.dispose()


def test_deleting_a_session_leaves_no_byte_of_the_person_in_the_database_files(world):
    v = world.victim
    secrets_of_victim = [VICTIM["name"], VICTIM["email"], VICTIM["reference"], v.token, VICTIM_IP, *MRZ,
                         *v.keys]
    with world.engine.connect() as conn:
        # Said explicitly: Debian's SQLite zeroes deleted cells by default, other builds do not.
        assert conn.exec_driver_sql("PRAGMA secure_delete").scalar() == 1
        # The state SQLite leaves by itself: the pages in the file AND in the log.
        conn.exec_driver_sql("PRAGMA wal_checkpoint(PASSIVE)")
    with sqlite3.connect(world.path) as other:
        assert other.execute("SELECT COUNT(*) FROM task WHERE session_id = ?", (v.id,)).fetchone()[0] == 1
    before = files_of(world.path)
    for text in secrets_of_victim:
        assert found(before, text) == ["db", "wal"], text
    assert len(v.keys) == 1 and found(before, VICTIM["name"].lower()) == ["db", "wal"]  # search_text

    with session_scope(world.engine) as db:
        deletion.delete_session(db, world.store, actor=world.deleter, session_id=v.id, confirmation="DELETE",
                                ip="10.9.8.7")

    after = files_of(world.path)
    assert len(after.get("wal", b"")) == 0  # truncated once the deletion committed
    for text in secrets_of_victim:
        assert found(after, text) == [], text
    # The other person is still there (the right file was read, nothing else was wiped).
    for text in (BYSTANDER["name"], BYSTANDER["email"], world.bystander.token, BYSTANDER_IP):
        assert found(after, text) == ["db"], text
    with Session(world.engine) as db:
        events = db.exec(select(AuditEvent).where(AuditEvent.session_id == v.id)).all()
        capture_events = [e for e in events if e.action.startswith("capture.")]
        assert len(capture_events) >= 3 and all(e.ip == "" for e in capture_events)
        deleted = next(e for e in events if e.action == "session.deleted")
        assert deleted.ip == "10.9.8.7"  # the operator's own address stays with what they did
        assert db.exec(select(Task).where(Task.session_id == v.id)).all() == []


def test_deleting_media_and_the_retention_job_truncate_the_log_too(world):
    b = world.bystander
    wal = Path(str(world.path) + "-wal")

    def media(db):
        return db.exec(select(MediaItem).where(MediaItem.session_id == b.id)).all()

    with Session(world.engine, expire_on_commit=False) as db:
        [item] = media(db)
    assert found(files_of(world.path), item.storage_key) and wal.stat().st_size > 0
    with session_scope(world.engine) as db:
        deletion.delete_media_item(db, world.store, actor=world.deleter, media_id=item.id)
    assert wal.stat().st_size == 0 and found(files_of(world.path), item.storage_key) == []

    from tests import capture_media as cm

    for step in ("all media", "retention"):
        with session_scope(world.engine) as db:
            capture.store_document_image(db, world.store, token=b.token, data=cm.jpeg(cm.document_frame(), 95))
        with Session(world.engine) as db:
            [item] = media(db)
        assert wal.stat().st_size > 0 and found(files_of(world.path), item.storage_key)
        with session_scope(world.engine) as db:
            if step == "all media":
                assert deletion.delete_session_media(db, world.store, actor=world.deleter, session_id=b.id) == 1
            else:
                assert deletion.delete_expired_media(db, world.store, now=utcnow() + timedelta(days=91)) == 2  # both people
        assert wal.stat().st_size == 0 and found(files_of(world.path), item.storage_key) == [], step


def test_a_rolled_back_deletion_does_not_truncate_and_a_busy_log_is_reported(world, monkeypatch):
    wal = Path(str(world.path) + "-wal")
    with pytest.raises(RuntimeError):
        with session_scope(world.engine) as db:
            deletion.delete_session(db, world.store, actor=world.deleter, session_id=world.bystander.id,
                                    confirmation="DELETE")
            assert db.info["_truncate_wal"]
            raise RuntimeError("the request failed after the delete")
    assert wal.stat().st_size > 0 and found(files_of(world.path), BYSTANDER["email"])
    # Another process in the middle of a write: the checkpoint cannot finish, says so, and works later.
    monkeypatch.setattr(dbmod, "CHECKPOINT_BUSY_MS", 100)
    other = sqlite3.connect(world.path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    other.execute("UPDATE application SET description = 'x'")
    assert dbmod.truncate_wal(world.engine) is False
    other.execute("COMMIT")
    other.close()
    assert dbmod.truncate_wal(world.engine) is True and wal.stat().st_size == 0


def test_deleting_a_session_clears_the_end_users_ip_from_its_audit_events(db, tmp_path):
    """Both databases: the events are kept, the end user's address goes, other sessions keep theirs."""
    store = LocalMediaStore(tmp_path / "media", SECRET)
    owner = seed.owner(db)
    app_id = seed.application(db, owner)
    db.commit()
    ids = {}
    for person, ip in ((VICTIM, VICTIM_IP), (BYSTANDER, BYSTANDER_IP)):
        created = seed.created_session(db, owner, app_id, person["name"], person["email"], person["reference"])
        capture.open_link(db, token=created.token, ip=ip)
        capture.give_consent(db, token=created.token, ip=ip)
        db.commit()
        ids[ip] = created.id
    deletion.delete_session(db, store, actor=owner, session_id=ids[VICTIM_IP], confirmation="DELETE", ip="10.1.1.1")
    db.commit()
    rows = {(e.session_id, e.action): e.ip for e in db.exec(select(AuditEvent)).all() if e.session_id}
    assert rows[(ids[VICTIM_IP], "capture.started")] == rows[(ids[VICTIM_IP], "capture.consent_given")] == ""
    assert rows[(ids[VICTIM_IP], "session.deleted")] == "10.1.1.1"
    assert rows[(ids[BYSTANDER_IP], "capture.started")] == rows[(ids[BYSTANDER_IP], "capture.consent_given")] \
        == BYSTANDER_IP
