"""liveness frame analysis stored with the frame

Revision ID: c3f1a9e07d52
Revises: 5e4c7a1d2b90
Create Date: 2026-11-25 21:50:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = 'c3f1a9e07d52'
down_revision: Union[str, Sequence[str], None] = '5e4c7a1d2b90'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table('media_item', schema=None) as batch_op:
        batch_op.add_column(sa.Column('analysis', sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('media_item', schema=None) as batch_op:
        batch_op.drop_column('analysis')
