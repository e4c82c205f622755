"""purchase orders: the live bank payment undertaking that covers an open-account order (TradeOrders refuses
payOrder and cancellation meanwhile)

Revision ID: c5e2d7a9b814
Revises: a9d4e6f1c372
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import tradeledger.store.base

revision = 'c5e2d7a9b814'
down_revision = 'a9d4e6f1c372'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('purchase_orders', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('covering_undertaking_id', tradeledger.store.base.Uint256(length=78), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table('purchase_orders', schema=None) as batch_op:
        batch_op.drop_column('covering_undertaking_id')
