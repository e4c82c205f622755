"""References the contracts make from ids read as the objects they name, in the read model and on chain alike."""

from __future__ import annotations

import pytest

from tradeledger.codec import reference_bytes
from tradeledger.settlements.models import PostingKind
from tradeledger.statements.entries import posting_reference


def _word(value: int) -> bytes:
    return value.to_bytes(32, "big")


@pytest.mark.parametrize(
    ("kind", "raw", "shown"),
    [
        (PostingKind.LC_HONOUR, _word(3 << 128 | 1), "LC3-P1-HONOUR"),
        (PostingKind.LC_REIMBURSEMENT, _word(12 << 128 | 2), "LC12-P2-REIMB"),
        (PostingKind.OPEN_ACCOUNT_PAYMENT, _word(7), "ORDER-7"),
        (PostingKind.TRANSFER, reference_bytes("INV-2031-001"), "INV-2031-001"),
        (PostingKind.LC_HONOUR, reference_bytes("LC-REF-TEXT"), "LC-REF-TEXT"),  # text stays text
        (PostingKind.TRANSFER, _word(5), "0x" + _word(5).hex()),  # an id we cannot name stays hex
        (PostingKind.OPEN_ACCOUNT_PAYMENT, "0x" + _word(9).hex(), "ORDER-9"),  # as the read model stores it
    ],
)
def test_posting_reference(kind: PostingKind, raw: bytes | str, shown: str) -> None:
    assert posting_reference(kind, raw) == shown
