"""payables finance: payables approved by buyers, financed early by banks, paid at maturity

Revision ID: 5c2e8b7d4f19
Revises: c5e2d7a9b814
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import tradeledger.store.base
import tradeledger.store.columns

revision = '5c2e8b7d4f19'
down_revision = 'c5e2d7a9b814'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('payables',
    sa.Column('payable_id', tradeledger.store.base.Uint256(length=78), nullable=False),
    sa.Column('invoice_id', tradeledger.store.base.Uint256(length=78), nullable=False),
    sa.Column('buyer', sa.String(length=42), nullable=False),
    sa.Column('supplier', sa.String(length=42), nullable=False),
    sa.Column('financier', sa.String(length=42), nullable=True),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('state', sa.Enum('NONE', 'APPROVED', 'FINANCED', 'OVERDUE', 'PAID', name='payablestate', native_enum=False, length=32), nullable=False),
    sa.Column('amount', tradeledger.store.base.Uint256(length=78), nullable=False),
    sa.Column('maturity', tradeledger.store.columns.Uint64(length=20), nullable=False),
    sa.Column('terms_hash', sa.String(length=66), nullable=False),
    sa.Column('document_id', tradeledger.store.base.Uint256(length=78), nullable=True),
    sa.Column('rate_bps', sa.Integer(), nullable=True),
    sa.Column('day_count', sa.Enum('ACT_360', 'ACT_365', name='daycountcode', native_enum=False, length=32), nullable=True),
    sa.Column('days_to_maturity', sa.Integer(), nullable=True),
    sa.Column('advance', tradeledger.store.base.Uint256(length=78), nullable=True),
    sa.Column('advance_entry_id', tradeledger.store.base.Uint256(length=78), nullable=True),
    sa.Column('financed_at', tradeledger.store.columns.Uint64(length=20), nullable=True),
    sa.Column('overdue_at', tradeledger.store.columns.Uint64(length=20), nullable=True),
    sa.Column('paid_at', tradeledger.store.columns.Uint64(length=20), nullable=True),
    sa.Column('payment_entry_id', tradeledger.store.base.Uint256(length=78), nullable=True),
    sa.Column('approved_at', tradeledger.store.base.UtcDateTime(timezone=True), nullable=False),
    sa.Column('block_number', sa.BigInteger(), nullable=False),
    sa.Column('tx_hash', sa.String(length=66), nullable=False),
    sa.Column('log_index', sa.Integer(), nullable=False),
    sa.Column('block_timestamp', tradeledger.store.base.UtcDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('payable_id', name=op.f('pk_payables'))
    )
    with op.batch_alter_table('payables', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_payables_buyer'), ['buyer'], unique=False)
        batch_op.create_index(batch_op.f('ix_payables_financier'), ['financier'], unique=False)
        batch_op.create_index(batch_op.f('ix_payables_invoice_id'), ['invoice_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_payables_maturity'), ['maturity'], unique=False)
        batch_op.create_index(batch_op.f('ix_payables_state'), ['state'], unique=False)
        batch_op.create_index(batch_op.f('ix_payables_supplier'), ['supplier'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('payables', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_payables_supplier'))
        batch_op.drop_index(batch_op.f('ix_payables_state'))
        batch_op.drop_index(batch_op.f('ix_payables_maturity'))
        batch_op.drop_index(batch_op.f('ix_payables_invoice_id'))
        batch_op.drop_index(batch_op.f('ix_payables_financier'))
        batch_op.drop_index(batch_op.f('ix_payables_buyer'))

    op.drop_table('payables')
