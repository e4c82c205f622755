"""Duplicate-financing fingerprints: consortium-keyed HMACs of canonical document fields.

Each document gets several fingerprints: its full field set and robust subsets, so that a lightly altered copy
(another date format, a changed amount, different spacing in the invoice number) still collides with the
original on at least one of them (trade-finance reference §6, the MonetaGo pattern). An HMAC keyed by a
consortium secret, not a plain hash, because the fields have little entropy: anyone holding a plain hash could
recover an invoice by trying invoice numbers.
"""

from __future__ import annotations

import hashlib
import hmac
import unicodedata
from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from tradeledger.settlements.schemas import CurrencyCode, MinorUnits

DocumentKindName = Literal["invoice", "bill_of_lading", "purchase_order", "warehouse_receipt"]


def canonical_token(value: str) -> str:
    """Identifiers compare on letters and digits only: 'INV-2026/042' == 'inv 2026 042'."""
    folded = unicodedata.normalize("NFKC", value).upper()
    return "".join(character for character in folded if character.isalnum())


class _Fields(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class InvoiceFields(_Fields):
    seller_id: str = Field(min_length=1, max_length=64, description="seller's LEI or registration number")
    buyer_id: str = Field(min_length=1, max_length=64)
    invoice_number: str = Field(min_length=1, max_length=64)
    issue_date: date
    amount: MinorUnits
    currency: CurrencyCode


class BillOfLadingFields(_Fields):
    carrier: str = Field(min_length=1, max_length=64)
    bill_of_lading_number: str = Field(min_length=1, max_length=64)
    vessel: str = Field(min_length=1, max_length=64)
    voyage: str = Field(min_length=1, max_length=32)
    port_of_loading: str = Field(min_length=1, max_length=64)
    port_of_discharge: str = Field(min_length=1, max_length=64)


class PurchaseOrderFields(_Fields):
    buyer_id: str = Field(min_length=1, max_length=64)
    po_number: str = Field(min_length=1, max_length=64)


class WarehouseReceiptFields(_Fields):
    warehouse_id: str = Field(min_length=1, max_length=64)
    receipt_number: str = Field(min_length=1, max_length=64)
    goods: str = Field(min_length=1, max_length=200)


FIELD_MODELS: dict[str, type[_Fields]] = {
    "invoice": InvoiceFields,
    "bill_of_lading": BillOfLadingFields,
    "purchase_order": PurchaseOrderFields,
    "warehouse_receipt": WarehouseReceiptFields,
}

# The full set first, then the subsets that survive typical alterations of a copy.
FINGERPRINT_SETS: dict[str, tuple[tuple[str, ...], ...]] = {
    "invoice": (
        ("seller_id", "buyer_id", "invoice_number", "issue_date", "amount", "currency"),
        ("seller_id", "invoice_number"),
        ("seller_id", "buyer_id", "amount", "currency", "issue_date"),
        ("buyer_id", "invoice_number", "amount", "currency"),
    ),
    "bill_of_lading": (
        ("carrier", "bill_of_lading_number", "vessel", "voyage", "port_of_loading", "port_of_discharge"),
        ("carrier", "bill_of_lading_number"),
        ("vessel", "voyage", "bill_of_lading_number"),
    ),
    "purchase_order": (("buyer_id", "po_number"),),
    "warehouse_receipt": (("warehouse_id", "receipt_number", "goods"), ("warehouse_id", "receipt_number")),
}


def _canonical(value: object) -> str:
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, int):
        return str(value)
    return canonical_token(str(value))


def fingerprints(kind: str, fields: _Fields, key: bytes) -> list[bytes]:
    """The document's fingerprints (32 bytes each), full field set first."""
    values = fields.model_dump()
    digests = []
    for subset in FINGERPRINT_SETS[kind]:
        message = "\x1f".join([kind, *(f"{name}={_canonical(values[name])}" for name in subset)])
        digests.append(hmac.new(key, message.encode("utf-8"), hashlib.sha256).digest())
    return digests
