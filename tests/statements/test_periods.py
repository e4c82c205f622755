"""Statement and run periods at the edges of what the formats can state: a 422 naming the field and the range
outside them, a statement (or a 409 for a period not closed yet) inside; on SQLite and PostgreSQL."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from typer.testing import CliRunner

from tests.api.conftest import problem
from tests.statements.conftest import WEST_BANK, Ledger
from tradeledger.cli import app

RANGE = "1970-01-02 to 9999-12-30"
MT940_RANGE = "1980-01-01 to 2079-12-31"

# (fields of the request, status, the field named, words of the detail)
CASES: list[tuple[dict[str, Any], int, str | None, str]] = [
    ({"date_from": "9999-12-31"}, 422, "date_from", RANGE),
    ({"date_from": "9999-12-31", "date_to": "9999-12-31"}, 422, "date_from", RANGE),
    ({"date_from": "9999-12-30", "date_to": "9999-12-31"}, 422, "date_to", RANGE),
    ({"date_from": "0001-01-01"}, 422, "date_from", RANGE),
    ({"date_from": "1969-12-31", "date_to": "1970-01-05"}, 422, "date_from", RANGE),
    ({"date_from": "1970-01-01", "date_to": "1970-01-01"}, 422, "date_from", RANGE),  # sequence number 0
    ({"date_from": "1970-01-02", "date_to": "1970-01-02"}, 201, None, ""),  # sequence number 1
    ({"date_from": "1970-01-02", "cut_off": "1970-01-02T12:00:00Z"}, 201, None, ""),
    ({"date_from": "9999-12-30"}, 409, None, "period_not_closed"),
    ({"date_from": "9999-12-30", "date_to": "9999-12-30"}, 409, None, "period_not_closed"),
    ({"date_from": "9999-12-30", "cut_off": "9999-12-31T00:00:00Z"}, 409, None, "period_not_closed"),
    ({"date_from": "9999-12-30", "cut_off": "9999-12-31T00:00:01Z"}, 422, "cut_off", "9999-12-31T00:00:00+00:00"),
    ({"date_from": "9999-12-30", "cut_off": "9999-12-31T23:59:59-05:00"}, 422, "cut_off", "the last day"),
    ({"date_from": "1970-01-02", "cut_off": "0001-01-01T00:00:00+05:00"}, 422, "cut_off", "not after"),
    ({"date_from": "1970-01-02", "cut_off": "1970-01-02T00:00:00Z"}, 422, "cut_off", "not after"),
    ({"date_from": "2000-01-01", "date_to": "2001-01-01"}, 422, "date_to", "at most 366 days"),
    ({"date_from": "2000-01-02", "date_to": "2000-01-01"}, 422, "date_to", "before date_from"),
    ({"format": "mt940", "date_from": "1979-12-31", "date_to": "1980-01-01"}, 422, "date_from", MT940_RANGE),
    ({"format": "mt940", "date_from": "1980-01-01", "date_to": "1980-01-01"}, 201, None, ""),
    ({"format": "mt940", "date_from": "2079-12-31", "date_to": "2079-12-31"}, 409, None, "period_not_closed"),
    ({"format": "mt940", "date_from": "2079-12-31", "date_to": "2080-01-01"}, 422, "date_to", MT940_RANGE),
    ({"format": "mt940", "date_from": "2080-01-01"}, 422, "date_from", MT940_RANGE),
]  # fmt: skip


def test_statement_periods_at_the_edges(instance: Ledger) -> None:
    client = instance.client("bank")
    for fields, status, field, words in CASES:
        body = {"account": WEST_BANK.address, "currency": "USD", "format": "json", **fields}
        response = client.post("/v1/statements", json=body, headers={"Idempotency-Key": str(uuid.uuid4())})
        assert response.status_code == status, (fields, response.text)
        if status == 201:
            assert response.json()["sequence"] == (1 if fields["date_from"] == "1970-01-02" else 3652)
            continue
        found = problem(response)
        assert words in str(found["detail"]) or words == found["code"], (fields, found)
        if field is not None:
            assert found["errors"] == [{"field": f"body.{field}", "message": found["detail"]}], found


def test_run_periods_at_the_edges(instance: Ledger) -> None:
    """Runs take their period as statements do: refused before the books file is read, and nothing stored."""
    client = instance.client("bank")
    for fields, status, field, words in CASES:
        if status != 422 or "format" in fields:
            continue
        form = {"account": WEST_BANK.address, "currency": "USD", "format": "csv", **fields}
        response = client.post(
            "/v1/reconciliations",
            data=form,
            files={"books": ("books.csv", b"not,read\n", "text/csv")},
            headers={"Idempotency-Key": str(uuid.uuid4())},
        )
        assert response.status_code == 422, (fields, response.text)
        assert words in str(problem(response)["detail"]), fields
        assert problem(response)["errors"] == [{"field": f"body.{field}", "message": problem(response)["detail"]}]
    assert client.get("/v1/reconciliations").json()["items"] == []


@pytest.mark.parametrize(("command", "options"), [
    ("statements", ["generate", "--format", "json"]),
    ("reconcile", ["run", "--format", "csv", "--books", "/dev/null"]),
])  # fmt: skip
@pytest.mark.parametrize(("dates", "message"), [
    (["--from", "9999-12-31"], "--from: 9999-12-31 is outside the days a"),
    (["--from", "1969-12-31"], "--from: 1969-12-31 is outside the days a"),
    (["--from", "9999-12-30", "--to", "9999-12-31"], "--to: 9999-12-31 is outside the days"),
    (["--from", "9999-12-30", "--cut-off", "9999-12-31T23:00:00-05:00"], "--cut-off: 9999-12-31T23:00:00-05:00 is"),
])  # fmt: skip
def test_the_cli_refuses_them_in_one_line(
    ledger: Ledger, monkeypatch: pytest.MonkeyPatch, command: str, options: list[str], dates: list[str], message: str
) -> None:
    monkeypatch.setenv("TRADELEDGER_DATA_DIR", str(ledger.platform.settings.data_dir))
    args = [command, *options[:1], "--account", WEST_BANK.address, "--currency", "USD", *options[1:], *dates]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 1, result.output
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith("error [invalid_value]: ") and message in line, line
    assert RANGE in line or "--cut-off" in line
