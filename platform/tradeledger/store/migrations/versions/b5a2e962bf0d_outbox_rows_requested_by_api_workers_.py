"""outbox rows requested by API workers, signed by the engine

Revision ID: b5a2e962bf0d
Revises: 03f38a62b0ec
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = 'b5a2e962bf0d'
down_revision = '03f38a62b0ec'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('chain_transactions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('calldata', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('call_index', sa.Integer(), server_default='0', nullable=False))
        batch_op.alter_column('nonce',
               existing_type=sa.BIGINT(),
               nullable=True)
        batch_op.alter_column('raw_tx',
               existing_type=sa.TEXT(),
               nullable=True)
        batch_op.alter_column('tx_hash',
               existing_type=sa.VARCHAR(length=66),
               nullable=True)


def downgrade() -> None:
    with op.batch_alter_table('chain_transactions', schema=None) as batch_op:
        batch_op.alter_column('tx_hash',
               existing_type=sa.VARCHAR(length=66),
               nullable=False)
        batch_op.alter_column('raw_tx',
               existing_type=sa.TEXT(),
               nullable=False)
        batch_op.alter_column('nonce',
               existing_type=sa.BIGINT(),
               nullable=False)
        batch_op.drop_column('call_index')
        batch_op.drop_column('calldata')
