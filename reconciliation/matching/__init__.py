"""Books ↔ ledger matching: import an institution's books, match them to the ledger, classify the breaks.

Pure: imports nothing of `tradeledger`, web3 or FastAPI, so a bank or an auditor can run it on exports
alone. The pieces:

* `books`: the `BookLine` model and the importers' common error (`BookImportError`);
* `csv_import`, `camt_import`, `mt940_import`: the importers;
* `rules`: matching rules (AND of criteria) and strategies;
* `engine`: `reconcile()`, leftovers → breaks, balance and sequence checks;
* `breaks`, `result`: what a run returns;
* `synthetic`: deterministic data with known injected breaks (tests, benchmark, demo).
"""

from reconciliation.matching.books import (
    BookImportError,
    BookLine,
    BookStatement,
    EntryStatus,
    ImportedBooks,
    SourceLocation,
)
from reconciliation.matching.breaks import AmountMismatchSubtype, Break, BreakCategory, BreakStatus, Side
from reconciliation.matching.camt_import import import_camt053
from reconciliation.matching.csv_import import CsvMapping, import_csv
from reconciliation.matching.engine import BalanceInputs, MismatchPolicy, ReconcileConfig, reconcile
from reconciliation.matching.mt940_import import import_mt940
from reconciliation.matching.result import Match, MatchSet, RunResult, RunSummary
from reconciliation.matching.rules import (
    DEFAULT_RULES,
    AmountCriterion,
    DateWindow,
    MatchRule,
    ReferenceCriterion,
    Strategy,
)

__all__ = [
    "DEFAULT_RULES",
    "AmountCriterion",
    "AmountMismatchSubtype",
    "BalanceInputs",
    "BookImportError",
    "BookLine",
    "BookStatement",
    "Break",
    "BreakCategory",
    "BreakStatus",
    "CsvMapping",
    "DateWindow",
    "EntryStatus",
    "ImportedBooks",
    "Match",
    "MatchRule",
    "MatchSet",
    "MismatchPolicy",
    "ReconcileConfig",
    "ReferenceCriterion",
    "RunResult",
    "RunSummary",
    "Side",
    "SourceLocation",
    "Strategy",
    "import_camt053",
    "import_csv",
    "import_mt940",
    "reconcile",
]
