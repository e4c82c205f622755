"""lc transfers and assignment of proceeds (UCP 600 Art 38, 39)

Revision ID: 7773c599d2b9
Revises: c5e2f8a41d93
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import tradeledger.store.base
import tradeledger.store.columns

revision = '7773c599d2b9'
down_revision = 'c5e2f8a41d93'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('lc_transfers',
    sa.Column('lc_id', tradeledger.store.base.Uint256(length=78), nullable=False),
    sa.Column('transfer_id', tradeledger.store.base.Uint256(length=78), nullable=False),
    sa.Column('second_beneficiary', sa.String(length=42), nullable=False),
    sa.Column('transferring_bank', sa.String(length=42), nullable=False),
    sa.Column('terms_hash', sa.String(length=66), nullable=False),
    sa.Column('amount', tradeledger.store.base.Uint256(length=78), nullable=False),
    sa.Column('expiry', tradeledger.store.columns.Uint64(length=20), nullable=False),
    sa.Column('latest_shipment', tradeledger.store.columns.Uint64(length=20), nullable=False),
    sa.Column('presentation_period_days', sa.Integer(), nullable=False),
    sa.Column('state', sa.Enum('NONE', 'REQUESTED', 'TRANSFERRED', 'DECLINED', name='transferstate', native_enum=False, length=32), nullable=False),
    sa.Column('presented', tradeledger.store.base.Uint256(length=78), nullable=False),
    sa.Column('block_number', sa.BigInteger(), nullable=False),
    sa.Column('tx_hash', sa.String(length=66), nullable=False),
    sa.Column('log_index', sa.Integer(), nullable=False),
    sa.Column('block_timestamp', tradeledger.store.base.UtcDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['lc_id'], ['letters_of_credit.lc_id'], name=op.f('fk_lc_transfers_lc_id_letters_of_credit')),
    sa.PrimaryKeyConstraint('lc_id', 'transfer_id', name=op.f('pk_lc_transfers'))
    )
    with op.batch_alter_table('lc_transfers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_lc_transfers_second_beneficiary'), ['second_beneficiary'], unique=False)
        batch_op.create_index(batch_op.f('ix_lc_transfers_state'), ['state'], unique=False)
        batch_op.create_index(batch_op.f('ix_lc_transfers_transferring_bank'), ['transferring_bank'], unique=False)

    op.create_table('lc_proceeds_legs',
    sa.Column('lc_id', tradeledger.store.base.Uint256(length=78), nullable=False),
    sa.Column('presentation_id', tradeledger.store.base.Uint256(length=78), nullable=False),
    sa.Column('kind', sa.Enum('SECOND_BENEFICIARY', 'ASSIGNEE', name='proceedslegkind', native_enum=False, length=32), nullable=False),
    sa.Column('payee', sa.String(length=42), nullable=False),
    sa.Column('amount', tradeledger.store.base.Uint256(length=78), nullable=False),
    sa.Column('entry_id', tradeledger.store.base.Uint256(length=78), nullable=True),
    sa.Column('block_number', sa.BigInteger(), nullable=False),
    sa.Column('tx_hash', sa.String(length=66), nullable=False),
    sa.Column('log_index', sa.Integer(), nullable=False),
    sa.Column('block_timestamp', tradeledger.store.base.UtcDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['lc_id', 'presentation_id'], ['lc_presentations.lc_id', 'lc_presentations.presentation_id'], name=op.f('fk_lc_proceeds_legs_lc_id_lc_presentations')),
    sa.PrimaryKeyConstraint('lc_id', 'presentation_id', 'kind', name=op.f('pk_lc_proceeds_legs')),
    sa.UniqueConstraint('entry_id', name=op.f('uq_lc_proceeds_legs_entry_id'))
    )
    with op.batch_alter_table('lc_proceeds_legs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_lc_proceeds_legs_payee'), ['payee'], unique=False)

    op.create_table('lc_transferred_presentations',
    sa.Column('lc_id', tradeledger.store.base.Uint256(length=78), nullable=False),
    sa.Column('transferred_presentation_id', tradeledger.store.base.Uint256(length=78), nullable=False),
    sa.Column('transfer_id', tradeledger.store.base.Uint256(length=78), nullable=False),
    sa.Column('second_beneficiary', sa.String(length=42), nullable=False),
    sa.Column('amount', tradeledger.store.base.Uint256(length=78), nullable=False),
    sa.Column('shipment_date', tradeledger.store.columns.Uint64(length=20), nullable=False),
    sa.Column('presented_at', tradeledger.store.columns.Uint64(length=20), nullable=False),
    sa.Column('substitution_deadline', tradeledger.store.columns.Uint64(length=20), nullable=True),
    sa.Column('state', sa.Enum('NONE', 'PRESENTED', 'DEMANDED', 'SUBSTITUTED', 'FORWARDED', name='transferredpresentationstate', native_enum=False, length=32), nullable=False),
    sa.Column('presentation_id', tradeledger.store.base.Uint256(length=78), nullable=True),
    sa.Column('block_number', sa.BigInteger(), nullable=False),
    sa.Column('tx_hash', sa.String(length=66), nullable=False),
    sa.Column('log_index', sa.Integer(), nullable=False),
    sa.Column('block_timestamp', tradeledger.store.base.UtcDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['lc_id', 'transfer_id'], ['lc_transfers.lc_id', 'lc_transfers.transfer_id'], name=op.f('fk_lc_transferred_presentations_lc_id_lc_transfers')),
    sa.PrimaryKeyConstraint('lc_id', 'transferred_presentation_id', name=op.f('pk_lc_transferred_presentations'))
    )
    with op.batch_alter_table('lc_transferred_presentations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_lc_transferred_presentations_second_beneficiary'), ['second_beneficiary'], unique=False)

    op.create_table('lc_transferred_documents',
    sa.Column('lc_id', tradeledger.store.base.Uint256(length=78), nullable=False),
    sa.Column('transferred_presentation_id', tradeledger.store.base.Uint256(length=78), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('document_hash', sa.String(length=66), nullable=False),
    sa.Column('block_number', sa.BigInteger(), nullable=False),
    sa.Column('tx_hash', sa.String(length=66), nullable=False),
    sa.Column('log_index', sa.Integer(), nullable=False),
    sa.Column('block_timestamp', tradeledger.store.base.UtcDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['lc_id', 'transferred_presentation_id'], ['lc_transferred_presentations.lc_id', 'lc_transferred_presentations.transferred_presentation_id'], name=op.f('fk_lc_transferred_documents_lc_id_lc_transferred_presentations')),
    sa.PrimaryKeyConstraint('lc_id', 'transferred_presentation_id', 'position', name=op.f('pk_lc_transferred_documents'))
    )
    with op.batch_alter_table('lc_transferred_documents', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_lc_transferred_documents_document_hash'), ['document_hash'], unique=False)

    with op.batch_alter_table('letters_of_credit', schema=None) as batch_op:
        batch_op.add_column(sa.Column('transferable', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column('assignee', sa.String(length=42), nullable=True))
        batch_op.add_column(sa.Column('assigned_share_bps', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_letters_of_credit_assignee'), ['assignee'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('letters_of_credit', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_letters_of_credit_assignee'))
        batch_op.drop_column('assigned_share_bps')
        batch_op.drop_column('assignee')
        batch_op.drop_column('transferable')

    with op.batch_alter_table('lc_transferred_documents', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_lc_transferred_documents_document_hash'))

    op.drop_table('lc_transferred_documents')
    with op.batch_alter_table('lc_transferred_presentations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_lc_transferred_presentations_second_beneficiary'))

    op.drop_table('lc_transferred_presentations')
    with op.batch_alter_table('lc_proceeds_legs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_lc_proceeds_legs_payee'))

    op.drop_table('lc_proceeds_legs')
    with op.batch_alter_table('lc_transfers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_lc_transfers_transferring_bank'))
        batch_op.drop_index(batch_op.f('ix_lc_transfers_state'))
        batch_op.drop_index(batch_op.f('ix_lc_transfers_second_beneficiary'))

    op.drop_table('lc_transfers')
