"""CSV 对账文件 writer: UTF-8 with BOM, detail rows then summary rows, fixed columns, exact decimals.

Layout (the four parts of the WeChat Pay / Alipay statement files, see the reference §5):

1. detail header: `DETAIL_COLUMNS`, each cell `中文(english)`;
2. one detail row per entry, in statement order;
3. summary header: `SUMMARY_COLUMNS`, first cell `对账单号(statement_id)` so readers can find it;
4. one summary row: the control totals (counts, sums, opening and closing balances).

Why a BOM: Excel opens BOM-less UTF-8 CSV as the local code page and garbles Chinese. Amounts are exact
decimal strings with the currency's exponent (and integer minor units alongside), never floats.
Formula injection: any text cell starting with `=`, `+`, `-`, `@`, tab or CR gets a `'` prefix; cells we
generate as plain decimal numbers (`-12.50`) are left as they are, they cannot be formulas.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable

from reconciliation.formats.common import BinaryOutput, ChunkedWriter, format_minor
from reconciliation.statements.model import StatementHeader, StatementLine

DETAIL_COLUMNS: tuple[tuple[str, str], ...] = (
    ("line_no", "序号"),
    ("booked_at", "记账时间"),
    ("value_date", "起息日"),
    ("entry_id", "分录号"),
    ("account", "本方账户"),
    ("counterparty", "对方账户"),
    ("currency", "币种"),
    ("direction", "借贷标志"),
    ("amount", "金额"),
    ("amount_minor", "金额(最小单位)"),
    ("balance_after", "余额"),
    ("kind", "业务类型"),
    ("reference", "业务参考号"),
    ("chain_id", "链ID"),
    ("block_number", "区块号"),
    ("block_hash", "区块哈希"),
    ("tx_hash", "交易哈希"),
    ("log_index", "日志序号"),
)

SUMMARY_COLUMNS: tuple[tuple[str, str], ...] = (
    ("statement_id", "对账单号"),
    ("sequence", "序列号"),
    ("account", "本方账户"),
    ("counterparty", "对方账户"),
    ("currency", "币种"),
    ("period_start", "起始时间"),
    ("period_end", "终止时间"),
    ("opening_balance", "期初余额"),
    ("debit_count", "借方笔数"),
    ("debit_total", "借方金额合计"),
    ("credit_count", "贷方笔数"),
    ("credit_total", "贷方金额合计"),
    ("entry_count", "总笔数"),
    ("closing_balance", "期末余额"),
)

_NUMBER = re.compile(r"-?\d+(\.\d+)?")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def header_cell(english: str, chinese: str) -> str:
    """The header text of a column: `中文(english)`."""
    return f"{chinese}({english})"


def safe_cell(value: str) -> str:
    """Neutralise spreadsheet formula injection: prefix `'` to text cells that could start a formula."""
    if value.startswith(_FORMULA_START) and not _NUMBER.fullmatch(value):
        return "'" + value
    return value


def _summary_row(header: StatementHeader) -> list[str]:
    t = header.totals
    c = header.currency
    return [
        header.statement_id,
        str(header.sequence),
        header.account,
        header.counterparty or "",
        c,
        header.period.start.isoformat(),
        header.period.end.isoformat(),
        format_minor(header.opening, c),
        str(t.debit_count),
        format_minor(t.debit_sum, c),
        str(t.credit_count),
        format_minor(t.credit_sum, c),
        str(t.entry_count),
        format_minor(header.closing, c),
    ]


def write_csv(out: BinaryOutput, header: StatementHeader, lines: Iterable[StatementLine]) -> None:
    """Write the CSV 对账文件 for the statement, streaming (CRLF rows, UTF-8 with BOM).

    Raises:
        IntegrityError: the lines do not add up to the header (raised after the last entry).
    """
    writer = ChunkedWriter(out)
    writer.write("\ufeff")
    rows = csv.writer(writer, lineterminator="\r\n")
    rows.writerow([header_cell(en, zh) for en, zh in DETAIL_COLUMNS])
    currency = header.currency
    tz = header.period.start.tzinfo
    for line in lines:
        e = line.entry
        ev = e.evidence
        rows.writerow(
            [
                str(line.line_no),
                e.booked_at.isoformat(),
                e.booked_at.astimezone(tz).date().isoformat(),
                str(e.entry_id),
                safe_cell(e.account),
                safe_cell(e.counterparty),
                currency,
                e.direction.value,
                format_minor(e.amount, currency),
                str(e.amount),
                format_minor(line.balance_after, currency),
                safe_cell(e.kind),
                safe_cell(e.reference),
                str(ev.chain_id),
                str(ev.block_number),
                safe_cell(ev.block_hash),
                safe_cell(ev.tx_hash),
                str(ev.log_index),
            ]
        )
    rows.writerow([header_cell(en, zh) for en, zh in SUMMARY_COLUMNS])
    rows.writerow([safe_cell(cell) for cell in _summary_row(header)])
    writer.flush()
