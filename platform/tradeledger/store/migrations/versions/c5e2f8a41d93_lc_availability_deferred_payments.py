"""letters of credit: availability and tenor (Art 6b); deferred payment undertakings and acceptances (Art 7a, 12b)

Revision ID: c5e2f8a41d93
Revises: e8b4d2c7a615
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import tradeledger.store.base
import tradeledger.store.columns

revision = 'c5e2f8a41d93'
down_revision = 'e8b4d2c7a615'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('letters_of_credit', schema=None) as batch_op:
        batch_op.add_column(sa.Column('availability', sa.Enum('SIGHT_PAYMENT', 'DEFERRED_PAYMENT', 'ACCEPTANCE', 'NEGOTIATION', name='availability', native_enum=False, length=32), nullable=False, server_default='SIGHT_PAYMENT'))
        batch_op.add_column(sa.Column('tenor_days', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('tenor_basis', sa.Enum('PRESENTATION', 'SHIPMENT', name='tenorbasis', native_enum=False, length=32), nullable=False, server_default='PRESENTATION'))

    op.create_table('lc_deferred_payments',
    sa.Column('lc_id', tradeledger.store.base.Uint256(length=78), nullable=False),
    sa.Column('presentation_id', tradeledger.store.base.Uint256(length=78), nullable=False),
    sa.Column('obligor', sa.String(length=42), nullable=False),
    sa.Column('beneficiary', sa.String(length=42), nullable=False),
    sa.Column('amount', tradeledger.store.base.Uint256(length=78), nullable=False),
    sa.Column('maturity_day', tradeledger.store.columns.Uint64(length=20), nullable=False),
    sa.Column('state', sa.Enum('NONE', 'INCURRED', 'PREPAID', 'PAID', name='deferredstate', native_enum=False, length=32), nullable=False),
    sa.Column('discount', tradeledger.store.base.Uint256(length=78), nullable=False),
    sa.Column('entry_id', tradeledger.store.base.Uint256(length=78), nullable=True),
    sa.Column('incurred_at', tradeledger.store.columns.Uint64(length=20), nullable=False),
    sa.Column('block_number', sa.BigInteger(), nullable=False),
    sa.Column('tx_hash', sa.String(length=66), nullable=False),
    sa.Column('log_index', sa.Integer(), nullable=False),
    sa.Column('block_timestamp', tradeledger.store.base.UtcDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['lc_id', 'presentation_id'], ['lc_presentations.lc_id', 'lc_presentations.presentation_id'], name=op.f('fk_lc_deferred_payments_lc_id_lc_presentations')),
    sa.PrimaryKeyConstraint('lc_id', 'presentation_id', name=op.f('pk_lc_deferred_payments')),
    sa.UniqueConstraint('entry_id', name=op.f('uq_lc_deferred_payments_entry_id'))
    )
    with op.batch_alter_table('lc_deferred_payments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_lc_deferred_payments_beneficiary'), ['beneficiary'], unique=False)
        batch_op.create_index(batch_op.f('ix_lc_deferred_payments_maturity_day'), ['maturity_day'], unique=False)
        batch_op.create_index(batch_op.f('ix_lc_deferred_payments_obligor'), ['obligor'], unique=False)
        batch_op.create_index(batch_op.f('ix_lc_deferred_payments_state'), ['state'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('lc_deferred_payments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_lc_deferred_payments_state'))
        batch_op.drop_index(batch_op.f('ix_lc_deferred_payments_obligor'))
        batch_op.drop_index(batch_op.f('ix_lc_deferred_payments_maturity_day'))
        batch_op.drop_index(batch_op.f('ix_lc_deferred_payments_beneficiary'))

    op.drop_table('lc_deferred_payments')

    with op.batch_alter_table('letters_of_credit', schema=None) as batch_op:
        batch_op.drop_column('tenor_basis')
        batch_op.drop_column('tenor_days')
        batch_op.drop_column('availability')
