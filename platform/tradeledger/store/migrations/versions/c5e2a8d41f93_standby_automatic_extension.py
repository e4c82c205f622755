"""standbys: automatic extension terms and the issuer's notice of non-extension (ISP98 2.06(a))

Revision ID: c5e2a8d41f93
Revises: 5c2e8b7d4f19
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import tradeledger.store.columns

revision = 'c5e2a8d41f93'
down_revision = '5c2e8b7d4f19'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Undertakings indexed before the columns existed stated no automatic extension: the defaults say so.
    with op.batch_alter_table('undertakings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('extension_days', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('non_extension_notice_days', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(
            sa.Column('final_expiry', tradeledger.store.columns.Uint64(length=20), nullable=True)
        )
        batch_op.add_column(
            sa.Column('non_extension_noticed', sa.Boolean(), nullable=False, server_default=sa.false())
        )


def downgrade() -> None:
    with op.batch_alter_table('undertakings', schema=None) as batch_op:
        batch_op.drop_column('non_extension_noticed')
        batch_op.drop_column('final_expiry')
        batch_op.drop_column('non_extension_notice_days')
        batch_op.drop_column('extension_days')
