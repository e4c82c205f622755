"""lc presentations carry a transferable record (title against payment, issue #18)

Revision ID: 84275e4e4a0f
Revises: a1f6c3d9e207
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import tradeledger.store.base

revision = '84275e4e4a0f'
down_revision = 'a1f6c3d9e207'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('lc_presentations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('record_id', tradeledger.store.base.Uint256(length=78), nullable=True))
        batch_op.create_index(batch_op.f('ix_lc_presentations_record_id'), ['record_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('lc_presentations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_lc_presentations_record_id'))
        batch_op.drop_column('record_id')
