"""100,000 generated lines with known injected breaks through the service layer, on SQLite and PostgreSQL.

Every injected break must be stored, and nothing else (exact precision and recall), with the engine's amounts,
references and rule; then the stored breaks move through their lifecycle and export on the same database.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator

import pytest
from sqlalchemy.orm import Session, sessionmaker

from reconciliation.matching import BreakStatus, ImportedBooks, reconcile
from reconciliation.matching.synthetic import ACCOUNT, SyntheticDataset, generate
from tradeledger.reconciliations import repository, service
from tradeledger.reconciliations.export import export
from tradeledger.reconciliations.models import ReconciliationBreak
from tradeledger.reconciliations.schemas import ExportFormat, RunRequest
from tradeledger.store.db import make_engine, migrate, session_factory, transaction

LINES = 100_000


@pytest.fixture(scope="module")
def dataset() -> SyntheticDataset:
    return generate(LINES, seed=8)


@pytest.fixture
def sessions(database_url: str) -> Iterator[sessionmaker[Session]]:
    engine = make_engine(database_url)
    migrate(engine)
    yield session_factory(engine)
    engine.dispose()


def _record(sessions: sessionmaker[Session], dataset: SyntheticDataset) -> int:
    request = RunRequest.model_validate(
        {"account": ACCOUNT, "currency": "USD", "date_from": "2026-01-01", "date_to": "2026-01-28", "format": "csv"}
    )
    books = ImportedBooks(dataset.books)
    with transaction(sessions) as db:
        run = service.record(
            db,
            spec=service.spec_of(request),
            books=service.Books("synthetic.csv", "0x" + "00" * 32, 0, books),
            inputs=service.RunInputs(dataset.ledger, books, dataset.config),
            actor=ACCOUNT,
        )
        return run.id


def _stored(row: ReconciliationBreak) -> tuple[object, ...]:
    return (row.reference, row.category, row.subtype, row.side.value, tuple(map(int, row.ledger_entry_ids)),
            tuple(row.ledger_references), tuple(row.book_line_ids), tuple(row.book_references), row.currency,
            row.book_currency, row.ledger_amount, row.book_amount, row.difference, row.rule, row.tolerance, row.scope,
            row.detail)  # fmt: skip


def test_every_injected_break_is_stored_and_nothing_else(
    sessions: sessionmaker[Session], dataset: SyntheticDataset
) -> None:
    run_id = _record(sessions, dataset)
    with sessions() as db:
        rows = list(repository.all_breaks(db, run_id))
        view = service.run_view(db, service.visible_run(db, ACCOUNT, None, run_id))
    keys = [(r.category, r.subtype or "", tuple(map(int, r.ledger_entry_ids)), tuple(r.book_line_ids), r.scope)
            for r in rows]  # fmt: skip
    assert sorted(keys) == sorted(dataset.expected)  # exact precision and recall
    assert {category for category, *_ in keys} == {
        "MISSING_IN_COUNTERPARTY", "MISSING_IN_LEDGER", "AMOUNT_MISMATCH", "CURRENCY_MISMATCH", "DUPLICATE", "TIMING",
        "SPLIT_INCOMPLETE", "REVERSAL_OR_RETURN", "BALANCE_DRIFT", "SEQUENCE_GAP",
    }  # fmt: skip
    engine = reconcile(dataset.ledger, dataset.books, dataset.config)
    expected = {
        (b.break_id, b.category.value, b.subtype and b.subtype.value, b.side.value, b.ledger_entry_ids,
         b.ledger_references, b.book_line_ids, b.book_references, b.currency, b.book_currency, b.ledger_amount,
         b.book_amount, b.difference, b.rule, b.tolerance, b.extra, b.detail)
        for b in engine.breaks
    }  # fmt: skip
    assert {_stored(row) for row in rows} == expected
    assert view.ledger_entries.total == len(dataset.ledger) and view.book_lines.total == len(dataset.books)
    assert view.ledger_entries.matched == engine.summary.matched_ledger_entries
    assert view.breaks_by_category == engine.summary.breaks_by_category
    assert view.breaks_by_status == {"open": len(rows), "assigned": 0, "resolved": 0}


def test_lifecycle_and_export_on_the_database(sessions: sessionmaker[Session], dataset: SyntheticDataset) -> None:
    small = generate(2_000, seed=3, breaks_per_category=1)
    run_id = _record(sessions, small)
    with sessions() as db:
        first = repository.breaks(db, run_id, limit=1)[0].id
    for action, note, assignee in (("assign", None, "ops"), ("resolve", "fixed", None), ("reopen", "not fixed", None)):
        with transaction(sessions) as db:
            service.change_status(db, run_id=run_id, break_id=first, action=action, actor=ACCOUNT, actor_kind=None,
                                  note=note, assignee=assignee)  # fmt: skip
    with transaction(sessions) as db, pytest.raises(service.BreakTransitionError):
        service.change_status(db, run_id=run_id, break_id=first, action="reopen", actor=ACCOUNT, actor_kind=None,
                              note=None)  # fmt: skip
    with sessions() as db:
        history = repository.history(db, first)
        run = service.visible_run(db, ACCOUNT, None, run_id)
        exported_csv = b"".join(export(db, run, ExportFormat.CSV)).decode("utf-8-sig")
        exported_json = json.loads(b"".join(export(db, run, ExportFormat.JSON)))
        count = repository.count_breaks(db, run_id)
    assert [(h.from_status, h.to_status) for h in history] == [
        (BreakStatus.OPEN, BreakStatus.ASSIGNED),
        (BreakStatus.ASSIGNED, BreakStatus.RESOLVED),
        (BreakStatus.RESOLVED, BreakStatus.OPEN),
    ]
    assert len(list(csv.reader(io.StringIO(exported_csv)))) == count + 1
    assert len(exported_json["breaks"]) == count == len(small.expected)
