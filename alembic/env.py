"""Alembic environment: the URL comes from the app settings (or -x url=...)."""
from __future__ import annotations

from alembic import context
from sqlmodel import SQLModel

import identity_app.models  # noqa: F401  (registers every table)
from identity_app.db import make_engine

config = context.config


def database_url() -> str:
    url = config.attributes.get("url") or context.get_x_argument(as_dictionary=True).get("url")
    if url:
        return url
    from identity_app.settings import get_settings

    return get_settings().database_url


def run_migrations() -> None:
    url = database_url()
    if context.is_offline_mode():
        context.configure(url=url, target_metadata=SQLModel.metadata, literal_binds=True,
                          render_as_batch=url.startswith("sqlite"))
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = make_engine(url)
    with engine.connect() as connection:
        sqlite = url.startswith("sqlite")
        if sqlite:
            # A batch migration recreates a table and drops the old one; with foreign keys on,
            # that DROP would first delete every child row (ON DELETE CASCADE). The pragma cannot
            # change inside a transaction, so it is set before; the keys are checked after.
            connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
            connection.commit()
        context.configure(
            connection=connection,
            target_metadata=SQLModel.metadata,
            render_as_batch=sqlite,  # SQLite alters tables by copy
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()
        if sqlite:
            broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
            connection.rollback()
            if broken:
                raise RuntimeError(f"foreign keys broken after migrating: {broken[:10]}")
    engine.dispose()


run_migrations()
