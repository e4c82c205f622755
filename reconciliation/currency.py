"""ISO 4217 currencies: codes and minor-unit exponents, so amounts stay exact integers of minor units."""

from __future__ import annotations

from decimal import Decimal
from functools import cache

import iso4217


class UnknownCurrencyError(ValueError):
    """The code is not an active ISO 4217 alphabetic code."""


@cache
def exponent(code: str) -> int:
    """Number of minor-unit digits of `code` (USD 2, JPY 0, BHD 3)."""
    try:
        value = iso4217.Currency(code).exponent
    except ValueError:
        raise UnknownCurrencyError(f"unknown ISO 4217 currency code {code!r}") from None
    return int(value or 0)


def to_major(amount_minor: int, code: str) -> Decimal:
    """Exact major-unit amount, e.g. 12345 USD minor units -> Decimal('123.45')."""
    return Decimal(amount_minor).scaleb(-exponent(code))


def to_minor(amount: Decimal | str, code: str) -> int:
    """Exact minor units of a major-unit amount; refuses amounts finer than the currency allows."""
    value = Decimal(amount).scaleb(exponent(code))
    if value != value.to_integral_value():
        raise ValueError(f"{amount} has more decimals than {code} allows ({exponent(code)})")
    return int(value)
