"""UCP 600 Art 30 on the terms: "about" on the amount (a 10 % tolerance the contract enforces) and on the quantity,
and the 5 % quantity tolerance of Art 30b; each test is named after its article."""

from __future__ import annotations

from decimal import Decimal

from tests.lcs.test_terms import errors_for, sample
from tradeledger.lcs.terms import LetterOfCreditTerms, chain_parameters


def _terms(**overrides: object) -> LetterOfCreditTerms:
    return LetterOfCreditTerms.model_validate(sample(**overrides))


def test_art_30a_about_the_amount_is_ten_percent_either_way() -> None:
    """Art 30a: "about" the amount allows 10 % more or 10 % less; on chain it is the credit's tolerance."""
    about = chain_parameters(_terms(amount_about=True, tolerance_plus_pct=None, tolerance_minus_pct=None))
    assert (about["tolerancePlusBps"], about["toleranceMinusBps"]) == (1_000, 1_000)
    plain = chain_parameters(_terms(tolerance_plus_pct=None, tolerance_minus_pct=None))
    assert (plain["tolerancePlusBps"], plain["toleranceMinusBps"]) == (0, 0)  # the contract applies Art 30c


def test_art_30a_about_and_a_stated_tolerance_are_not_both_given() -> None:
    """Art 30a / MT700 39A: "about" is a tolerance; a credit stating both would be ambiguous."""
    [(_, message)] = errors_for(amount_about=True)  # the sample states 39A +10/-5
    assert "amount_about" in message and "Art 30a" in message


def test_art_30a_about_the_quantity_is_ten_percent_either_way() -> None:
    """Art 30a: "about" the quantity allows 10 % more or less of it."""
    assert _terms(quantity=1_000, quantity_about=True).quantity_bounds() == (Decimal(900), Decimal(1_100))


def test_art_30b_quantity_tolerance_five_percent() -> None:
    """Art 30b: 5 % more or less of the quantity, unless stated in packing units or individual items."""
    assert _terms(quantity=1_000).quantity_bounds() == (Decimal(950), Decimal(1_050))
    assert _terms(quantity=1_000, quantity_in_units=True).quantity_bounds() == (Decimal(1_000), Decimal(1_000))
    assert _terms().quantity_bounds() is None


def test_terms_without_the_new_fields_keep_their_hash() -> None:
    """The Art 30 fields are optional and left out of the canonical form when absent: old hashes stay valid."""
    assert "about" not in _terms().model_dump_json(exclude_none=True)
