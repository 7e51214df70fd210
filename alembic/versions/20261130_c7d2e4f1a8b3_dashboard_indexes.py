"""dashboard indexes

Revision ID: c7d2e4f1a8b3
Revises: a41f0c9e5d17
Create Date: 2026-11-30 03:05:00

The application dashboard (services/sessions/stats.py) aggregates in SQL over
indexes that hold every column it reads, so neither database reads the wide
session rows (JSON snapshot, device) nor the check reports:
- (application_id, created_at, state, started_at, consent_at,
  capture_finished_at, id): sessions created per day and the funnel;
- (application_id, completed_at, created_at, started_at): completed per day
  and the time to complete;
- (application_id, state, expires_at): expired per day;
- session_check (session_id, state, type, recommendation): pass rates.
Measured with `python -m identity_app.cli bench dashboard` at 100,000 sessions.
"""
from typing import Sequence, Union

from alembic import op

revision: str = 'c7d2e4f1a8b3'
down_revision: Union[str, Sequence[str], None] = 'a41f0c9e5d17'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_index('ix_vs_app_funnel', 'verification_session',
                    ['application_id', 'created_at', 'state', 'started_at', 'consent_at', 'capture_finished_at',
                     'id'], unique=False)
    op.create_index('ix_vs_app_completed', 'verification_session',
                    ['application_id', 'completed_at', 'created_at', 'started_at'], unique=False)
    op.create_index('ix_vs_app_state_expires', 'verification_session', ['application_id', 'state', 'expires_at'],
                    unique=False)
    op.create_index('ix_check_session_results', 'session_check', ['session_id', 'state', 'type', 'recommendation'],
                    unique=False)


def downgrade() -> None:
    op.drop_index('ix_check_session_results', table_name='session_check')
    op.drop_index('ix_vs_app_state_expires', table_name='verification_session')
    op.drop_index('ix_vs_app_completed', table_name='verification_session')
    op.drop_index('ix_vs_app_funnel', table_name='verification_session')
