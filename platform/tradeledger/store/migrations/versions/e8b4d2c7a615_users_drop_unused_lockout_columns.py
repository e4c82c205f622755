"""users: drop failed_logins and locked_until, unused since lock-out counts per (account, source) in login_throttles

Revision ID: e8b4d2c7a615
Revises: c5e2a8d41f93
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import tradeledger.store.base

revision = 'e8b4d2c7a615'
down_revision = 'c5e2a8d41f93'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('locked_until')
        batch_op.drop_column('failed_logins')


def downgrade() -> None:
    # The columns come back empty: nothing wrote them since login_throttles took over (a1f6c3d9e207).
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('failed_logins', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(
            sa.Column('locked_until', tradeledger.store.base.UtcDateTime(timezone=True), nullable=True)
        )
