"""Data matching of an open-account trade: order vs invoice vs transport or delivery data (pure, no I/O).

`match(order, invoice, evidence, tolerances)` compares every field the undertaking depends on and returns a
`MatchReport` listing each comparison with what was expected, what was found and the tolerance applied; the
report's canonical JSON is hashed (SHA-256) and that hash is what `Invoices.recordMatch` anchors on chain.

The rules (stated tolerances are in basis points of the ordered value, both ends included; beyond them by one
minor unit or one unit of quantity is a mismatch):
- parties, currency and the order reference are equal;
- the invoice total equals the sum of its lines (quantity x unit price, exact: money is integer minor units);
- the invoice total lies within [order amount x (1 - minus), order amount x (1 + plus)] (`amount_*_bps`);
- every ordered line is invoiced, no line is invoiced that was not ordered, at the ordered unit price (exact),
  with a quantity within the quantity tolerance (`quantity_*_bps`) of the ordered one;
- the transport document or delivery confirmation covers every invoiced line with a quantity within the same
  quantity tolerance of the invoiced one;
- shipment (transport) is no later than the order's latest shipment date plus `shipment_grace_days`, and the
  invoice is not dated before the shipment.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import StrEnum

BPS = 10_000


class EvidenceKind(StrEnum):
    """What confirms the goods moved: the seller's transport document or the buyer's delivery confirmation."""

    TRANSPORT_DOCUMENT = "transport_document"
    DELIVERY_CONFIRMATION = "delivery_confirmation"


@dataclass(frozen=True)
class Line:
    """One line: an item code, a quantity (Decimal, in the order's unit) and a unit price in minor units."""

    item: str
    quantity: Decimal
    unit_price: int


@dataclass(frozen=True)
class OrderData:
    reference: str
    buyer: str
    seller: str
    currency: str
    amount: int
    latest_shipment: date
    lines: tuple[Line, ...]


@dataclass(frozen=True)
class InvoiceData:
    number: str
    order_reference: str
    buyer: str
    seller: str
    currency: str
    amount: int
    issue_date: date
    lines: tuple[Line, ...]


@dataclass(frozen=True)
class MovementEvidence:
    """Transport or delivery data: the quantities per item and the date of shipment (or of delivery)."""

    kind: EvidenceKind
    document_hash: str
    event_date: date
    quantities: dict[str, Decimal]


@dataclass(frozen=True)
class Tolerances:
    """Stated tolerances; zero (the default) means exact."""

    amount_plus_bps: int = 0
    amount_minus_bps: int = 0
    quantity_plus_bps: int = 0
    quantity_minus_bps: int = 0
    shipment_grace_days: int = 0

    def __post_init__(self) -> None:
        for name in ("amount_plus_bps", "amount_minus_bps", "quantity_plus_bps", "quantity_minus_bps"):
            value = getattr(self, name)
            if not 0 <= value <= BPS:
                raise ValueError(f"{name} must be between 0 and {BPS} basis points, not {value}")
        if self.shipment_grace_days < 0:
            raise ValueError(f"shipment_grace_days must not be negative, not {self.shipment_grace_days}")


@dataclass(frozen=True)
class Comparison:
    """One field compared: `expected` and `actual` as text, the tolerance applied, and whether it passed."""

    field: str
    expected: str
    actual: str
    tolerance: str
    ok: bool


@dataclass(frozen=True)
class MatchReport:
    comparisons: tuple[Comparison, ...]
    tolerances: Tolerances = field(default_factory=Tolerances)

    @property
    def matched(self) -> bool:
        return all(comparison.ok for comparison in self.comparisons)

    @property
    def mismatches(self) -> tuple[Comparison, ...]:
        return tuple(comparison for comparison in self.comparisons if not comparison.ok)

    def canonical_json(self) -> bytes:
        """The report as canonical JSON (sorted keys, no spaces, UTF-8): the bytes that are hashed."""
        document = {
            "matched": self.matched,
            "tolerances": self.tolerances.__dict__,
            "comparisons": [comparison.__dict__ for comparison in self.comparisons],
        }
        return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")

    def report_hash(self) -> str:
        """0x-hex SHA-256 of the canonical JSON: the hash anchored on chain."""
        return "0x" + hashlib.sha256(self.canonical_json()).hexdigest()


def within(expected: Decimal | int, actual: Decimal | int, plus_bps: int, minus_bps: int) -> bool:
    """Whether `actual` lies in [expected x (1 - minus), expected x (1 + plus)], both ends included, exactly."""
    scaled = Decimal(actual) * BPS
    return Decimal(expected) * (BPS - minus_bps) <= scaled <= Decimal(expected) * (BPS + plus_bps)


def _band(plus_bps: int, minus_bps: int) -> str:
    return "exact" if plus_bps == minus_bps == 0 else f"+{plus_bps}/-{minus_bps} bps"


def match(order: OrderData, invoice: InvoiceData, evidence: MovementEvidence, tolerances: Tolerances) -> MatchReport:
    """Compare order, invoice and transport/delivery data; every comparison is in the report."""
    rows: list[Comparison] = []

    def equal(name: str, expected: object, actual: object) -> None:
        rows.append(Comparison(name, str(expected), str(actual), "exact", expected == actual))

    equal("buyer", order.buyer.lower(), invoice.buyer.lower())
    equal("seller", order.seller.lower(), invoice.seller.lower())
    equal("currency", order.currency, invoice.currency)
    equal("order_reference", order.reference, invoice.order_reference)
    line_total = sum((line.quantity * line.unit_price for line in invoice.lines), Decimal(0))
    equal("invoice.amount = sum(lines)", line_total, Decimal(invoice.amount))
    amount_band = _band(tolerances.amount_plus_bps, tolerances.amount_minus_bps)
    rows.append(
        Comparison(
            "invoice.amount",
            str(order.amount),
            str(invoice.amount),
            amount_band,
            within(order.amount, invoice.amount, tolerances.amount_plus_bps, tolerances.amount_minus_bps),
        )
    )
    quantity_band = _band(tolerances.quantity_plus_bps, tolerances.quantity_minus_bps)
    ordered = {line.item: line for line in order.lines}
    invoiced = {line.item: line for line in invoice.lines}
    for item in sorted(ordered.keys() | invoiced.keys()):
        want, got = ordered.get(item), invoiced.get(item)
        if want is None or got is None:
            rows.append(
                Comparison(
                    f"line[{item}]",
                    "ordered" if want else "not ordered",
                    "invoiced" if got else "not invoiced",
                    "exact",
                    False,
                )
            )
            continue
        equal(f"line[{item}].unit_price", want.unit_price, got.unit_price)
        rows.append(
            Comparison(
                f"line[{item}].quantity",
                str(want.quantity),
                str(got.quantity),
                quantity_band,
                within(want.quantity, got.quantity, tolerances.quantity_plus_bps, tolerances.quantity_minus_bps),
            )
        )
    moved_name = evidence.kind.value
    for item in sorted(invoiced.keys() | evidence.quantities.keys()):
        line, moved = invoiced.get(item), evidence.quantities.get(item)
        if line is None or moved is None:
            rows.append(
                Comparison(
                    f"{moved_name}[{item}].quantity",
                    str(line.quantity) if line else "not invoiced",
                    str(moved) if moved is not None else "missing",
                    quantity_band,
                    False,
                )
            )
            continue
        rows.append(
            Comparison(
                f"{moved_name}[{item}].quantity",
                str(line.quantity),
                str(moved),
                quantity_band,
                within(line.quantity, moved, tolerances.quantity_plus_bps, tolerances.quantity_minus_bps),
            )
        )
    if evidence.kind is EvidenceKind.TRANSPORT_DOCUMENT:
        latest = date.fromordinal(order.latest_shipment.toordinal() + tolerances.shipment_grace_days)
        rows.append(
            Comparison(
                "shipment_date",
                f"<= {latest.isoformat()}",
                evidence.event_date.isoformat(),
                f"+{tolerances.shipment_grace_days} days",
                evidence.event_date <= latest,
            )
        )
        rows.append(
            Comparison(
                "invoice.issue_date",
                f">= {evidence.event_date.isoformat()}",
                invoice.issue_date.isoformat(),
                "exact",
                invoice.issue_date >= evidence.event_date,
            )
        )
    return MatchReport(tuple(rows), tolerances)
