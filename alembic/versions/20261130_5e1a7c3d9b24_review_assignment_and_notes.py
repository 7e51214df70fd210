"""review assignment and notes

Revision ID: 5e1a7c3d9b24
Revises: 3b5a8add9c21
Create Date: 2026-11-30 03:10:00

The review queue's workbench (services/review/queue.py):
- review_assignment: who works on a check waiting for review (one at most per check).
- review_note: reviewers' notes on a check; they go with the check (and its session).
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel

import identity_app.models


# revision identifiers, used by Alembic.
revision: str = '5e1a7c3d9b24'
down_revision: Union[str, Sequence[str], None] = '3b5a8add9c21'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table('review_assignment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('check_id', sa.Integer(), nullable=False),
    sa.Column('assignee_id', sa.Integer(), nullable=True),
    sa.Column('assigned_at', identity_app.models.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['check_id'], ['session_check.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['assignee_id'], ['operator.id'], ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id'),
    sqlite_autoincrement=True
    )
    with op.batch_alter_table('review_assignment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_review_assignment_check_id'), ['check_id'], unique=True)

    op.create_table('review_note',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('check_id', sa.Integer(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=True),
    sa.Column('text', sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
    sa.Column('created_at', identity_app.models.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['check_id'], ['session_check.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['author_id'], ['operator.id'], ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id'),
    sqlite_autoincrement=True
    )
    with op.batch_alter_table('review_note', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_review_note_check_id'), ['check_id'], unique=False)


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table('review_note', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_review_note_check_id'))
    op.drop_table('review_note')
    with op.batch_alter_table('review_assignment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_review_assignment_check_id'))
    op.drop_table('review_assignment')
