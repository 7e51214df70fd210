"""Ids are never handed out twice (issue 9): a new session never takes a deleted
session's id, so the audit trail of one id is one person's. SQLite tables say
AUTOINCREMENT (migration f0597d2b64e8); PostgreSQL's sequences never go back."""
from __future__ import annotations

import sqlite3
from pathlib import Path

import sqlalchemy as sa
from sqlmodel import Session, SQLModel, select

from identity_app.db import make_engine
from identity_app.migrations import upgrade
from identity_app.models import (
    Application, AuditEvent, Check, Decision, DecisionValue, MediaItem, MediaKind, Resource, ResourceKind, Task,
    VerificationSession, utcnow,
)

BEFORE = "c3f1a9e07d52"  # the last revision without AUTOINCREMENT
MIGRATION = "f0597d2b64e8"


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
        assert "AUTOINCREMENT" in sql.get(table.name, ""), \
            f"{table.name}: its migration must create it with sqlite_autoincrement=True"


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


def _insert(conn: sqlite3.Connection, table: str, **values) -> int:
    """A row written as the old schema wants it (raw SQL: today's models may have more columns)."""
    for _cid, name, type_, notnull, default, pk in conn.execute(f"PRAGMA table_info({table})").fetchall():
        if notnull and default is None and not pk and name not in values:
            values[name] = ("{}" if type_ == "JSON" else "2026-11-20 10:00:00.000000" if type_ == "DATETIME"
                            else 0 if type_ in ("INTEGER", "BOOLEAN", "FLOAT") else f"{table}-{name}")
    cur = conn.execute(f"INSERT INTO {table} ({', '.join(values)}) VALUES ({', '.join('?' * len(values))})",
                       tuple(values.values()))
    return int(cur.lastrowid)


def _old_session(conn: sqlite3.Connection, app_id: int, n: int) -> tuple[int, int]:
    sid = _insert(conn, "verification_session", application_id=app_id, token=f"token-{n}", state="ONGOING")
    res = _insert(conn, "resource", session_id=sid, kind="ID_DOCUMENT")
    media = _insert(conn, "media_item", session_id=sid, resource_id=res, kind="DOCUMENT_FRONT",
                    storage_key=f"sessions/{sid}/doc{n}")
    _insert(conn, "session_check", session_id=sid, resource_id=res, type="LIVENESS")
    _insert(conn, "task", session_id=sid, resource_id=res, type="ID_DOCUMENT_TEXT_DATA_EXTRACTION")
    _insert(conn, "decision", session_id=sid, value="APPROVE")
    _insert(conn, "audit_event", action="capture.started", session_id=sid, target=f"session:{sid}")
    return sid, media


def _snapshot(path: Path) -> tuple[dict[str, int], set]:
    with sqlite3.connect(path) as conn:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' "
                                             "AND name NOT IN ('sqlite_sequence', 'alembic_version')")]
        counts = {t: conn.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0] for t in tables}
        indexes = set(conn.execute("SELECT tbl_name, name, sql FROM sqlite_master WHERE type = 'index'"))
    return counts, indexes


def test_migrating_an_existing_sqlite_database_keeps_every_row_and_skips_deleted_ids(tmp_path):
    path = tmp_path / "old.db"
    url = f"sqlite:///{path}"
    upgrade(url, BEFORE)
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA foreign_keys=ON")
        app_id = _insert(conn, "application", name="Old")
        kept = [_old_session(conn, app_id, i)[0] for i in range(3)]
        gone_id, gone_media = _old_session(conn, app_id, 9)
        _insert(conn, "audit_event", action="media.deleted", session_id=gone_id, target=f"media:{gone_media}")
        conn.execute("DELETE FROM verification_session WHERE id = ?", (gone_id,))
        assert conn.execute("SELECT COUNT(*) FROM media_item").fetchone()[0] == 3  # cascaded
        # Without AUTOINCREMENT the next session would take the deleted one's id.
        assert conn.execute("SELECT MAX(id) + 1 FROM verification_session").fetchone()[0] == gone_id
    conn.close()
    before = _snapshot(path)

    upgrade(url, MIGRATION)
    # Every row and every index is still there (no cascade fired while the tables were recreated).
    assert _snapshot(path) == before
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
        sql = conn.execute("SELECT sql FROM sqlite_master WHERE name = 'media_item'").fetchone()[0]
        assert "AUTOINCREMENT" in sql and "ON DELETE CASCADE" in sql
    conn.close()

    upgrade(url)  # and on to head, where today's models apply
    engine = make_engine(url)
    with Session(engine, expire_on_commit=False) as db:
        nxt = _session(db, app_id, "New Person")
        _children(db, nxt, 10)
        db.commit()
        assert nxt.id > gone_id
        assert db.exec(select(MediaItem.id).where(MediaItem.session_id == nxt.id)).one() > gone_media
        # Cascades still work after the tables were recreated.
        db.exec(sa.delete(VerificationSession).where(VerificationSession.id == kept[0]))
        db.commit()
        assert db.exec(select(Check).where(Check.session_id == kept[0])).all() == []
    engine.dispose()
