"""session search indexes

Revision ID: 5e4c7a1d2b90
Revises: 8bc87980b1c3
Create Date: 2026-11-25 19:20:00

The sessions list stays fast at 100,000 sessions (measured with
`python -m identity_app.cli bench search`):
- a covering index (application_id, created_at, id, state, decision, search_text):
  SQLite evaluates the part-of-word search on this compact index instead of
  reading every wide row (JSON snapshot included);
- (application_id, user_name, created_at, id) and (application_id, decision,
  created_at) for the name order and the decision filter;
- PostgreSQL only: pg_trgm and a GIN trigram index on search_text, which serves
  `search_text LIKE '%x%'`.
"""
from typing import Sequence, Union

from alembic import op

revision: str = '5e4c7a1d2b90'
down_revision: Union[str, Sequence[str], None] = '8bc87980b1c3'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table('verification_session', schema=None) as batch_op:
        batch_op.create_index('ix_vs_app_search', ['application_id', 'created_at', 'id', 'state', 'decision',
                                                   'search_text'], unique=False)
        batch_op.create_index('ix_vs_app_name', ['application_id', 'user_name', 'created_at', 'id'], unique=False)
        batch_op.create_index('ix_vs_app_decision_created', ['application_id', 'decision', 'created_at'],
                              unique=False)
    if op.get_bind().dialect.name == 'postgresql':
        op.execute('CREATE EXTENSION IF NOT EXISTS pg_trgm')
        op.execute('CREATE INDEX IF NOT EXISTS ix_vs_search_trgm ON verification_session '
                   'USING gin (search_text gin_trgm_ops)')


def downgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        op.execute('DROP INDEX IF EXISTS ix_vs_search_trgm')
    with op.batch_alter_table('verification_session', schema=None) as batch_op:
        batch_op.drop_index('ix_vs_app_decision_created')
        batch_op.drop_index('ix_vs_app_name')
        batch_op.drop_index('ix_vs_app_search')
