"""Imports every domain's read-model models so that their tables are on `Base.metadata` (migrations, tests)."""

from __future__ import annotations

from tradeledger.anchors import models as anchors
from tradeledger.documents import models as documents
from tradeledger.guarantees import models as guarantees
from tradeledger.invoices import models as invoices
from tradeledger.lcs import models as lcs
from tradeledger.members import models as members
from tradeledger.orders import models as orders
from tradeledger.payables import models as payables
from tradeledger.records import models as records
from tradeledger.scheduler import models as scheduler
from tradeledger.settlements import models as settlements
from tradeledger.undertakings import models as undertakings

__all__ = [
    "anchors",
    "documents",
    "guarantees",
    "invoices",
    "lcs",
    "members",
    "orders",
    "payables",
    "records",
    "scheduler",
    "settlements",
    "undertakings",
]
