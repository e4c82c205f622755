"""raw events: no index by transaction hash

`ix_chain_events_tx_hash` took each batch's inserts at random places, so nearly all of its pages were rewritten
at every commit of the indexer (SQLite wrote twice the data in WAL). Its one reader, the look-up of what a mined
transaction emitted, knows the transaction's block and goes through `ix_chain_events_order` instead. The guard
`UNIQUE (chain_id, block_hash, log_index)` stays.

Revision ID: ac370210f911
Revises: c91357c1aa9d
"""

from __future__ import annotations

from alembic import op

revision = 'ac370210f911'
down_revision = 'c91357c1aa9d'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('chain_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_chain_events_tx_hash'))


def downgrade() -> None:
    with op.batch_alter_table('chain_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_chain_events_tx_hash'), ['tx_hash'], unique=False)
