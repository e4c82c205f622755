"""A generated data set with injected breaks of every category: found with 100% precision and recall."""

from __future__ import annotations

from collections import Counter

import pytest

from reconciliation.matching import BreakCategory, RunResult, reconcile
from reconciliation.matching.synthetic import SyntheticDataset, generate


@pytest.fixture(scope="module")
def dataset() -> SyntheticDataset:
    return generate(100_000, seed=20260302)


@pytest.fixture(scope="module")
def result(dataset: SyntheticDataset) -> RunResult:
    return reconcile(dataset.ledger, dataset.books, dataset.config)


class TestGeneratedHundredThousand:
    def test_every_category_is_injected(self, dataset: SyntheticDataset) -> None:
        categories = Counter(key[0] for key in dataset.expected)
        assert set(categories) == {category.value for category in BreakCategory}
        subtypes = {key[1] for key in dataset.expected if key[0] == BreakCategory.AMOUNT_MISMATCH.value}
        assert subtypes == {"FEE", "FX", "PARTIAL"}
        assert len(dataset.ledger) >= 100_000 and len(dataset.books) >= 100_000

    def test_precision_and_recall_are_exact(self, dataset: SyntheticDataset, result: RunResult) -> None:
        found = [b.key for b in result.breaks]
        expected = set(dataset.expected)
        assert len(found) == len(set(found)), "a break was reported twice"
        assert len(expected) == len(dataset.expected)
        false_positives = set(found) - expected
        false_negatives = expected - set(found)
        assert not false_positives and not false_negatives, (sorted(false_positives)[:5], sorted(false_negatives)[:5])

    def test_benign_differences_are_matched_by_their_rule(self, dataset: SyntheticDataset, result: RunResult) -> None:
        per_rule = result.summary.matches_by_rule
        n = dataset.injected["rounding"]
        assert per_rule["reference-amount-rounding (one-to-one)"] == n
        assert per_rule["reference-split (one-to-many)"] == dataset.injected["split"]
        assert per_rule["reference-batch (many-to-one)"] == dataset.injected["batch"]
        assert per_rule["amount-same-day (one-to-one)"] == dataset.injected["lost_reference"]

    def test_no_item_is_matched_twice(self, result: RunResult) -> None:
        ledger_ids = [i for m in result.matches for i in m.ledger_entry_ids]
        line_ids = [i for m in result.matches for i in m.book_line_ids]
        assert len(ledger_ids) == len(set(ledger_ids)) == result.summary.matched_ledger_entries
        assert len(line_ids) == len(set(line_ids)) == result.summary.matched_book_lines
        broken_ledger = {i for b in result.breaks for i in b.ledger_entry_ids}
        broken_lines = {i for b in result.breaks for i in b.book_line_ids}
        assert not broken_ledger & set(ledger_ids)
        assert not broken_lines & set(line_ids)


class TestGeneratorIsDeterministic:
    def test_same_seed_same_data_and_breaks(self) -> None:
        first, second = generate(2_000, seed=5, breaks_per_category=2), generate(2_000, seed=5, breaks_per_category=2)
        assert first.ledger == second.ledger and first.books == second.books
        assert first.expected == second.expected
        ids = [b.break_id for b in reconcile(first.ledger, first.books, first.config).breaks]
        assert ids == [b.break_id for b in reconcile(second.ledger, second.books, second.config).breaks]

    def test_other_seed_other_data(self) -> None:
        assert (
            generate(2_000, seed=5, breaks_per_category=2).ledger
            != generate(2_000, seed=6, breaks_per_category=2).ledger
        )

    @pytest.mark.parametrize("seed", range(5))
    def test_small_sets_are_exact_too(self, seed: int) -> None:
        data = generate(3_000, seed=seed, breaks_per_category=3)
        found = {b.key for b in reconcile(data.ledger, data.books, data.config).breaks}
        assert found == set(data.expected)

    def test_too_small_is_refused(self) -> None:
        with pytest.raises(ValueError, match="too small"):
            generate(50, breaks_per_category=5)
