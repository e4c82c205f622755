"""lc amendments: the availability and tenor an amendment sets (Art 6b, 10); rows before it changed neither

Revision ID: c725406835e3
Revises: b5a2e962bf0d
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = 'c725406835e3'
down_revision = 'b5a2e962bf0d'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('lc_amendments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('availability', sa.Enum('SIGHT_PAYMENT', 'DEFERRED_PAYMENT', 'ACCEPTANCE', 'NEGOTIATION', name='availability', native_enum=False, length=32), nullable=False, server_default='SIGHT_PAYMENT'))
        batch_op.add_column(sa.Column('tenor_days', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('tenor_basis', sa.Enum('PRESENTATION', 'SHIPMENT', name='tenorbasis', native_enum=False, length=32), nullable=False, server_default='PRESENTATION'))


def downgrade() -> None:
    with op.batch_alter_table('lc_amendments', schema=None) as batch_op:
        batch_op.drop_column('tenor_basis')
        batch_op.drop_column('tenor_days')
        batch_op.drop_column('availability')
