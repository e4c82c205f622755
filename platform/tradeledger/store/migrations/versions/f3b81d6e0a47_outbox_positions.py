"""outbox rows remember where the chain mined them: lost blocks are re-sent in their original order

Revision ID: f3b81d6e0a47
Revises: 5d205705c223
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = 'f3b81d6e0a47'
down_revision = '5d205705c223'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('chain_transactions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('tx_index', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('lost_block', sa.BigInteger(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('chain_transactions', schema=None) as batch_op:
        batch_op.drop_column('lost_block')
        batch_op.drop_column('tx_index')
