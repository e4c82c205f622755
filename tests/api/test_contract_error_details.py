"""A contract's refusal reads as dates where its error carries days or times: the contracts compare day numbers
(days since 1970-01-01) and unix seconds, and the problem detail, the CLI and the console show what they stand for."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tradeledger.contract_errors import DAY_ARGUMENTS, TIME_ARGUMENTS, contract_error_argument
from tradeledger.errors import ContractRevertError

ARTIFACTS = Path(__file__).resolve().parents[2] / "platform" / "tradeledger" / "chain" / "artifacts"


def _moment_arguments() -> set[str]:
    """Every error argument of the types the contracts keep days and times in (all of them are one or the other)."""
    return {
        argument["name"] for path in ARTIFACTS.glob("*.json") for entry in json.loads(path.read_text())["abi"]
        if entry.get("type") == "error" for argument in entry["inputs"] if argument["type"] in {"uint64", "uint48"}
    }  # fmt: skip


def test_every_day_or_time_argument_is_shown_as_a_date() -> None:
    """A new error with a date in it cannot ship showing a bare number."""
    unknown = sorted(_moment_arguments() - DAY_ARGUMENTS - TIME_ARGUMENTS)
    assert not unknown, f"add these error arguments to DAY_ARGUMENTS or TIME_ARGUMENTS: {unknown}"


def test_the_sets_name_only_arguments_the_contracts_still_carry() -> None:
    assert not sorted((DAY_ARGUMENTS | TIME_ARGUMENTS) - _moment_arguments())
    assert not DAY_ARGUMENTS & TIME_ARGUMENTS


def test_a_refusal_shows_days_and_times_as_dates() -> None:
    days = {"lcId": 7, "presentationDay": 20_430, "lastDay": 20_428}
    error = ContractRevertError("LetterOfCredit", "LetterOfCreditPresentationAfterExpiry", days)
    assert error.message == (
        "LetterOfCredit refused: LetterOfCreditPresentationAfterExpiry(lcId=7, presentationDay=2025-12-08, "
        "lastDay=2025-12-06)"
    )
    times = {"orderId": 3, "latestShipment": 1_765_065_599, "timestamp": 1_765_101_600}
    late = ContractRevertError("TradeOrders", "TradeOrdersShipmentLate", times)
    assert late.message == (
        "TradeOrders refused: TradeOrdersShipmentLate(orderId=3, latestShipment=2025-12-06 23:59:59 UTC, "
        "timestamp=2025-12-07 10:00:00 UTC)"
    )


@pytest.mark.parametrize(
    ("name", "value", "shown"),
    [
        ("nextDay", 0, "none"),  # no scheduled reduction left
        ("matchedAt", 0, "none"),  # not matched
        ("today", 1, "1970-01-02"),
        ("expiry", 2**64 - 1, str(2**64 - 1)),  # past any calendar: the number, not a crash
        ("maturityDay", 2**64 - 1, str(2**64 - 1)),
        ("lcId", 20_429, "20429"),  # not a date
        ("daysToMaturity", 30, "30"),  # a count of days, not a day
        ("invoiceHash", "0x" + "ab" * 32, "0x" + "ab" * 32),
    ],
)
def test_an_argument_is_a_date_only_when_it_holds_one(name: str, value: object, shown: str) -> None:
    assert contract_error_argument(name, value) == shown
