"""service instances and the owner of each idempotency record: a crashed process's requests run again at once

Revision ID: e4a7c19b2d50
Revises: d8b8128f6ae2
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import tradeledger.store.base

revision = 'e4a7c19b2d50'
down_revision = 'd8b8128f6ae2'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'service_instances',
        sa.Column('id', sa.String(length=36), nullable=False),
        sa.Column('started_at', tradeledger.store.base.UtcDateTime(timezone=True), nullable=False),
        sa.Column('seen_at', tradeledger.store.base.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_service_instances')),
    )
    with op.batch_alter_table('idempotency_records', schema=None) as batch_op:
        batch_op.add_column(sa.Column('owner', sa.String(length=36), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('idempotency_records', schema=None) as batch_op:
        batch_op.drop_column('owner')
    op.drop_table('service_instances')
