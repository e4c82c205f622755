"""Data matching of order, invoice and transport/delivery data: every field in the report, tolerance edges."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest

from tradeledger.invoices.matching import (
    EvidenceKind,
    InvoiceData,
    Line,
    MovementEvidence,
    OrderData,
    Tolerances,
    match,
    within,
)

BUYER, SELLER = "0x" + "aa" * 20, "0x" + "bb" * 20
ORDER = OrderData(
    reference="PO-1",
    buyer=BUYER,
    seller=SELLER,
    currency="USD",
    amount=1_000_000,
    latest_shipment=date(2026, 3, 31),
    lines=(Line("WIDGET", Decimal(1000), 900), Line("GADGET", Decimal(50), 2_000)),
)
INVOICE = InvoiceData(
    number="INV-1",
    order_reference="PO-1",
    buyer=BUYER,
    seller=SELLER,
    currency="USD",
    amount=1_000_000,
    issue_date=date(2026, 3, 30),
    lines=ORDER.lines,
)
SHIPPED = MovementEvidence(
    EvidenceKind.TRANSPORT_DOCUMENT,
    "0x" + "cd" * 32,
    date(2026, 3, 30),
    {"WIDGET": Decimal(1000), "GADGET": Decimal(50)},
)
FIVE_PERCENT = Tolerances(amount_plus_bps=500, amount_minus_bps=500, quantity_plus_bps=500, quantity_minus_bps=500)


def _invoice(widgets: Decimal, gadgets: Decimal = Decimal(50)) -> InvoiceData:
    lines = (Line("WIDGET", widgets, 900), Line("GADGET", gadgets, 2_000))
    return replace(INVOICE, lines=lines, amount=int(widgets * 900 + gadgets * 2_000))


class TestWithin:
    @pytest.mark.parametrize(
        "expected, actual, plus, minus, ok",
        [
            (1_000_000, 1_000_000, 0, 0, True),  # exact
            (1_000_000, 1_000_001, 0, 0, False),  # one minor unit over an exact rule
            (1_000_000, 1_050_000, 500, 500, True),  # +5% is inside, both ends included
            (1_000_000, 1_050_001, 500, 500, False),  # one minor unit beyond +5%
            (1_000_000, 950_000, 500, 500, True),  # -5% is inside
            (1_000_000, 949_999, 500, 500, False),  # one minor unit below -5%
            (1_000_000, 1_100_000, 1_000, 0, True),  # "about": +10% only
            (1_000_000, 999_999, 1_000, 0, False),  # no minus tolerance stated
            (999, 1_048, 500, 500, True),  # 999 x 1.05 = 1048.95: 1048 inside
            (999, 1_049, 500, 500, False),  # 1049 > 1048.95
            (Decimal("10.5"), Decimal("10.0"), 0, 500, True),  # 10.5 x 0.95 = 9.975
            (Decimal("10.5"), Decimal("9.97"), 0, 500, False),
        ],
    )
    def test_band_edges(self, expected: int, actual: int, plus: int, minus: int, ok: bool) -> None:
        assert within(expected, actual, plus, minus) is ok


class TestMatch:
    def test_identical_data_match_and_every_field_is_listed(self) -> None:
        report = match(ORDER, INVOICE, SHIPPED, Tolerances())
        assert report.matched and report.mismatches == ()
        assert [c.field for c in report.comparisons] == [
            "buyer",
            "seller",
            "currency",
            "order_reference",
            "invoice.amount = sum(lines)",
            "invoice.amount",
            "line[GADGET].unit_price",
            "line[GADGET].quantity",
            "line[WIDGET].unit_price",
            "line[WIDGET].quantity",
            "transport_document[GADGET].quantity",
            "transport_document[WIDGET].quantity",
            "shipment_date",
            "invoice.issue_date",
        ]

    @pytest.mark.parametrize(
        "widgets, tolerances, mismatched",
        [
            (Decimal(1050), FIVE_PERCENT, set()),  # +5% quantity and amount at the edge: inside
            (Decimal(1051), FIVE_PERCENT, {"line[WIDGET].quantity"}),  # amount still inside, the line is not
            (Decimal(950), FIVE_PERCENT, set()),
            (Decimal(949), FIVE_PERCENT, {"line[WIDGET].quantity"}),
            (Decimal(1001), Tolerances(), {"line[WIDGET].quantity", "invoice.amount"}),
        ],
    )
    def test_quantity_and_amount_tolerance_edges(
        self, widgets: Decimal, tolerances: Tolerances, mismatched: set[str]
    ) -> None:
        evidence = replace(SHIPPED, quantities={"WIDGET": widgets, "GADGET": Decimal(50)})
        report = match(ORDER, _invoice(widgets), evidence, tolerances)
        assert {c.field for c in report.mismatches} == mismatched
        assert report.matched is (not mismatched)

    @pytest.mark.parametrize(
        "shipped, grace, ok",
        [(date(2026, 3, 31), 0, True), (date(2026, 4, 1), 0, False), (date(2026, 4, 1), 1, True)],
    )
    def test_shipment_date_edges(self, shipped: date, grace: int, ok: bool) -> None:
        evidence = replace(SHIPPED, event_date=shipped)
        invoice = replace(INVOICE, issue_date=shipped)
        report = match(ORDER, invoice, evidence, Tolerances(shipment_grace_days=grace))
        assert report.matched is ok
        assert {c.field for c in report.mismatches} == (set() if ok else {"shipment_date"})

    def test_every_mismatch_is_reported_at_once(self) -> None:
        invoice = replace(
            INVOICE,
            currency="EUR",
            order_reference="PO-2",
            amount=999_999,
            issue_date=date(2026, 3, 1),
            lines=(Line("WIDGET", Decimal(1000), 901), Line("EXTRA", Decimal(1), 1)),
        )
        evidence = MovementEvidence(EvidenceKind.DELIVERY_CONFIRMATION, "0x" + "ee" * 32, date(2026, 4, 20), {})
        report = match(ORDER, invoice, evidence, Tolerances())
        assert {c.field for c in report.mismatches} == {
            "currency",
            "order_reference",
            "invoice.amount = sum(lines)",
            "invoice.amount",
            "line[EXTRA]",
            "line[GADGET]",
            "line[WIDGET].unit_price",
            "delivery_confirmation[EXTRA].quantity",
            "delivery_confirmation[WIDGET].quantity",
        }
        assert "shipment_date" not in {c.field for c in report.comparisons}  # a delivery has no shipment rule

    def test_report_hash_is_deterministic_and_changes_with_the_data(self) -> None:
        first = match(ORDER, INVOICE, SHIPPED, Tolerances())
        assert first.report_hash() == match(ORDER, INVOICE, SHIPPED, Tolerances()).report_hash()
        assert len(first.report_hash()) == 66
        assert first.report_hash() != match(ORDER, _invoice(Decimal(999)), SHIPPED, FIVE_PERCENT).report_hash()

    @pytest.mark.parametrize("field", ["amount_plus_bps", "quantity_minus_bps"])
    def test_tolerances_outside_zero_to_100_percent_are_refused(self, field: str) -> None:
        with pytest.raises(ValueError, match=field):
            Tolerances(**{field: 10_001})
