"""undertakings: reduction schedules (URDG 25(a)(ii), ISP98 2.06)

Revision ID: 03f38a62b0ec
Revises: 7773c599d2b9
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import tradeledger.store.base
import tradeledger.store.columns

revision = '03f38a62b0ec'
down_revision = '7773c599d2b9'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('undertaking_reduction_steps',
    sa.Column('undertaking_id', tradeledger.store.base.Uint256(length=78), nullable=False),
    sa.Column('step', sa.Integer(), nullable=False),
    sa.Column('day', tradeledger.store.columns.Uint64(length=20), nullable=False),
    sa.Column('amount', tradeledger.store.base.Uint256(length=78), nullable=False),
    sa.Column('recorded_at', tradeledger.store.columns.Uint64(length=20), nullable=True),
    sa.Column('block_number', sa.BigInteger(), nullable=False),
    sa.Column('tx_hash', sa.String(length=66), nullable=False),
    sa.Column('log_index', sa.Integer(), nullable=False),
    sa.Column('block_timestamp', tradeledger.store.base.UtcDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['undertaking_id'], ['undertakings.undertaking_id'], name=op.f('fk_undertaking_reduction_steps_undertaking_id_undertakings')),
    sa.PrimaryKeyConstraint('undertaking_id', 'step', name=op.f('pk_undertaking_reduction_steps'))
    )
    with op.batch_alter_table('undertaking_reduction_steps', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_undertaking_reduction_steps_day'), ['day'], unique=False)

    # Undertakings indexed before the column existed stated no reduction schedule: none of it is recorded.
    with op.batch_alter_table('undertakings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reductions_recorded', sa.Integer(), nullable=False, server_default='0'))


def downgrade() -> None:
    with op.batch_alter_table('undertakings', schema=None) as batch_op:
        batch_op.drop_column('reductions_recorded')

    with op.batch_alter_table('undertaking_reduction_steps', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_undertaking_reduction_steps_day'))

    op.drop_table('undertaking_reduction_steps')
