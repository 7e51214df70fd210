"""document evidence media kinds

Revision ID: 9d3e5b7c1a42
Revises: 5e1a7c3d9b24
Create Date: 2026-11-30 03:05:00

MediaKind gains MRZ_CROP, PORTRAIT_CROP and DOCUMENT_CORRECTED: the evidence the
worker keeps when it checks a document (issue 12). PostgreSQL stores the kind as
its enum type `mediakind`, which needs the values added; SQLite stores the name
as VARCHAR as long as the longest name, which DOCUMENT_CORRECTED makes 18: the
table is recreated (batch) with AUTOINCREMENT kept and its sequence restored, so
ids deleted before stay unused (see f0597d2b64e8).

Downgrade deletes the rows of those kinds (their stored objects are left for the
media store's session prefix deletion) and rebuilds the column or type without
the values.
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa

revision: str = '9d3e5b7c1a42'
down_revision: Union[str, Sequence[str], None] = '5e1a7c3d9b24'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

NEW = ('MRZ_CROP', 'PORTRAIT_CROP', 'DOCUMENT_CORRECTED')
OLD = ('DOCUMENT_FRONT', 'DOCUMENT_BACK', 'SELFIE', 'LIVENESS_FRAME', 'APPLICATION_LOGO')


def _sqlite_kind_column(old: tuple[str, ...], new: tuple[str, ...]) -> None:
    bind = op.get_bind()
    seq = bind.exec_driver_sql("SELECT seq FROM sqlite_sequence WHERE name = 'media_item'").scalar()
    with op.batch_alter_table('media_item', recreate='always', table_kwargs={'sqlite_autoincrement': True}) as b:
        b.alter_column('kind', existing_type=sa.Enum(*old, name='mediakind'), type_=sa.Enum(*new, name='mediakind'),
                       existing_nullable=False)
    if seq is not None:
        bind.exec_driver_sql("DELETE FROM sqlite_sequence WHERE name = 'media_item'")
        bind.exec_driver_sql("INSERT INTO sqlite_sequence (name, seq) VALUES ('media_item', ?)", (seq,))


def upgrade() -> None:
    if op.get_bind().dialect.name == 'sqlite':
        _sqlite_kind_column(OLD, OLD + NEW)
        return
    if op.get_bind().dialect.name != 'postgresql':
        return
    with op.get_context().autocommit_block():  # ADD VALUE cannot run in a transaction before PostgreSQL 12
        for value in NEW:
            op.execute(f"ALTER TYPE mediakind ADD VALUE IF NOT EXISTS '{value}'")


def downgrade() -> None:
    values = ", ".join(f"'{v}'" for v in NEW)
    op.execute(f"DELETE FROM media_item WHERE kind IN ({values})")
    if op.get_bind().dialect.name == 'sqlite':
        _sqlite_kind_column(OLD + NEW, OLD)
        return
    if op.get_bind().dialect.name != 'postgresql':
        return
    old = ", ".join(f"'{v}'" for v in OLD)
    op.execute("ALTER TYPE mediakind RENAME TO mediakind_old")
    op.execute(f"CREATE TYPE mediakind AS ENUM ({old})")
    op.execute("ALTER TABLE media_item ALTER COLUMN kind TYPE mediakind USING kind::text::mediakind")
    op.execute("DROP TYPE mediakind_old")
