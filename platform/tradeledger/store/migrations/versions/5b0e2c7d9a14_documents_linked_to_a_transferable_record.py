"""documents linked to a transferable record; the record a financing pledged and when its end released it

Revision ID: 5b0e2c7d9a14
Revises: a9d4e6f1c372
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import tradeledger.store.base

revision = '5b0e2c7d9a14'
down_revision = 'a9d4e6f1c372'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('documents', schema=None) as batch_op:
        batch_op.add_column(sa.Column('record_id', tradeledger.store.base.Uint256(length=78), nullable=True))
        batch_op.create_index(batch_op.f('ix_documents_record_id'), ['record_id'], unique=False)
    with op.batch_alter_table('document_financings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('pledged_record_id', tradeledger.store.base.Uint256(length=78), nullable=True))
        batch_op.add_column(sa.Column('record_released_at', tradeledger.store.base.UtcDateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('document_financings', schema=None) as batch_op:
        batch_op.drop_column('record_released_at')
        batch_op.drop_column('pledged_record_id')
    with op.batch_alter_table('documents', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_documents_record_id'))
        batch_op.drop_column('record_id')
