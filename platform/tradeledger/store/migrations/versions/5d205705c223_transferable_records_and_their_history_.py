"""transferable records and their history of control

Revision ID: 5d205705c223
Revises: e4a7c19b2d50
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import tradeledger.store.base
import tradeledger.store.columns

revision = '5d205705c223'
down_revision = 'e4a7c19b2d50'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('record_control_changes',
    sa.Column('block_number', sa.BigInteger(), nullable=False),
    sa.Column('log_index', sa.Integer(), nullable=False),
    sa.Column('tx_hash', sa.String(length=66), nullable=False),
    sa.Column('block_timestamp', tradeledger.store.base.UtcDateTime(timezone=True), nullable=False),
    sa.Column('record_id', tradeledger.store.base.Uint256(length=78), nullable=False),
    sa.Column('action', sa.String(length=32), nullable=False),
    sa.Column('previous_controller', sa.String(length=42), nullable=True),
    sa.Column('controller', sa.String(length=42), nullable=False),
    sa.Column('holder', sa.String(length=42), nullable=False),
    sa.Column('state', sa.Enum('NONE', 'HELD', 'PLEDGED', 'ESCROWED', 'SURRENDERED', 'VOID', name='recordstate', native_enum=False, length=32), nullable=False),
    sa.PrimaryKeyConstraint('block_number', 'log_index', name=op.f('pk_record_control_changes'))
    )
    with op.batch_alter_table('record_control_changes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_record_control_changes_controller'), ['controller'], unique=False)
        batch_op.create_index(batch_op.f('ix_record_control_changes_holder'), ['holder'], unique=False)
        batch_op.create_index(batch_op.f('ix_record_control_changes_previous_controller'), ['previous_controller'], unique=False)
        batch_op.create_index(batch_op.f('ix_record_control_changes_record_id'), ['record_id'], unique=False)

    op.create_table('transferable_records',
    sa.Column('record_id', tradeledger.store.base.Uint256(length=78), nullable=False),
    sa.Column('issuer', sa.String(length=42), nullable=False),
    sa.Column('holder', sa.String(length=42), nullable=False),
    sa.Column('controller', sa.String(length=42), nullable=False),
    sa.Column('kind', sa.Enum('BILL_OF_LADING', 'WAREHOUSE_RECEIPT', 'PROMISSORY_NOTE', 'OTHER', name='recordkind', native_enum=False, length=32), nullable=False),
    sa.Column('state', sa.Enum('NONE', 'HELD', 'PLEDGED', 'ESCROWED', 'SURRENDERED', 'VOID', name='recordstate', native_enum=False, length=32), nullable=False),
    sa.Column('to_order', sa.Boolean(), nullable=False),
    sa.Column('blank_endorsed', sa.Boolean(), nullable=False),
    sa.Column('endorsements', sa.Integer(), nullable=False),
    sa.Column('document_hash', sa.String(length=66), nullable=False),
    sa.Column('escrow_key', sa.String(length=66), nullable=True),
    sa.Column('issued_at', tradeledger.store.base.UtcDateTime(timezone=True), nullable=False),
    sa.Column('block_number', sa.BigInteger(), nullable=False),
    sa.Column('tx_hash', sa.String(length=66), nullable=False),
    sa.Column('log_index', sa.Integer(), nullable=False),
    sa.Column('block_timestamp', tradeledger.store.base.UtcDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('record_id', name=op.f('pk_transferable_records')),
    sa.UniqueConstraint('document_hash', name=op.f('uq_transferable_records_document_hash'))
    )
    with op.batch_alter_table('transferable_records', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_transferable_records_controller'), ['controller'], unique=False)
        batch_op.create_index(batch_op.f('ix_transferable_records_holder'), ['holder'], unique=False)
        batch_op.create_index(batch_op.f('ix_transferable_records_issuer'), ['issuer'], unique=False)
        batch_op.create_index(batch_op.f('ix_transferable_records_state'), ['state'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('transferable_records', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_transferable_records_state'))
        batch_op.drop_index(batch_op.f('ix_transferable_records_issuer'))
        batch_op.drop_index(batch_op.f('ix_transferable_records_holder'))
        batch_op.drop_index(batch_op.f('ix_transferable_records_controller'))

    op.drop_table('transferable_records')
    with op.batch_alter_table('record_control_changes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_record_control_changes_record_id'))
        batch_op.drop_index(batch_op.f('ix_record_control_changes_previous_controller'))
        batch_op.drop_index(batch_op.f('ix_record_control_changes_holder'))
        batch_op.drop_index(batch_op.f('ix_record_control_changes_controller'))

    op.drop_table('record_control_changes')
