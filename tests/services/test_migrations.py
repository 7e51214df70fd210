"""The committed migrations build the same schema as the models, from zero."""
from __future__ import annotations

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlmodel import SQLModel

import identity_app.models  # noqa: F401


def test_migrated_schema_matches_the_models(engine):
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), SQLModel.metadata)
    # Index differences from database-specific extras (e.g. trigram indexes) are allowed.
    relevant = [d for d in diff if d[0] not in ("add_index", "remove_index")]
    assert relevant == []
    tables = set(sa.inspect(engine).get_table_names())
    assert {"operator", "application", "verification_session", "session_check", "audit_event"} <= tables


def test_deleting_a_session_cascades_in_the_database(db):
    from identity_app.models import Application, Check, MediaItem, MediaKind, VerificationSession, utcnow

    app = Application(name="A")
    db.add(app)
    db.flush()
    vs = VerificationSession(application_id=app.id, token="t" * 43, user_name="n", user_email="e@x.io",
                             expires_at=utcnow())
    db.add(vs)
    db.flush()
    db.add(Check(session_id=vs.id, type="LIVENESS"))
    db.add(MediaItem(session_id=vs.id, kind=MediaKind.SELFIE, storage_key="sessions/1/abc", content_type="image/jpeg"))
    db.commit()
    db.execute(sa.delete(VerificationSession).where(VerificationSession.id == vs.id))
    db.commit()
    assert db.exec(sa.select(sa.func.count()).select_from(Check)).one()[0] == 0
    assert db.exec(sa.select(sa.func.count()).select_from(MediaItem)).one()[0] == 0
