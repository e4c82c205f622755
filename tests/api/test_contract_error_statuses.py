"""A contract's custom error answers the HTTP status its meaning calls for: a party that may not act is 403, a
step the object's state or clock does not allow yet (or any more) is 409, a wrong value is 422."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tradeledger.errors import ContractRevertError

ARTIFACTS = Path(__file__).resolve().parents[2] / "platform" / "tradeledger" / "chain" / "artifacts"


def _status(error: str) -> int:
    return ContractRevertError("Contract", error, {}).http_status


def _custom_errors() -> set[str]:
    return {
        entry["name"] for path in ARTIFACTS.glob("*.json") for entry in json.loads(path.read_text())["abi"]
        if entry.get("type") == "error"
    }  # fmt: skip


@pytest.mark.parametrize(
    ("error", "status"),
    [
        ("UndertakingsNotClaimDebtor", 403),
        ("LetterOfCreditNotClaimDebtor", 403),
        ("BankingCalendarNotActiveBank", 403),
        ("UndertakingsPaymentNotYetDue", 409),
        ("UndertakingsOpenDemands", 409),
        ("LetterOfCreditAmendmentConfirmationDecided", 409),
        ("LetterOfCreditDeadlineNotPassed", 409),
        ("LetterOfCreditNotMatured", 409),  # Art 7c: not before maturity
        ("LetterOfCreditMatured", 409),  # Art 12b: too late to prepay
        ("LetterOfCreditInvalidDiscount", 422),
        ("PaymentUndertakingsNoAmendmentToConsent", 409),
        ("TradeOrdersCoveredByUndertaking", 409),
        ("LetterOfCreditInvalidAmount", 422),
        ("LetterOfCreditUnknownTransfer", 404),
        ("LetterOfCreditSubstitutionDeadlineNotPassed", 409),
        ("LetterOfCreditProceedsAlreadyAssigned", 409),
        ("LetterOfCreditTransferTermsNotReduced", 422),
        ("LetterOfCreditAvailabilityInUse", 409),  # Art 10: drawings ran under the old availability
        ("UnknownThing", 404),
    ],
)
def test_a_custom_error_answers_the_status_of_its_meaning(error: str, status: int) -> None:
    assert _status(error) == status


def test_the_named_errors_are_the_contracts_own() -> None:
    """The table above names real errors: a renamed one must be moved with it."""
    assert {"UndertakingsNotClaimDebtor", "UndertakingsPaymentNotYetDue", "LetterOfCreditDeadlineNotPassed",
            "TradeOrdersCoveredByUndertaking"} <= _custom_errors()  # fmt: skip
    assert {"LetterOfCreditNotMatured", "LetterOfCreditMatured", "LetterOfCreditInvalidDiscount"} <= _custom_errors()
    assert "LetterOfCreditAvailabilityInUse" in _custom_errors()
    assert {
        "UndertakingsNotClaimDebtor",
        "UndertakingsPaymentNotYetDue",
        "LetterOfCreditDeadlineNotPassed",
        "TradeOrdersCoveredByUndertaking",
        "LetterOfCreditSubstitutionDeadlineNotPassed",
        "LetterOfCreditProceedsAlreadyAssigned",
    } <= _custom_errors()
