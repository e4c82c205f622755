"""Alembic environment: runs on the connection handed over by `tradeledger.store.db.migrate`."""

from __future__ import annotations

from alembic import context

from tradeledger.identity import models as identity  # noqa: F401 - API keys, hosted keys, idempotency
from tradeledger.reconciliations import models as reconciliations  # noqa: F401 - runs, breaks, status history
from tradeledger.statements import models as statements  # noqa: F401 - generated statement files
from tradeledger.store import (
    models,  # noqa: F401 - registers every table on the metadata
    read_model,  # noqa: F401 - and every read-model (projection) table
)
from tradeledger.store.base import Base
from tradeledger.terms import models as terms  # noqa: F401 - off-chain terms by hash
from tradeledger.users import models as users  # noqa: F401 - users, approvals, audit log, sessions
from tradeledger.webhooks import models as webhooks  # noqa: F401 - subscriptions and their delivery queue

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True, compare_type=True)
with context.begin_transaction():
    context.run_migrations()
