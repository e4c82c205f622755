"""A contract's custom error answers the HTTP status its meaning calls for: a party that may not act is 403, an
unknown id 404, a step the object's state, terms or clock do not allow yet (or any more) is 409, a wrong value is
422. The statuses come from one explicit table, and every error of every contract ABI has an entry in it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tradeledger.contract_errors import CONTRACT_ERROR_STATUS, contract_error_code
from tradeledger.errors import ContractRevertError

ARTIFACTS = Path(__file__).resolve().parents[2] / "platform" / "tradeledger" / "chain" / "artifacts"


def _status(error: str) -> int:
    return ContractRevertError("Contract", error, {}).http_status


def _custom_errors() -> set[str]:
    return {
        entry["name"] for path in ARTIFACTS.glob("*.json") for entry in json.loads(path.read_text())["abi"]
        if entry.get("type") == "error"
    }  # fmt: skip


def test_every_contract_error_has_a_deliberate_status() -> None:
    """A new contract error cannot ship without a line in tradeledger/contract_errors.py."""
    missing = sorted(_custom_errors() - CONTRACT_ERROR_STATUS.keys())
    assert not missing, f"add these errors to CONTRACT_ERROR_STATUS with the status they mean: {missing}"


def test_the_table_names_only_errors_the_contracts_still_raise() -> None:
    """A renamed or removed error takes its entry with it."""
    assert not sorted(CONTRACT_ERROR_STATUS.keys() - _custom_errors())


def test_every_error_has_its_own_code() -> None:
    codes = [contract_error_code(error) for error in CONTRACT_ERROR_STATUS]
    assert len(set(codes)) == len(codes)
    assert contract_error_code("LetterOfCreditInvalidState") == "letter_of_credit_invalid_state"


@pytest.mark.parametrize(
    ("error", "status"),
    [
        ("UndertakingsNotClaimDebtor", 403),
        ("LetterOfCreditNotClaimDebtor", 403),
        ("BankingCalendarNotActiveBank", 403),
        ("AccessControlUnauthorizedAccount", 403),
        ("LetterOfCreditUnknownTransfer", 404),
        ("UndertakingsUnknownDemand", 404),
        ("UndertakingsPaymentNotYetDue", 409),
        ("UndertakingsOpenDemands", 409),
        ("LetterOfCreditAmendmentConfirmationDecided", 409),
        ("LetterOfCreditDeadlineNotPassed", 409),
        ("LetterOfCreditNotMatured", 409),  # Art 7c: not before maturity
        ("LetterOfCreditMatured", 409),  # Art 12b: too late to prepay
        ("LetterOfCreditNoDefault", 409),  # Art 7a: the nominated bank's maturity day has not ended
        ("LetterOfCreditPrecluded", 409),  # Art 16f: too late to refuse
        ("LetterOfCreditPresentationAfterExpiry", 409),  # Art 6d: the clock, not the documents
        ("UndertakingsDemandAfterExpiry", 409),
        ("PaymentUndertakingsNoAmendmentToConsent", 409),
        ("PaymentUndertakingsDataNotMatched", 409),
        ("TradeOrdersCoveredByUndertaking", 409),
        ("LetterOfCreditSubstitutionDeadlineNotPassed", 409),
        ("LetterOfCreditProceedsAlreadyAssigned", 409),
        ("LetterOfCreditNotTransferable", 409),  # Art 38b: a term of the credit, not a wrong value
        ("LetterOfCreditTransferToSeveralProhibited", 409),  # Art 38d: a live transfer already
        ("LetterOfCreditInvalidDiscount", 422),
        ("LetterOfCreditInvalidAmount", 422),
        ("LetterOfCreditInvalidLatestShipment", 422),  # a date sent, not a late step
        ("LetterOfCreditTransferTermsNotReduced", 422),
    ],
)
def test_a_custom_error_answers_the_status_of_its_meaning(error: str, status: int) -> None:
    assert _status(error) == status
    assert ContractRevertError("Contract", error, {}).code == contract_error_code(error)


def test_an_error_newer_than_the_table_is_still_a_client_error() -> None:
    assert _status("SomeContractFutureError") == 422
