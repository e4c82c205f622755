"""event ids are never reused: a feed or webhook cursor past a rolled-back event must not skip its replacement

Revision ID: 5b1f0c2a9e31
Revises: 2d0eff98941b
"""

from __future__ import annotations

from alembic import op

revision = '5b1f0c2a9e31'
down_revision = '2d0eff98941b'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # SQLite reuses the highest rowid after the newest rows are deleted (an indexer roll-back) unless the table
    # is AUTOINCREMENT; PostgreSQL's sequences never go back.
    if op.get_bind().dialect.name == 'sqlite':
        with op.batch_alter_table('chain_events', recreate='always', table_kwargs={'sqlite_autoincrement': True}):
            pass


def downgrade() -> None:
    if op.get_bind().dialect.name == 'sqlite':
        with op.batch_alter_table('chain_events', recreate='always', table_kwargs={'sqlite_autoincrement': False}):
            pass
