"""guessing limits and cookie sign-in

Revision ID: 7a2d41c9e3b8
Revises: f0597d2b64e8
Create Date: 2026-11-29 19:46:56.533163

- auth_failure: wrong passwords and codes per bucket (account from unknown
  browsers, account from one trusted browser, address), for growing pauses
  instead of a lockout (services/access/guessing.py). Replaces totp_failure, whose
  per-operator lockout let anyone with the password keep the operator out.
- trusted_device: browsers that completed a sign-in (hash of their cookie).
- sign_in_session.failed_codes: wrong codes given to one pending sign-in.
- sign_in_session.recovery_codes_enc: the codes made at enrolment, encrypted,
  until the page has shown them (they no longer pass through the UI state).
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel

import identity_app.models


# revision identifiers, used by Alembic.
revision: str = '7a2d41c9e3b8'
down_revision: Union[str, Sequence[str], None] = 'f0597d2b64e8'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table('auth_failure',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('bucket', sqlmodel.sql.sqltypes.AutoString(length=400), nullable=False),
    sa.Column('at', identity_app.models.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sqlite_autoincrement=True
    )
    with op.batch_alter_table('auth_failure', schema=None) as batch_op:
        batch_op.create_index('ix_auth_failure_bucket_at', ['bucket', 'at'], unique=False)

    op.create_table('trusted_device',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('operator_id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
    sa.Column('created_at', identity_app.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('last_used_at', identity_app.models.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['operator_id'], ['operator.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sqlite_autoincrement=True
    )
    with op.batch_alter_table('trusted_device', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_trusted_device_operator_id'), ['operator_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_trusted_device_token_hash'), ['token_hash'], unique=True)

    with op.batch_alter_table('totp_failure', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_totp_failure_at'))
        batch_op.drop_index(batch_op.f('ix_totp_failure_operator_id'))

    op.drop_table('totp_failure')
    with op.batch_alter_table('sign_in_session', schema=None) as batch_op:
        batch_op.add_column(sa.Column('failed_codes', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('recovery_codes_enc', sqlmodel.sql.sqltypes.AutoString(length=1024), nullable=True))



def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table('sign_in_session', schema=None) as batch_op:
        batch_op.drop_column('recovery_codes_enc')
        batch_op.drop_column('failed_codes')

    op.create_table('totp_failure',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('operator_id', sa.Integer(), nullable=False),
    sa.Column('at', identity_app.models.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['operator_id'], ['operator.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sqlite_autoincrement=True
    )
    with op.batch_alter_table('totp_failure', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_totp_failure_operator_id'), ['operator_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_totp_failure_at'), ['at'], unique=False)

    with op.batch_alter_table('trusted_device', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_trusted_device_token_hash'))
        batch_op.drop_index(batch_op.f('ix_trusted_device_operator_id'))

    op.drop_table('trusted_device')
    with op.batch_alter_table('auth_failure', schema=None) as batch_op:
        batch_op.drop_index('ix_auth_failure_bucket_at')

    op.drop_table('auth_failure')
