"""Malformed books files and requests are refused with a message naming the line and column; nothing is stored."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import func, select

from tests.posted_ledger import BANK, Ledger
from tests.reconciliations.helpers import HEADER, MAPPING, books_csv, created, upload
from tests.reconciliations.test_runs import statement_file
from tradeledger.reconciliations.models import BreakStatusChange, ReconciliationBreak, ReconciliationRun

GOOD = "V1,03.03.2031,-100.00,USD,INV-2031-001"


def _stored(ledger: Ledger) -> tuple[int, int, int]:
    with ledger.platform.sessions() as db:
        return tuple(  # type: ignore[return-value]
            db.scalar(select(func.count()).select_from(model)) or 0
            for model in (ReconciliationRun, ReconciliationBreak, BreakStatusChange)
        )


@pytest.fixture
def nothing_stored(ledger: Ledger) -> Iterator[None]:
    """The test's requests must leave no run, break or history row behind."""
    before = _stored(ledger)
    yield
    assert _stored(ledger) == before


def _camt_with_bad_amount(ledger: Ledger) -> tuple[bytes, int]:
    lines = statement_file(ledger, BANK.address, "camt.053.001.08").decode().splitlines(keepends=True)
    number = next(n for n, line in enumerate(lines) if "<Ntry>" in line) + 1
    number += next(n for n, line in enumerate(lines[number:]) if "<Amt " in line)
    lines[number] = lines[number].replace("</Amt>", "x</Amt>")
    return "".join(lines).encode(), number + 1


def _mt940_with_bad_amount(ledger: Ledger) -> tuple[bytes, int]:
    lines = statement_file(ledger, BANK.address, "mt940").decode().splitlines(keepends=True)
    number = next(n for n, line in enumerate(lines) if line.startswith(":61:"))
    lines[number] = lines[number].replace(",", ",,", 1)
    return "".join(lines).encode(), number + 1


@pytest.mark.usefixtures("nothing_stored")
class TestMalformedBooks:
    @pytest.mark.parametrize(("books", "line", "column", "reason"), [
        (HEADER.encode() + b"\n" + GOOD.encode() + b"\nV2,03.03.2031,25.00,USD,FEE-M\xfcller\n", 3, "encoding",
         "not utf-8-sig"),
        (b"Voucher,Date,Amount,E2E\n" + GOOD.encode() + b"\n", 1, "Currency", "column missing from header"),
        (books_csv("V1,03.03.2031,12.3x,USD,INV-2031-001"), 2, "Amount", "is not a decimal amount"),
        (books_csv("V1,03.03.2031,1.234,USD,INV-2031-001"), 2, "Amount", "more decimals than USD allows"),
        (books_csv(GOOD, "V2,03.03.2031,25.00,XYZ,FEE-001"), 3, "Currency", "unknown ISO 4217 currency code 'XYZ'"),
        (books_csv(GOOD, "V2,31.02.2031,25.00,USD,FEE-001"), 3, "Date", "does not match date format"),
        (books_csv(*[GOOD.replace("V1", f"V{n}") for n in range(5_000)], "V9,03.03.2031,,USD,X"), 5_002, "Amount",
         "value is empty"),
    ], ids=["bad-encoding", "missing-column", "unparseable-amount", "too-many-decimals", "unknown-currency",
            "impossible-date", "bad-last-line"])  # fmt: skip
    def test_csv(self, ledger: Ledger, books: bytes, line: int, column: str, reason: str) -> None:
        response = upload(ledger.client("bank"), BANK.address, books, mapping=MAPPING, name="gl.csv")
        assert response.status_code == 422, response.text
        problem = response.json()
        assert problem["code"] == "books_file_invalid"
        assert problem["detail"].startswith(f"gl.csv, line {line}, column {column!r}: ")
        assert reason in problem["detail"] and problem["detail"].endswith("nothing was imported")

    def test_camt053(self, ledger: Ledger) -> None:
        books, line = _camt_with_bad_amount(ledger)
        response = upload(ledger.client("bank"), BANK.address, books, "camt.053", name="day.xml")
        assert response.status_code == 422, response.text
        assert response.json()["detail"].startswith(f"day.xml, line {line}, column 'Ntry/Amt': ")

    def test_mt940(self, ledger: Ledger) -> None:
        books, line = _mt940_with_bad_amount(ledger)
        response = upload(ledger.client("bank"), BANK.address, books, "mt940", name="day.sta")
        assert response.status_code == 422, response.text
        assert response.json()["detail"].startswith(f"day.sta, line {line}, column ':61:")

    def test_a_file_of_another_format(self, ledger: Ledger) -> None:
        response = upload(ledger.client("bank"), BANK.address, books_csv(GOOD), "camt.053", name="gl.csv")
        assert response.status_code == 422
        assert response.json()["detail"].startswith("gl.csv, line 1, column 'xml': ")


def _doubled(books: bytes, start: str, end: str) -> tuple[bytes, int, int, str]:
    """The file with its first block repeated right after it: from a line starting `start` to the next starting
    `end` (a closing tag included, the next field not); the block's first line, its copy's, and its text."""
    lines = books.decode().splitlines(keepends=True)
    first = next(n for n, line in enumerate(lines) if line.lstrip().startswith(start))
    last = next(n for n in range(first + 1, len(lines)) if lines[n].lstrip().startswith(end))
    last += end.startswith("</")
    block = lines[first:last]
    return "".join([*lines[:last], *block, *lines[last:]]).encode(), first + 1, last + 1, "".join(block)


@pytest.mark.usefixtures("nothing_stored")
class TestDuplicateIds:
    """An id given to two lines of one file is a doubled or corrupt export: refused whole, naming both lines."""

    def test_csv_line_id_column(self, ledger: Ledger) -> None:
        books = books_csv(GOOD, "V2,03.03.2031,25.00,USD,FEE-001", GOOD.replace("-100.00", "-7.00"))
        response = upload(ledger.client("bank"), BANK.address, books, mapping=MAPPING, name="gl.csv")
        assert response.status_code == 422, response.text
        assert response.json()["code"] == "books_file_invalid"
        assert response.json()["detail"] == (
            "gl.csv, line 4, column 'Voucher': duplicate id 'V1': line 2 has it already; nothing was imported"
        )

    def test_camt053_entry_reference(self, ledger: Ledger) -> None:
        statement = statement_file(ledger, BANK.address, "camt.053.001.08")
        books, first, second, block = _doubled(statement, "<Ntry>", "</Ntry>")
        reference = block.split("<AcctSvcrRef>")[1].split("</AcctSvcrRef>")[0]
        response = upload(ledger.client("bank"), BANK.address, books, "camt.053", name="day.xml")
        assert response.status_code == 422, response.text
        assert response.json()["detail"] == (
            f"day.xml, line {second}, column 'Ntry/AcctSvcrRef': duplicate id {reference!r}: line {first} has it "
            "already; nothing was imported"
        )

    def test_mt940_bank_reference(self, ledger: Ledger) -> None:
        statement = statement_file(ledger, BANK.address, "mt940")
        books, first, second, block = _doubled(statement, ":61:", ":61:")
        reference = block.split("//")[1].split()[0]
        response = upload(ledger.client("bank"), BANK.address, books, "mt940", name="day.sta")
        assert response.status_code == 422, response.text
        assert response.json()["detail"] == (
            f"day.sta, line {second}, column ':61: bank reference': duplicate id {reference!r}: line {first} has it "
            "already; nothing was imported"
        )


@pytest.mark.usefixtures("nothing_stored")
class TestInvalidRequests:
    @pytest.mark.parametrize(("fields", "mapping", "fmt", "code", "detail"), [
        ({"account": "0x123"}, None, "csv", "validation_error", "body.account: String should match pattern"),
        ({"currency": "ABC"}, None, "csv", "invalid_value", "ABC"),
        ({"date_to": "2031-03-01"}, None, "csv", "invalid_value", "is before date_from"),
        ({}, {"booking_date": "Date"}, "csv", "validation_error", "mapping"),
        ({}, {**MAPPING, "ammount": "Amount"}, "csv", "validation_error", "unknown mapping keys ['ammount']"),
        ({}, MAPPING, "camt.053", "invalid_value", "a column mapping applies to csv books"),
        ({"format": "xlsx"}, None, None, "validation_error", "format"),
        ({"amount_tolerance_bps": "-1"}, None, "csv", "validation_error", "amount_tolerance_bps"),
        ({}, "{not json", "csv", "validation_error", "mapping"),
    ])  # fmt: skip
    def test_refused_before_reading_the_file(
        self,
        ledger: Ledger,
        fields: dict[str, str],
        mapping: dict[str, str] | str | None,
        fmt: str | None,
        code: str,
        detail: str,
    ) -> None:
        account = fields.pop("account", BANK.address)
        response = upload(ledger.client("bank"), account, books_csv(GOOD), fmt or fields.pop("format"),
                          mapping=mapping, **fields)  # fmt: skip
        assert response.status_code == 422, response.text
        assert (response.json()["code"], detail in response.json()["detail"]) == (code, True), response.text

    def test_no_file(self, ledger: Ledger) -> None:
        response = ledger.client("bank").post(
            "/v1/reconciliations",
            data={"account": BANK.address, "currency": "USD", "date_from": "2031-03-03", "date_to": "2031-03-03",
                  "format": "csv"},
            files={"other": ("x", b"")},
            headers={"Idempotency-Key": "no-file"},
        )  # fmt: skip
        assert response.status_code == 422
        assert "books" in response.json()["detail"]


def test_a_good_file_after_a_refused_one_is_stored_whole(ledger: Ledger) -> None:
    before = _stored(ledger)
    run = created(upload(ledger.client("bank"), BANK.address, books_csv(GOOD), mapping=MAPPING))
    assert _stored(ledger)[0] == before[0] + 1
    assert _stored(ledger)[1] == before[1] + sum(run["breaks_by_category"].values())


def test_csv_without_a_line_id_column_is_not_checked_for_them(ledger: Ledger) -> None:
    """Each line's id is then its file and line: a line booked twice is a DUPLICATE break of the run."""
    mapping = {key: value for key, value in MAPPING.items() if key != "line_id"}
    run = created(upload(ledger.client("bank"), BANK.address, books_csv(GOOD, GOOD), mapping=mapping))
    assert run["breaks_by_category"].get("DUPLICATE") == 1
