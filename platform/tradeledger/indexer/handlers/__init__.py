"""Every projection handler of the read model: importing this package registers them all on the shared
`tradeledger.indexer.projections.projector` and declares the tables they own (parents before children).
"""

from __future__ import annotations

from tradeledger.indexer.handlers import (
    access,
    anchors,
    documents,
    guarantees,
    invoices,
    lcs,
    members,
    orders,
    payables,
    records,
    settlements,
    undertakings,
)

__all__ = [
    "access",
    "anchors",
    "documents",
    "guarantees",
    "invoices",
    "lcs",
    "members",
    "orders",
    "payables",
    "records",
    "settlements",
    "undertakings",
]
