"""TOTP replay guard and sign-in throttles per (account, source)

A user remembers the time step of the last second-factor code accepted (a code is good once); failed sign-ins
count per account and source in login_throttles, so a guesser locks out only itself.

Revision ID: a1f6c3d9e207
Revises: b7c3e91f5a20
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import tradeledger.store.base

revision = 'a1f6c3d9e207'
down_revision = 'b7c3e91f5a20'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('login_throttles',
    sa.Column('member', sa.String(length=42), nullable=False),
    sa.Column('username', sa.String(length=120), nullable=False),
    sa.Column('source', sa.String(length=64), nullable=False),
    sa.Column('failures', sa.Integer(), nullable=False),
    sa.Column('locked_until', tradeledger.store.base.UtcDateTime(timezone=True), nullable=True),
    sa.Column('updated_at', tradeledger.store.base.UtcDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('member', 'username', 'source', name=op.f('pk_login_throttles'))
    )
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('totp_last_step', sa.BigInteger(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('totp_last_step')
    op.drop_table('login_throttles')
