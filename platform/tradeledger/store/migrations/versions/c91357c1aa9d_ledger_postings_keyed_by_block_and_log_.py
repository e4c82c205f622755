"""ledger postings: keyed by block and log index, no unused currency and reference indexes

Every index of `ledger_postings` is written for each posting the indexer stores. The currency and reference
indexes served no query, and the (tx_hash, log_index) guard wrote a random place of its index for every posting;
(block_number, log_index) guards the same (one posting per log of the canonical chain) and grows at its end.

Revision ID: c91357c1aa9d
Revises: 564c16f12f12
"""

from __future__ import annotations

from alembic import op

revision = 'c91357c1aa9d'
down_revision = '564c16f12f12'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('ledger_postings', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ledger_postings_currency'))
        batch_op.drop_index(batch_op.f('ix_ledger_postings_reference'))
        batch_op.drop_constraint(batch_op.f('uq_ledger_postings_tx_hash_log_index'), type_='unique')
        batch_op.create_unique_constraint(
            batch_op.f('uq_ledger_postings_block_number_log_index'), ['block_number', 'log_index']
        )


def downgrade() -> None:
    with op.batch_alter_table('ledger_postings', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_ledger_postings_block_number_log_index'), type_='unique')
        batch_op.create_unique_constraint(batch_op.f('uq_ledger_postings_tx_hash_log_index'), ['tx_hash', 'log_index'])
        batch_op.create_index(batch_op.f('ix_ledger_postings_reference'), ['reference'], unique=False)
        batch_op.create_index(batch_op.f('ix_ledger_postings_currency'), ['currency'], unique=False)
