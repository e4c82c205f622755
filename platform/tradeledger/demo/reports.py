"""The demo's reconciliation half: statements for every member in every format, bilateral anchors, a
books-vs-ledger run with injected breaks, and an auditor's verification of a file against the chain alone."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from reconciliation.entries import Direction
from reconciliation.formats import StatementFormat
from reconciliation.validation import camt_errors
from tradeledger.chain.manifest import DeploymentManifest
from tradeledger.demo.trade import Api, Cast, DemoStepError, JsonObject, Party, TradeOutcome
from tradeledger.statements.audit import file_entries

INDEXED_WAIT_S = 60.0  # the chain's next blocks and their indexing, on a busy machine
STATEMENT_FORMATS = (StatementFormat.CAMT053, StatementFormat.MT940, StatementFormat.CSV, StatementFormat.JSON)


@dataclass(frozen=True)
class SavedStatement:
    """A statement downloaded into the output directory with its signed manifest."""

    party: Party
    view: JsonObject
    file: Path
    manifest: Path


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


def file_problems(saved: SavedStatement) -> list[str]:
    """What is wrong with a downloaded statement file: its hash, its schema (camt), and whether its entries,
    read back by the format's reader, add up from the opening to the closing balance."""
    view = saved.view
    content = saved.file.read_bytes()
    problems = []
    if "0x" + hashlib.sha256(content).hexdigest() != view["file_sha256"]:
        problems.append("the file's SHA-256 is not the manifest's")
    fmt = StatementFormat(view["format"])
    if fmt.extension == "xml":
        problems.extend(f"XSD: {error}" for error in camt_errors(saved.file, fmt.value))
    entries = file_entries(saved.file, fmt)
    if entries is None:
        return problems
    if len(entries) != view["entry_count"]:
        problems.append(f"{len(entries)} entries read back, the statement has {view['entry_count']}")
    movement = sum(e.amount if e.direction is Direction.CREDIT else -e.amount for e in entries)
    if int(view["opening"]) + movement != int(view["closing"]):
        problems.append(f"opening {view['opening']} + entries {movement} != closing {view['closing']}")
    return problems


class Reports:
    """Statements, anchors, reconciliation and audit over the ledger the trade left behind."""

    def __init__(self, api: Api, cast: Cast, outcome: TradeOutcome, out: Path, today: date) -> None:
        self.api = api
        self.cast = cast
        self.outcome = outcome
        self.out = out
        self.today = today

    def statement(
        self,
        party: Party,
        fmt: StatementFormat,
        *,
        counterparty: Party | None = None,
        cut_off: str | None = None,
        day: date | None = None,
    ) -> SavedStatement:
        """Today's (or `day`'s) statement so far (up to the last indexed block), or up to `cut_off`."""
        body: dict[str, Any] = {
            "account": party.address,
            "currency": "USD",
            "format": fmt.value,
            "date_from": (day or self.today).isoformat(),
            "counterparty": None if counterparty is None else counterparty.address,
            "cut_off": cut_off,
        }
        view = self.api.post(party, "/v1/statements", body, expect=201)
        folder = self.out / "statements" / _slug(party.member.name)
        folder.mkdir(parents=True, exist_ok=True)
        stem = f"{view['statement_id']}-{_slug(view['period_end'])}" + ("" if counterparty is None else "-pair")
        file = folder / f"{stem}.{fmt.extension}"
        file.write_bytes(self.api.download(party, f"/v1/statements/{view['id']}/file"))
        manifest = folder / f"{stem}.{fmt.extension}.manifest.json"
        manifest.write_bytes(self.api.download(party, f"/v1/statements/{view['id']}/manifest"))
        return SavedStatement(party, view, file, manifest)

    def statements(self, progress: Callable[[], None] = lambda: None) -> list[SavedStatement]:
        """Every member's statement in every format, each checked by reading it back."""
        self.api.step = "statements"
        saved: list[SavedStatement] = []
        problems: list[str] = []
        for party in self.cast.account_holders():
            for fmt in STATEMENT_FORMATS:
                statement = self.statement(party, fmt)
                saved.append(statement)
                problems.extend(f"{statement.file.name}: {p}" for p in file_problems(statement))
                progress()
        self.outcome.check(
            "statements valid in every format",
            not problems,
            "; ".join(problems[:3])
            or f"{len(saved)} files ({len(self.cast.account_holders())} members x camt.053, MT940, CSV, JSON) in "
            f"{self.out / 'statements'}",
        )
        return saved

    def bilateral(self) -> list[SavedStatement]:
        """Each side of a pair anchors its own statement of the pair; equal roots mark it AGREED on chain."""
        self.api.step = "bilateral anchors"
        pairs = ((self.cast.issuing_bank, self.cast.advising_bank), (self.cast.advising_bank, self.cast.exporter))
        statuses, anchored_files = [], []
        for first, second in pairs:
            one = self.statement(first, StatementFormat.CAMT053, counterparty=second)
            two = self.statement(second, StatementFormat.CAMT053, counterparty=first, cut_off=one.view["period_end"])
            if one.view["merkle_root"] != two.view["merkle_root"]:
                raise DemoStepError(f"bilateral anchors: {first.member.name} and {second.member.name} differ")
            self.api.post(first, f"/v1/statements/{one.view['id']}/anchor")
            anchored = self.api.post(second, f"/v1/statements/{two.view['id']}/anchor")
            statuses.append((first.member.name, second.member.name, anchored["anchor_status"]))
            anchored_files += [one, two]
        self.outcome.check(
            "bilateral anchors agreed",
            all(status == "AGREED" for *_, status in statuses),
            "; ".join(f"{a} / {b}: {status}" for a, b, status in statuses),
        )
        return anchored_files

    def audit(self, saved: SavedStatement, rpc_url: str, deployment: DeploymentManifest) -> None:
        """What `tradeledger audit verify FILE MANIFEST --rpc URL` does: the file against the chain alone."""
        from tradeledger.chain.ledger import ChainLedgerReader
        from tradeledger.chain.rpc import HttpJsonRpc
        from tradeledger.statements.audit import load_signed_manifest, verify_statement

        self.api.step = "audit verify"
        manifest, signature = load_signed_manifest(saved.manifest.read_bytes())
        client = HttpJsonRpc(rpc_url)
        try:
            reader = ChainLedgerReader(
                client,
                settlement=deployment.address("Settlement"),
                anchor=deployment.address("ReconciliationAnchor"),
                from_block=deployment.deploy_block,
            )
            problems = verify_statement(saved.file, manifest, signature, reader)
        finally:
            client.close()
        self.outcome.check(
            "audit verify passed",
            not problems,
            "; ".join(problems[:3])
            or f"{saved.file.name}: {manifest.entry_count} entries, signature, anchor and "
            "every entry checked against the chain",
        )

    def due_date_settlement(self, settled: JsonObject) -> None:
        """The settlement's movement in both banks' statements of its day, under the undertaking's reference:
        Bank A's debit and Bank B's credit of `BPU<id>-PAY`."""
        self.api.step = "settlement statements"
        self._indexed_past(settled["settled_at"])
        day = datetime.fromtimestamp(settled["settled_at"], UTC).date()
        reference, amount = f"BPU{settled['undertaking_id']}-PAY", int(settled["amount"])
        banks = ((self.cast.issuing_bank, Direction.DEBIT), (self.cast.advising_bank, Direction.CREDIT))
        expected = {party.member.name: [(direction.value, amount)] for party, direction in banks}
        found = {}
        for party, _ in banks:
            entries = json.loads(self.statement(party, StatementFormat.JSON, day=day).file.read_bytes())["entries"]
            found[party.member.name] = [
                (entry["direction"], entry["amount"]["minor"]) for entry in entries if entry["reference"] == reference
            ]
        due = datetime.fromtimestamp(settled["due_date"], UTC).date()
        self.outcome.check(
            "open account: settled on the due date by the scheduler",
            settled["state"] == "SETTLED" and found == expected,
            f"the chain's clock passed {due}; the scheduler settled undertaking {settled['undertaking_id']}: "
            f"{reference} USD {amount / 100:,.2f} on {day}, in the statements: "
            + "; ".join(
                f"{name} {', '.join(f'{direction} {minor / 100:,.2f}' for direction, minor in moves) or 'none'}"
                for name, moves in found.items()
            ),
        )

    def _indexed_past(self, moment: int) -> None:
        """Wait until the read model holds a block stamped after `moment`: a statement is final only up to a second
        the ledger has closed, and a settlement right after the clock moved shares its second with the blocks that
        follow it."""

        def health() -> JsonObject:
            return self.api.get(self.cast.auditor, "/v1/health")

        deadline = time.monotonic() + INDEXED_WAIT_S
        while health()["chain_time"] <= moment + 1:
            if time.monotonic() > deadline:
                raise DemoStepError(f"settlement statements: the chain's clock stands before {moment + 2}")
            time.sleep(0.25)
        head = health()["block_number"]  # stamped after moment + 1
        while health()["indexed_block"] < head:
            if time.monotonic() > deadline:
                raise DemoStepError(f"settlement statements: block {head} is not in the read model")
            time.sleep(0.25)

    def reconciliation(self, books_statement: SavedStatement) -> None:
        """A bank's books are its own CSV statement with four breaks injected; the run must find exactly them."""
        self.api.step = "books-vs-ledger reconciliation"
        party = books_statement.party
        books, injected = inject_breaks(books_statement.file.read_bytes())
        folder = self.out / "reconciliation"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "books.csv").write_bytes(books)
        run = self.api.post_file(
            party,
            "/v1/reconciliations",
            files={"books": ("books.csv", books, "text/csv")},
            data={
                "account": party.address,
                "currency": "USD",
                "date_from": self.today.isoformat(),
                "cut_off": books_statement.view["period_end"],  # the books' own cut-off
                "format": "csv",
            },
        )
        (folder / "breaks.csv").write_bytes(
            self.api.download(party, f"/v1/reconciliations/{run['id']}/export?format=csv")
        )
        found = {category: count for category, count in run["breaks_by_category"].items() if count}
        self.outcome.check(
            "injected reconciliation breaks found",
            found == injected,
            f"{party.member.name}: run {run['id']} found {_counts(found)}; injected {_counts(injected)}; "
            f"breaks in {folder / 'breaks.csv'}",
        )


def _counts(categories: dict[str, int]) -> str:
    """`1 missing in books, 1 duplicate`: in a books-vs-ledger run the books are the counterparty side."""
    names = {category: category.lower().replace("_", " ") for category in categories}
    names["MISSING_IN_COUNTERPARTY"] = "missing in books"
    return ", ".join(f"{count} {names[category]}" for category, count in sorted(categories.items()))


def inject_breaks(statement_csv: bytes) -> tuple[bytes, dict[str, int]]:
    """Books made from a CSV statement (UTF-8 with BOM, detail rows then summary rows): one entry left out, one
    amount changed, one line booked twice, one line the ledger never had. Returns the books and the breaks of each
    category a reconciliation must find."""
    rows = list(csv.reader(io.StringIO(statement_csv.decode("utf-8-sig"))))
    header, details = rows[0], []
    for row in rows[1:]:
        if row and row[0].endswith("(statement_id)"):
            break
        details.append(row)
    if len(details) < 3:
        raise DemoStepError(f"books-vs-ledger reconciliation: {len(details)} entries are too few to inject breaks into")
    column = {cell[cell.rfind("(") + 1 : -1]: index for index, cell in enumerate(header)}

    def with_amount(row: list[str], minor: int) -> list[str]:
        changed = list(row)
        changed[column["amount_minor"]] = str(minor)
        changed[column["amount"]] = f"{minor // 100}.{minor % 100:02d}"
        return changed

    dropped, altered, doubled = details[0], details[1], details[2]
    unknown = with_amount(doubled, 123_45)
    unknown[column["entry_id"]], unknown[column["reference"]] = "900000001", "NOT-IN-LEDGER-1"
    books = [row for row in details if row is not dropped]
    books[books.index(altered)] = with_amount(altered, int(altered[column["amount_minor"]]) + 50_00)
    booked_again = list(doubled)  # a second voucher for the same payment: its own line id, the same reference
    booked_again[column["entry_id"]] = "900000002"
    books += [booked_again, unknown]
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows([header, *books])
    injected = {"MISSING_IN_COUNTERPARTY": 1, "AMOUNT_MISMATCH": 1, "DUPLICATE": 1, "MISSING_IN_LEDGER": 1}
    return ("\ufeff" + out.getvalue()).encode("utf-8"), injected
