"""Runs through the API: our own statements reconcile clean, injected breaks are found and stored as they are."""

from __future__ import annotations

import json
import re
import uuid
from datetime import datetime, timedelta
from typing import Any

import pytest

from reconciliation.matching import DEFAULT_RULES
from tests.posted_ledger import BANK, DAY_1, DAY_2, TRADER, Ledger
from tests.reconciliations.helpers import MAPPING, books_csv, breaks, created, upload
from tests.statements.helpers import generate
from tradeledger.reconciliations.schemas import Tolerances
from tradeledger.reconciliations.service import rules_of
from tradeledger.statements.service import indexed_until


def statement_file(ledger: Ledger, account: str, fmt: str) -> bytes:
    client = ledger.client("bank")
    statement = generate(client, account, DAY_1, fmt, last_day=DAY_2)
    return client.get(f"/v1/statements/{statement['id']}/file").content


class TestOwnStatements:
    @pytest.mark.parametrize(("statement_format", "books_format"), [
        ("csv", "csv"), ("camt.053.001.08", "camt.053"), ("mt940", "mt940"),
    ])  # fmt: skip
    def test_a_statement_of_the_ledger_reconciles_with_no_break(
        self, ledger: Ledger, statement_format: str, books_format: str
    ) -> None:
        books = statement_file(ledger, BANK.address, statement_format)
        run = created(upload(ledger.client("bank"), BANK.address, books, books_format, name=f"own.{books_format}"))
        assert run["ledger_entries"] == {"total": 6, "matched": 6, "unmatched": 0}
        assert run["book_lines"] == {"total": 6, "matched": 6, "unmatched": 0}
        assert sum(run["breaks_by_category"].values()) == 0
        assert run["breaks_by_status"] == {"open": 0, "assigned": 0, "resolved": 0}
        assert run["books_file"]["name"] == f"own.{books_format}"
        assert run["csv_mapping"] is None if books_format != "csv" else run["csv_mapping"]["stop_at"]

    def test_the_summary_records_file_rules_and_who_ran_it(self, ledger: Ledger) -> None:
        import hashlib

        books = statement_file(ledger, TRADER.address, "camt.053.001.08")
        response = upload(ledger.client("bank"), TRADER.address, books, "camt.053")
        run = created(response)
        assert response.headers["Location"] == f"/v1/reconciliations/{run['id']}"
        assert run["books_file"]["sha256"] == "0x" + hashlib.sha256(books).hexdigest()
        assert run["books_file"]["size"] == len(books)
        assert (run["account"], run["currency"], run["created_by"]) == (TRADER.address, "USD", BANK.address)
        assert run["period_start"].startswith(DAY_1.isoformat()) and run["period_end"].startswith("2031-03-05")
        assert [rule["name"] for rule in run["rules"]["rules"]] == [rule.name for rule in DEFAULT_RULES]
        assert run["rules"]["amount_tolerance_minor"] == 1 and run["rules"]["date_window_days"] == 2
        assert ledger.client("trader").get(f"/v1/reconciliations/{run['id']}").json() == run


# The bank's books for DAY_1 and DAY_2, with one break of each kind the rules must report.
INJECTED = books_csv(
    "V1,03.03.2031,-100.00,USD,INV-2031-001",  # matches entry INV-2031-001
    "V1R,04.03.2031,100.00,USD,INV-2031-001",  # ... and reverses it in the books only
    "V2,03.03.2031,25.00,USD,FEE-001",  # matches FEE-001
    "V2D,03.03.2031,25.00,USD,FEE-001",  # ... booked twice
    # LC-2031-0001 (-700.00) is not in the books
    "V4,03.03.2031,123.00,USD,LC-2031-0002",  # the ledger has 123.45: a fee taken on the way
    "V5,09.03.2031,300.00,USD,LC-2031-0003",  # booked five days after the ledger
    "V6,04.03.2031,-40.00,EUR,INV-2031-002",  # the ledger paid USD
    "V7,04.03.2031,55.00,USD,=SUM(A1)",  # not in the ledger (and a formula-like reference)
    "V8,04.03.2031,12.00,EUR,OTHER-EUR",  # another currency's business: out of this run's scope
)
EXPECTED = {  # category, subtype, ledger references, book lines, ledger amount, book amount, difference, side
    ("REVERSAL_OR_RETURN", None, (), ("V1R",), None, "10000", "10000", "BOOKS"),
    ("DUPLICATE", None, (), ("V2D",), None, "2500", "2500", "BOOKS"),
    ("MISSING_IN_COUNTERPARTY", None, ("LC-2031-0001",), (), "-70000", None, "70000", "BOOKS"),
    ("AMOUNT_MISMATCH", "FEE", ("LC-2031-0002",), ("V4",), "12345", "12300", "-45", "BOTH"),
    ("TIMING", None, ("LC-2031-0003",), ("V5",), "30000", "30000", "0", "BOTH"),
    ("CURRENCY_MISMATCH", None, ("INV-2031-002",), ("V6",), "-4000", "-4000", None, "BOTH"),
    ("MISSING_IN_LEDGER", None, (), ("V7",), None, "5500", "5500", "LEDGER"),
}


def _shape(found: dict[str, Any]) -> tuple[Any, ...]:
    return (found["category"], found["subtype"], tuple(found["ledger_references"]), tuple(found["book_line_ids"]),
            found["ledger_amount"], found["book_amount"], found["difference"], found["side"])  # fmt: skip


@pytest.fixture(scope="module")
def injected(ledger: Ledger) -> dict[str, Any]:
    return created(upload(ledger.client("bank"), BANK.address, INJECTED, mapping=MAPPING, name="gl-export.csv"))


class TestInjectedBreaks:
    def test_every_injected_break_is_stored_with_its_category_sides_and_amounts(
        self, ledger: Ledger, injected: dict[str, Any]
    ) -> None:
        found = breaks(ledger.client("bank"), injected["id"])
        assert {_shape(b) for b in found} == EXPECTED
        assert len(found) == len(EXPECTED)
        assert all(b["status"] == "open" and b["run_id"] == injected["id"] for b in found)
        assert all(re.fullmatch(r"BRK-[0-9a-f]{20}", b["reference"]) for b in found)
        currency = next(b for b in found if b["category"] == "CURRENCY_MISMATCH")
        assert (currency["currency"], currency["book_currency"]) == ("USD", "EUR")
        fee = next(b for b in found if b["category"] == "AMOUNT_MISMATCH")
        assert fee["rule"] == "reference-amount-exact"
        assert fee["tolerance"] == "amount exact, date -2..+2 days"

    def test_the_summary_counts_both_sides_and_every_category(self, injected: dict[str, Any]) -> None:
        assert injected["ledger_entries"] == {"total": 6, "matched": 2, "unmatched": 4}
        assert injected["book_lines"] == {"total": 8, "matched": 2, "unmatched": 6}  # in scope
        assert injected["books_file"]["lines_out_of_scope"] == 1
        assert injected["breaks_by_status"] == {"open": 7, "assigned": 0, "resolved": 0}
        counts = {category: count for category, count in injected["breaks_by_category"].items() if count}
        assert counts == {category: 1 for category, *_ in EXPECTED}
        assert set(injected["breaks_by_category"]) >= {"SEQUENCE_GAP", "BALANCE_DRIFT", "SPLIT_INCOMPLETE"}
        assert injected["matches_by_rule"]["reference-amount-exact (one-to-one)"] == 2
        assert injected["csv_mapping"]["business_reference"] == "E2E"

    @pytest.mark.parametrize(("category", "status", "expected"), [
        ("TIMING", None, 1), ("AMOUNT_MISMATCH", "open", 1), (None, "resolved", 0), ("SEQUENCE_GAP", None, 0),
        (None, None, len(EXPECTED)),
    ])  # fmt: skip
    def test_breaks_filter_by_category_and_status(
        self, ledger: Ledger, injected: dict[str, Any], category: str | None, status: str | None, expected: int
    ) -> None:
        filters = {name: value for name, value in (("category", category), ("status", status)) if value}
        assert len(breaks(ledger.client("bank"), injected["id"], **filters)) == expected

    def test_a_break_reads_alone_with_an_empty_history(self, ledger: Ledger, injected: dict[str, Any]) -> None:
        client = ledger.client("bank")
        listed = breaks(client, injected["id"])[0]
        one = client.get(f"/v1/reconciliations/{injected['id']}/breaks/{listed['id']}").json()
        assert one == {**listed, "history": []}

    def test_a_break_of_another_run_is_not_found_under_this_one(self, ledger: Ledger, injected: dict[str, Any]) -> None:
        client = ledger.client("bank")
        other = created(upload(client, BANK.address, books_csv("X1,03.03.2031,1.00,USD,NOPE"), mapping=MAPPING))
        foreign = breaks(client, other["id"])[0]["id"]
        response = client.get(f"/v1/reconciliations/{injected['id']}/breaks/{foreign}")
        assert response.status_code == 404
        assert response.json()["code"] == "break_not_found"


class TestBalanceDrift:
    def test_a_books_closing_balance_the_lines_do_not_explain_is_a_balance_drift(self, ledger: Ledger) -> None:
        camt = statement_file(ledger, BANK.address, "camt.053.001.08").decode()
        closing = re.search(r"<Cd>CLBD</Cd>.*?<Amt Ccy=\"USD\">([0-9.]+)</Amt>", camt, re.S)
        assert closing is not None
        drifted = camt[: closing.start(1)] + f"{float(closing.group(1)) + 1:.2f}" + camt[closing.end(1) :]
        run = created(upload(ledger.client("bank"), BANK.address, drifted.encode(), "camt.053"))
        (drift,) = breaks(ledger.client("bank"), run["id"])
        assert (drift["category"], drift["scope"], drift["difference"]) == ("BALANCE_DRIFT", "balance:USD", "100")


class TestTolerances:
    @pytest.mark.parametrize(("fields", "category"), [
        ({}, "AMOUNT_MISMATCH"),
        ({"amount_tolerance_minor": "3"}, None),  # |123.42 - 123.45| = 3 minor units
        ({"amount_tolerance_minor": "2"}, "AMOUNT_MISMATCH"),
        ({"amount_tolerance_bps": "3"}, None),  # 3 * 10,000 <= 3 bps * 12,345
        ({"amount_tolerance_bps": "2"}, "AMOUNT_MISMATCH"),
    ])  # fmt: skip
    def test_amount_tolerance(self, ledger: Ledger, fields: dict[str, str], category: str | None) -> None:
        books = books_csv("V4,03.03.2031,123.42,USD,LC-2031-0002")
        run = created(upload(ledger.client("bank"), BANK.address, books, mapping=MAPPING, first=DAY_1, last=DAY_1,
                             **fields))  # fmt: skip
        found = [b["category"] for b in breaks(ledger.client("bank"), run["id"]) if "V4" in b["book_line_ids"]]
        assert found == ([category] if category else [])

    @pytest.mark.parametrize(("fields", "category"), [
        ({}, "TIMING"), ({"date_window_days": "5"}, None), ({"date_window_days": "4"}, "TIMING"),
    ])  # fmt: skip
    def test_date_window(self, ledger: Ledger, fields: dict[str, str], category: str | None) -> None:
        books = books_csv("V5,09.03.2031,300.00,USD,LC-2031-0003")
        run = created(upload(ledger.client("bank"), BANK.address, books, mapping=MAPPING, **fields))
        found = [b["category"] for b in breaks(ledger.client("bank"), run["id"]) if "V5" in b["book_line_ids"]]
        assert found == ([category] if category else [])
        assert run["rules"]["date_window_days"] == int(fields.get("date_window_days", 2))

    def test_the_default_tolerances_are_the_library_default_rules(self) -> None:
        assert rules_of(Tolerances()) == DEFAULT_RULES


class TestPeriod:
    """A run covers a closed period, or one cut at the last indexed block when it has no end (as statements)."""

    def test_a_period_still_open_is_refused_and_nothing_is_stored(self, ledger: Ledger) -> None:
        client = ledger.client("bank")
        before = client.get("/v1/reconciliations", params={"limit": 200}).json()["items"]
        response = upload(
            client, BANK.address, books_csv(), mapping=MAPPING, first=DAY_2, last=DAY_2 + timedelta(days=2)
        )
        assert response.status_code == 409, response.text
        assert response.json()["code"] == "period_not_closed"
        assert client.get("/v1/reconciliations", params={"limit": 200}).json()["items"] == before

    def test_without_an_end_the_run_covers_the_ledger_up_to_the_last_indexed_block(self, ledger: Ledger) -> None:
        client = ledger.client("bank")
        whole_days = created(upload(client, BANK.address, books_csv(), mapping=MAPPING))
        response = client.post(
            "/v1/reconciliations",
            data={"account": BANK.address, "currency": "USD", "date_from": DAY_1.isoformat(), "format": "csv",
                  "mapping": json.dumps(MAPPING)},
            files={"books": ("books.csv", books_csv(), "text/csv")},
            headers={"Idempotency-Key": str(uuid.uuid4())},
        )  # fmt: skip
        so_far = created(response)
        with ledger.platform.sessions() as db:
            chain = ledger.platform.transactions
            indexed = indexed_until(db, chain.rpc, chain.chain_id)
        assert indexed is not None and datetime.fromisoformat(so_far["period_end"]) == indexed
        assert so_far["ledger_entries"]["total"] == whole_days["ledger_entries"]["total"]  # DAY_3 has none
