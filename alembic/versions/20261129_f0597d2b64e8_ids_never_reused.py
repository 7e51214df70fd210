"""ids never reused: AUTOINCREMENT on every SQLite table

Revision ID: f0597d2b64e8
Revises: c3f1a9e07d52
Create Date: 2026-11-29 19:45:00

Without AUTOINCREMENT SQLite gives a new row the largest id + 1, so the next
session after deleting the newest one took the deleted session's id, and the
audit events kept for the deleted person (session_id, "session:<id>") then
read as the new person's. With AUTOINCREMENT an id is never handed out twice
(sqlite_sequence remembers the largest ever used).

SQLite cannot add AUTOINCREMENT to a table: each table is recreated (batch,
recreate="always", rows copied with their ids; alembic/env.py turns foreign
keys off while migrating so dropping the old table cascades nothing). Ids
deleted before this migration are then kept out of use too: each table's
sequence starts above the largest id the audit trail still names.

PostgreSQL needs nothing: its sequences never hand out an id twice.
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa

revision: str = 'f0597d2b64e8'
down_revision: Union[str, Sequence[str], None] = 'c3f1a9e07d52'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

# Parents before children.
TABLES = (
    'operator', 'recovery_code', 'sign_in_session', 'totp_failure', 'application', 'membership', 'invitation',
    'verification_session', 'resource', 'media_item', 'session_check', 'task', 'decision', 'audit_event',
)

# Where the audit trail names ids of rows that may be gone: table -> (audit_event column, target prefix).
AUDIT_REFERENCES = {
    'verification_session': ('session_id', 'session:'),
    'application': ('application_id', None),
    'operator': ('operator_id', 'operator:'),
    'media_item': (None, 'media:'),
    'session_check': (None, 'check:'),
    'decision': (None, 'decision:'),
    'invitation': (None, 'invitation:'),
}


def _largest_referenced_id(bind: sa.engine.Connection, column: str | None, prefix: str | None) -> int:
    largest = 0
    if column:
        largest = bind.exec_driver_sql(f'SELECT COALESCE(MAX({column}), 0) FROM audit_event').scalar() or 0
    if prefix:
        found = bind.exec_driver_sql(
            'SELECT COALESCE(MAX(CAST(substr(target, ?) AS INTEGER)), 0) FROM audit_event '
            "WHERE target LIKE ? AND substr(target, ?) GLOB '[0-9]*'",
            (len(prefix) + 1, prefix + '%', len(prefix) + 1)).scalar() or 0
        largest = max(largest, found)
    return int(largest)


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != 'sqlite':
        return
    for name in TABLES:
        with op.batch_alter_table(name, recreate='always', table_kwargs={'sqlite_autoincrement': True}):
            pass
    # Copying the rows set each sequence to the largest id still present; deleted ids above it
    # (the newest sessions deleted before this migration) stay unused too.
    for table, (column, prefix) in AUDIT_REFERENCES.items():
        largest = _largest_referenced_id(bind, column, prefix)
        if not largest:
            continue
        current = bind.exec_driver_sql('SELECT seq FROM sqlite_sequence WHERE name = ?', (table,)).scalar()
        if current is None:
            bind.exec_driver_sql('INSERT INTO sqlite_sequence (name, seq) VALUES (?, ?)', (table, largest))
        elif current < largest:
            bind.exec_driver_sql('UPDATE sqlite_sequence SET seq = ? WHERE name = ?', (largest, table))


def downgrade() -> None:
    if op.get_bind().dialect.name != 'sqlite':
        return
    for name in reversed(TABLES):
        # Reflection does not carry AUTOINCREMENT over: the copy is a plain rowid table again.
        with op.batch_alter_table(name, recreate='always'):
            pass
