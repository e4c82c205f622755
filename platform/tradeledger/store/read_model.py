"""Imports every domain's read-model models so that their tables are on `Base.metadata` (migrations, tests)."""

from __future__ import annotations

from tradeledger.anchors import models as anchors
from tradeledger.documents import models as documents
from tradeledger.lcs import models as lcs
from tradeledger.members import models as members
from tradeledger.orders import models as orders
from tradeledger.records import models as records
from tradeledger.settlements import models as settlements

__all__ = ["anchors", "documents", "lcs", "members", "orders", "records", "settlements"]
