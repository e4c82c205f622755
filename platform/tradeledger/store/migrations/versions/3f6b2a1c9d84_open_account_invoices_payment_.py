"""open account: invoices, payment undertakings, scheduled runs

Revision ID: 3f6b2a1c9d84
Revises: f3b81d6e0a47
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import tradeledger.store.base
import tradeledger.store.columns

revision = '3f6b2a1c9d84'
down_revision = 'f3b81d6e0a47'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('invoices',
    sa.Column('invoice_id', tradeledger.store.base.Uint256(length=78), nullable=False),
    sa.Column('order_id', tradeledger.store.base.Uint256(length=78), nullable=False),
    sa.Column('seller', sa.String(length=42), nullable=False),
    sa.Column('buyer', sa.String(length=42), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('state', sa.Enum('NONE', 'ISSUED', 'MATCHED', 'MISMATCHED', 'ACCEPTED', 'SUPERSEDED', name='invoicestate', native_enum=False, length=32), nullable=False),
    sa.Column('version', sa.BigInteger(), nullable=False),
    sa.Column('issue_date', tradeledger.store.columns.Uint64(length=20), nullable=False),
    sa.Column('matched_at', tradeledger.store.columns.Uint64(length=20), nullable=True),
    sa.Column('amount', tradeledger.store.base.Uint256(length=78), nullable=False),
    sa.Column('quantity_total', tradeledger.store.base.Uint256(length=78), nullable=False),
    sa.Column('invoice_hash', sa.String(length=66), nullable=False),
    sa.Column('lines_hash', sa.String(length=66), nullable=False),
    sa.Column('match_report_hash', sa.String(length=66), nullable=True),
    sa.Column('match_recorded_by', sa.String(length=42), nullable=True),
    sa.Column('supersedes', tradeledger.store.base.Uint256(length=78), nullable=True),
    sa.Column('superseded_by', tradeledger.store.base.Uint256(length=78), nullable=True),
    sa.Column('created_at', tradeledger.store.base.UtcDateTime(timezone=True), nullable=False),
    sa.Column('block_number', sa.BigInteger(), nullable=False),
    sa.Column('tx_hash', sa.String(length=66), nullable=False),
    sa.Column('log_index', sa.Integer(), nullable=False),
    sa.Column('block_timestamp', tradeledger.store.base.UtcDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('invoice_id', name=op.f('pk_invoices'))
    )
    with op.batch_alter_table('invoices', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_invoices_buyer'), ['buyer'], unique=False)
        batch_op.create_index(batch_op.f('ix_invoices_order_id'), ['order_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_invoices_seller'), ['seller'], unique=False)
        batch_op.create_index(batch_op.f('ix_invoices_state'), ['state'], unique=False)

    op.create_table('payment_undertakings',
    sa.Column('undertaking_id', tradeledger.store.base.Uint256(length=78), nullable=False),
    sa.Column('order_id', tradeledger.store.base.Uint256(length=78), nullable=False),
    sa.Column('obligor_bank', sa.String(length=42), nullable=False),
    sa.Column('recipient_bank', sa.String(length=42), nullable=False),
    sa.Column('buyer', sa.String(length=42), nullable=False),
    sa.Column('seller', sa.String(length=42), nullable=False),
    sa.Column('payee', sa.String(length=42), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('state', sa.Enum('NONE', 'ESTABLISHED', 'SETTLED', 'EXPIRED', name='undertakingstate', native_enum=False, length=32), nullable=False),
    sa.Column('amendment_count', sa.BigInteger(), nullable=False),
    sa.Column('due_date', tradeledger.store.columns.Uint64(length=20), nullable=False),
    sa.Column('expiry', tradeledger.store.columns.Uint64(length=20), nullable=False),
    sa.Column('settled_at', tradeledger.store.columns.Uint64(length=20), nullable=True),
    sa.Column('amount', tradeledger.store.base.Uint256(length=78), nullable=False),
    sa.Column('terms_hash', sa.String(length=66), nullable=False),
    sa.Column('financed_document_id', tradeledger.store.base.Uint256(length=78), nullable=True),
    sa.Column('payment_entry_id', tradeledger.store.base.Uint256(length=78), nullable=True),
    sa.Column('credit_entry_id', tradeledger.store.base.Uint256(length=78), nullable=True),
    sa.Column('pending_proposer', sa.String(length=42), nullable=True),
    sa.Column('pending_amount', tradeledger.store.base.Uint256(length=78), nullable=True),
    sa.Column('pending_due_date', tradeledger.store.columns.Uint64(length=20), nullable=True),
    sa.Column('pending_expiry', tradeledger.store.columns.Uint64(length=20), nullable=True),
    sa.Column('created_at', tradeledger.store.base.UtcDateTime(timezone=True), nullable=False),
    sa.Column('block_number', sa.BigInteger(), nullable=False),
    sa.Column('tx_hash', sa.String(length=66), nullable=False),
    sa.Column('log_index', sa.Integer(), nullable=False),
    sa.Column('block_timestamp', tradeledger.store.base.UtcDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('undertaking_id', name=op.f('pk_payment_undertakings'))
    )
    with op.batch_alter_table('payment_undertakings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_payment_undertakings_buyer'), ['buyer'], unique=False)
        batch_op.create_index(batch_op.f('ix_payment_undertakings_due_date'), ['due_date'], unique=False)
        batch_op.create_index(batch_op.f('ix_payment_undertakings_obligor_bank'), ['obligor_bank'], unique=False)
        batch_op.create_index(batch_op.f('ix_payment_undertakings_order_id'), ['order_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_payment_undertakings_payee'), ['payee'], unique=False)
        batch_op.create_index(batch_op.f('ix_payment_undertakings_recipient_bank'), ['recipient_bank'], unique=False)
        batch_op.create_index(batch_op.f('ix_payment_undertakings_seller'), ['seller'], unique=False)
        batch_op.create_index(batch_op.f('ix_payment_undertakings_state'), ['state'], unique=False)

    op.create_table('scheduled_runs',
    sa.Column('key', sa.String(length=200), nullable=False),
    sa.Column('provider', sa.String(length=64), nullable=False),
    sa.Column('due_at', tradeledger.store.columns.Uint64(length=20), nullable=False),
    sa.Column('chain_time', tradeledger.store.columns.Uint64(length=20), nullable=False),
    sa.Column('transaction_id', sa.String(length=36), nullable=False),
    sa.Column('submitted_at', tradeledger.store.base.UtcDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['transaction_id'], ['chain_transactions.id'], name=op.f('fk_scheduled_runs_transaction_id_chain_transactions')),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_scheduled_runs'))
    )
    with op.batch_alter_table('scheduled_runs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_scheduled_runs_provider'), ['provider'], unique=False)
        batch_op.create_index(batch_op.f('ix_scheduled_runs_transaction_id'), ['transaction_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('scheduled_runs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_scheduled_runs_transaction_id'))
        batch_op.drop_index(batch_op.f('ix_scheduled_runs_provider'))

    op.drop_table('scheduled_runs')
    with op.batch_alter_table('payment_undertakings', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_payment_undertakings_state'))
        batch_op.drop_index(batch_op.f('ix_payment_undertakings_seller'))
        batch_op.drop_index(batch_op.f('ix_payment_undertakings_recipient_bank'))
        batch_op.drop_index(batch_op.f('ix_payment_undertakings_payee'))
        batch_op.drop_index(batch_op.f('ix_payment_undertakings_order_id'))
        batch_op.drop_index(batch_op.f('ix_payment_undertakings_obligor_bank'))
        batch_op.drop_index(batch_op.f('ix_payment_undertakings_due_date'))
        batch_op.drop_index(batch_op.f('ix_payment_undertakings_buyer'))

    op.drop_table('payment_undertakings')
    with op.batch_alter_table('invoices', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_invoices_state'))
        batch_op.drop_index(batch_op.f('ix_invoices_seller'))
        batch_op.drop_index(batch_op.f('ix_invoices_order_id'))
        batch_op.drop_index(batch_op.f('ix_invoices_buyer'))

    op.drop_table('invoices')
