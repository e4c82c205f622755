"""JSON statement writer: one document `{"format", "header", "entries": [...], "summary"}`, streaming.

Every amount appears twice: as an exact decimal string with the currency's exponent (`"123.45"`) and as
integer minor units (`12345`); never as a JSON float, which most readers parse to binary floating point.
Keys are sorted and separators fixed, one entry per line, so the bytes are deterministic and diffable.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from reconciliation.formats.common import BinaryOutput, ChunkedWriter, format_minor
from reconciliation.statements.model import StatementHeader, StatementLine

FORMAT_NAME = "tradeledger.statement"
FORMAT_VERSION = 1


def _dump(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _money(amount: int, currency: str) -> dict[str, Any]:
    return {"amount": format_minor(amount, currency), "minor": amount}


def header_document(header: StatementHeader) -> dict[str, Any]:
    """The `header` object of the JSON statement."""
    return {
        "statement_id": header.statement_id,
        "sequence": header.sequence,
        "account": header.account,
        "account_id": header.account_id,
        "counterparty": header.counterparty,
        "currency": header.currency,
        "period": {"start": header.period.start.isoformat(), "end": header.period.end.isoformat()},
        "created_at": header.created_at.isoformat(),
        "opening_balance": _money(header.opening, header.currency),
    }


def summary_document(header: StatementHeader) -> dict[str, Any]:
    """The `summary` object: control totals and the closing balance."""
    t = header.totals
    c = header.currency
    return {
        "entry_count": t.entry_count,
        "debit_count": t.debit_count,
        "debit_total": _money(t.debit_sum, c),
        "credit_count": t.credit_count,
        "credit_total": _money(t.credit_sum, c),
        "net": _money(t.net, c),
        "opening_balance": _money(header.opening, c),
        "closing_balance": _money(header.closing, c),
    }


def entry_document(line: StatementLine, currency: str) -> dict[str, Any]:
    """One `entries[]` object."""
    e = line.entry
    ev = e.evidence
    return {
        "line_no": line.line_no,
        "entry_id": str(e.entry_id),
        "booked_at": e.booked_at.isoformat(),
        "account": e.account,
        "counterparty": e.counterparty,
        "direction": e.direction.value,
        "amount": _money(e.amount, currency),
        "balance_after": _money(line.balance_after, currency),
        "kind": e.kind,
        "reference": e.reference,
        "evidence": {
            "chain_id": ev.chain_id,
            "block_number": ev.block_number,
            "block_hash": ev.block_hash,
            "tx_hash": ev.tx_hash,
            "log_index": ev.log_index,
        },
    }


def write_json(out: BinaryOutput, header: StatementHeader, lines: Iterable[StatementLine]) -> None:
    """Write the JSON statement, streaming (UTF-8, no BOM, one entry per line).

    Entry ids are strings: they are uint256 on chain and exceed JavaScript's safe integers.

    Raises:
        IntegrityError: the lines do not add up to the header (raised after the last entry).
    """
    writer = ChunkedWriter(out)
    writer.write(
        "{"
        f'"format":{_dump(FORMAT_NAME)},"version":{FORMAT_VERSION},\n'
        f'"header":{_dump(header_document(header))},\n'
        '"entries":['
    )
    separator = "\n"
    for line in lines:
        writer.write(separator + _dump(entry_document(line, header.currency)))
        separator = ",\n"
    writer.write(f'\n],\n"summary":{_dump(summary_document(header))}\n}}\n')
    writer.flush()
