"""statement history subtrees: consistency proofs in O(log n) reads

Revision ID: 564c16f12f12
Revises: c725406835e3
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "564c16f12f12"
down_revision = "c725406835e3"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "statement_history_subtrees",
        sa.Column("chain_id", sa.BigInteger(), nullable=False),
        sa.Column("account", sa.String(length=42), nullable=False),
        sa.Column("counterparty", sa.String(length=42), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("level", sa.SmallInteger(), nullable=False),
        sa.Column("position", sa.BigInteger(), nullable=False),
        sa.Column("hash", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint(
            "chain_id",
            "account",
            "counterparty",
            "currency",
            "level",
            "position",
            name=op.f("pk_statement_history_subtrees"),
        ),
    )


def downgrade() -> None:
    op.drop_table("statement_history_subtrees")
