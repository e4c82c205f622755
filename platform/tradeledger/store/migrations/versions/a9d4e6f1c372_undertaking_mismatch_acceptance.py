"""payment undertakings: the obligor bank's acceptance of a data mismatch (URBPO 750)

Revision ID: a9d4e6f1c372
Revises: 84275e4e4a0f
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import tradeledger.store.base
import tradeledger.store.columns

revision = 'a9d4e6f1c372'
down_revision = '84275e4e4a0f'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('payment_undertakings', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('mismatch_invoice_id', tradeledger.store.base.Uint256(length=78), nullable=True)
        )
        batch_op.add_column(
            sa.Column('mismatch_accepted_at', tradeledger.store.columns.Uint64(length=20), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table('payment_undertakings', schema=None) as batch_op:
        batch_op.drop_column('mismatch_accepted_at')
        batch_op.drop_column('mismatch_invoice_id')
