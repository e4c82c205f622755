"""chain events: one unique index in chain order instead of the block hash guard and the order index

Every index of `chain_events` is written for each event the indexer stores (on PostgreSQL, index inserts were about
two thirds of the server's CPU per indexed event). The (chain_id, block_hash, log_index) guard served no query and
wrote a random place of its index for every event; (chain_id, block_number, log_index) guards the same (one event
per log of the canonical chain: a lost block's events are deleted before its replacement is stored), grows at its
end, and is the order the indexer's queries by block read, so it replaces `ix_chain_events_order` too.

SQLite recreates the table to drop a constraint: it stays AUTOINCREMENT, and its sequence is carried over (an event
id is never reused, even past events a roll-back deleted: the feed's and webhooks' cursors rely on it).

Revision ID: e9c74480ca16
Revises: c91357c1aa9d
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from alembic import op
from alembic.operations import BatchOperations
from sqlalchemy import text

revision = 'e9c74480ca16'
down_revision = 'c91357c1aa9d'
branch_labels = None
depends_on = None


@contextmanager
def _chain_events() -> Iterator[BatchOperations]:
    """A batch on `chain_events` that keeps SQLite's AUTOINCREMENT and its sequence through the recreation."""
    bind = op.get_bind()
    sqlite = bind.dialect.name == 'sqlite'
    sequence = (
        bind.execute(text("SELECT seq FROM sqlite_sequence WHERE name = 'chain_events'")).scalar() if sqlite else None
    )
    with op.batch_alter_table('chain_events', table_kwargs={'sqlite_autoincrement': True}) as batch_op:
        yield batch_op
    if sequence is not None:
        bind.execute(
            text("UPDATE sqlite_sequence SET seq = max(seq, :seq) WHERE name = 'chain_events'"), {'seq': sequence}
        )
        bind.execute(
            text(
                "INSERT INTO sqlite_sequence (name, seq) SELECT 'chain_events', :seq "
                "WHERE NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = 'chain_events')"
            ),
            {'seq': sequence},
        )


def upgrade() -> None:
    with _chain_events() as batch_op:
        batch_op.drop_index('ix_chain_events_order')
        batch_op.drop_constraint(batch_op.f('uq_chain_events_chain_id_block_hash_log_index'), type_='unique')
        batch_op.create_unique_constraint(
            batch_op.f('uq_chain_events_chain_id_block_number_log_index'), ['chain_id', 'block_number', 'log_index']
        )


def downgrade() -> None:
    with _chain_events() as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_chain_events_chain_id_block_number_log_index'), type_='unique')
        batch_op.create_unique_constraint(
            batch_op.f('uq_chain_events_chain_id_block_hash_log_index'), ['chain_id', 'block_hash', 'log_index']
        )
        batch_op.create_index('ix_chain_events_order', ['chain_id', 'block_number', 'log_index'], unique=False)
