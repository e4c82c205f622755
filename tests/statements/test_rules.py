"""Pure rules of statements: references made by the contracts, and when a period is cut."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from reconciliation.formats import StatementFormat
from reconciliation.statements import Period
from tradeledger.codec import reference_bytes
from tradeledger.settlements.models import PostingKind
from tradeledger.statements.entries import posting_reference
from tradeledger.statements.service import StatementSpec, settle_target


def _word(value: int) -> bytes:
    return value.to_bytes(32, "big")


@pytest.mark.parametrize(
    ("kind", "raw", "shown"),
    [
        (PostingKind.LC_HONOUR, _word(3 << 128 | 1), "LC3-P1-HONOUR"),
        (PostingKind.LC_REIMBURSEMENT, _word(12 << 128 | 2), "LC12-P2-REIMB"),
        # Art 7c: the issuing bank reimbursing a nominated bank has its own reference (interbankReference)
        (PostingKind.LC_REIMBURSEMENT, _word(1 << 248 | 12 << 128 | 2), "LC12-P2-IBREIMB"),
        # Art 38h, 38i, 39: the honour's legs to a second beneficiary and to an assignee have their own references
        (PostingKind.LC_HONOUR, _word(2 << 248 | 12 << 128 | 2), "LC12-P2-TRANSFERRED"),
        (PostingKind.LC_HONOUR, _word(3 << 248 | 12 << 128 | 2), "LC12-P2-ASSIGNED"),
        (PostingKind.OPEN_ACCOUNT_PAYMENT, _word(7), "ORDER-7"),
        (PostingKind.UNDERTAKING_PAYMENT, _word(4 << 128 | 2), "UT4-D2-PAY"),
        (PostingKind.UNDERTAKING_REIMBURSEMENT, _word(4 << 128 | 2), "UT4-D2-REIMB"),
        # PayablesFinance: the financier's advance to the supplier and the buyer's payment at maturity
        (PostingKind.FINANCING_DISBURSEMENT, _word(1 << 254 | 6 << 8 | 1), "PF6-ADVANCE"),
        (PostingKind.FINANCING_REPAYMENT, _word(1 << 254 | 6 << 8 | 2), "PF6-PAY"),
        (PostingKind.OPEN_ACCOUNT_PAYMENT, _word(1 << 254 | 6 << 8 | 2), "PF6-PAY"),
        (PostingKind.TRANSFER, reference_bytes("INV-2031-001"), "INV-2031-001"),
        (PostingKind.LC_HONOUR, reference_bytes("LC-REF-TEXT"), "LC-REF-TEXT"),  # text stays text
        (PostingKind.TRANSFER, _word(5), "0x" + _word(5).hex()),  # an id we cannot name stays hex
        (PostingKind.OPEN_ACCOUNT_PAYMENT, "0x" + _word(9).hex(), "ORDER-9"),  # as the read model stores it
    ],
)
def test_posting_reference(kind: PostingKind, raw: bytes | str, shown: str) -> None:
    assert posting_reference(kind, raw) == shown


class TestSettleTarget:
    """How far the chain must close before a period is cut at the last indexed block."""

    ARRIVED = datetime(2031, 3, 4, 9, 30, 15, 700_000, tzinfo=UTC)

    def _spec(self, fmt: StatementFormat, to_head: bool, end: datetime) -> StatementSpec:
        period = Period(datetime(2031, 3, 4, tzinfo=UTC), end)
        return StatementSpec("0x" + "11" * 20, "USD", period, fmt, None, to_head)

    def test_up_to_now_waits_for_the_second_after_the_request(self) -> None:
        spec = self._spec(StatementFormat.JSON, True, datetime(2032, 3, 4, tzinfo=UTC))
        assert settle_target(spec, self.ARRIVED) == datetime(2031, 3, 4, 9, 30, 16, tzinfo=UTC)

    def test_an_intraday_report_never_waits_past_its_period(self) -> None:
        spec = self._spec(StatementFormat.CAMT052, False, datetime(2031, 3, 4, 9, 30, tzinfo=UTC))
        assert settle_target(spec, self.ARRIVED) == datetime(2031, 3, 4, 9, 30, tzinfo=UTC)

    def test_a_fixed_period_does_not_wait(self) -> None:
        spec = self._spec(StatementFormat.CAMT053, False, datetime(2031, 3, 5, tzinfo=UTC))
        assert settle_target(spec, self.ARRIVED) is None
