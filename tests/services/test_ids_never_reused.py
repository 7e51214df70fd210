"""Ids are never handed out twice (issue 9): a new session never takes a deleted
session's id, so the audit trail of one id is one person's. SQLite tables say
AUTOINCREMENT (migration f0597d2b64e8); PostgreSQL's sequences never go back."""
from __future__ import annotations

import sqlalchemy as sa
from sqlmodel import Session, SQLModel, select

from identity_app.db import make_engine
from identity_app.migrations import upgrade
from identity_app.models import (
    Application, AuditEvent, Check, Decision, DecisionValue, MediaItem, MediaKind, Resource, ResourceKind, Task,
    VerificationSession, utcnow,
)

BEFORE = "c3f1a9e07d52"  # the last revision without AUTOINCREMENT


def _session(db: Session, app_id: int, name: str) -> VerificationSession:
    vs = VerificationSession(application_id=app_id, token=name.lower().replace(" ", "-").ljust(43, "x"),
                             user_name=name, user_email=f"{name.split()[0].lower()}@example.org",
                             expires_at=utcnow())
    db.add(vs)
    db.flush()
    return vs


def _children(db: Session, vs: VerificationSession, n: int) -> None:
    res = Resource(session_id=vs.id, kind=ResourceKind.ID_DOCUMENT)
    db.add(res)
    db.flush()
    db.add(MediaItem(session_id=vs.id, resource_id=res.id, kind=MediaKind.DOCUMENT_FRONT,
                     storage_key=f"sessions/{vs.id}/doc{n}", content_type="image/jpeg"))
    db.add(Check(session_id=vs.id, resource_id=res.id, type="ID_DOCUMENT_AUTHENTICITY"))
    db.add(Task(session_id=vs.id, resource_id=res.id, type="ID_DOCUMENT_TEXT_DATA_EXTRACTION"))
    db.add(Decision(session_id=vs.id, value=DecisionValue.APPROVE))
    db.add(AuditEvent(action="capture.started", session_id=vs.id, application_id=vs.application_id,
                      target=f"session:{vs.id}"))
    db.flush()


def test_every_sqlite_table_says_autoincrement(sqlite_engine):
    """A table added later without {'sqlite_autoincrement': True} (models.NO_ID_REUSE) fails here."""
    with sqlite_engine.connect() as conn:
        sql = dict(conn.exec_driver_sql("SELECT name, sql FROM sqlite_master WHERE type = 'table'").fetchall())
    for table in SQLModel.metadata.sorted_tables:
        assert table.dialect_options["sqlite"]["autoincrement"], \
            f"{table.name}: add NO_ID_REUSE to __table_args__ (models.py)"
        assert "AUTOINCREMENT" in sql[table.name], f"{table.name}: its migration must create it with AUTOINCREMENT"


def test_a_deleted_sessions_id_is_never_given_to_the_next_session(db):
    app = Application(name="A")
    db.add(app)
    db.flush()
    first = _session(db, app.id, "Ada Lovelace")
    newest = _session(db, app.id, "Bea Deleted")
    _children(db, newest, 1)
    db.commit()
    deleted_id = newest.id
    media_id = db.exec(select(MediaItem.id).where(MediaItem.session_id == deleted_id)).one()
    db.exec(sa.delete(VerificationSession).where(VerificationSession.id == deleted_id))
    db.commit()
    assert db.exec(select(MediaItem).where(MediaItem.session_id == deleted_id)).all() == []
    nxt = _session(db, app.id, "Cid Next")
    _children(db, nxt, 2)
    db.commit()
    assert nxt.id > deleted_id > first.id
    assert db.exec(select(MediaItem.id).where(MediaItem.session_id == nxt.id)).one() > media_id
    # The audit trail of the new id is the new person's only.
    events = db.exec(select(AuditEvent).where(AuditEvent.session_id == nxt.id)).all()
    assert [e.target for e in events] == [f"session:{nxt.id}"]


def test_migrating_an_existing_sqlite_database_keeps_every_row_and_skips_deleted_ids(tmp_path):
    url = f"sqlite:///{tmp_path / 'old.db'}"
    upgrade(url, BEFORE)
    engine = make_engine(url)
    with Session(engine, expire_on_commit=False) as db:
        app = Application(name="Old")
        db.add(app)
        db.flush()
        kept = [_session(db, app.id, f"Kept {i}") for i in range(3)]
        for i, vs in enumerate(kept):
            _children(db, vs, i)
        gone = _session(db, app.id, "Gone Person")
        _children(db, gone, 9)
        db.commit()
        gone_id, gone_media = gone.id, db.exec(select(MediaItem.id).where(MediaItem.session_id == gone.id)).one()
        db.add(AuditEvent(action="media.deleted", session_id=gone_id, target=f"media:{gone_media}"))
        db.exec(sa.delete(VerificationSession).where(VerificationSession.id == gone_id))
        db.commit()

    def snapshot() -> tuple[dict[str, int], set]:
        with engine.connect() as conn:
            counts = {t.name: conn.execute(sa.select(sa.func.count()).select_from(t)).scalar_one()
                      for t in SQLModel.metadata.sorted_tables}
            indexes = set(conn.exec_driver_sql(
                "SELECT tbl_name, name, sql FROM sqlite_master WHERE type = 'index'").fetchall())
        return counts, indexes

    before = snapshot()
    assert before[0]["session_check"] == before[0]["media_item"] == 3
    # Without AUTOINCREMENT the next session would take the deleted one's id.
    with engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT MAX(id) + 1 FROM verification_session").scalar() == gone_id
    engine.dispose()

    upgrade(url)  # to head
    engine = make_engine(url)
    after = snapshot()
    assert after == before  # every row, every index (cascades did not fire while tables were recreated)
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall() == []
        sql = conn.exec_driver_sql("SELECT sql FROM sqlite_master WHERE name = 'media_item'").scalar()
        assert "AUTOINCREMENT" in sql and "ON DELETE CASCADE" in sql
    with Session(engine, expire_on_commit=False) as db:
        nxt = _session(db, app.id, "New Person")
        _children(db, nxt, 10)
        db.commit()
        assert nxt.id > gone_id
        assert db.exec(select(MediaItem.id).where(MediaItem.session_id == nxt.id)).one() > gone_media
        # Cascades still work after the tables were recreated.
        db.exec(sa.delete(VerificationSession).where(VerificationSession.id == kept[0].id))
        db.commit()
        assert db.exec(select(Check).where(Check.session_id == kept[0].id)).all() == []
    engine.dispose()
