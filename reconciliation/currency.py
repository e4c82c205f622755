"""ISO 4217 currencies: codes and minor-unit exponents, so amounts stay exact integers of minor units."""

from __future__ import annotations

from decimal import Decimal
from functools import cache

import iso4217


class UnknownCurrencyError(ValueError):
    """The code is not an active ISO 4217 alphabetic code."""


class NotMoneyError(ValueError):
    """The code is an ISO 4217 unit that is not money: no amount of it can be paid."""


@cache
def _minor_unit(code: str) -> int | None:
    try:
        value = iso4217.Currency(code).exponent
    except ValueError:
        raise UnknownCurrencyError(f"unknown ISO 4217 currency code {code!r}") from None
    return None if value is None else int(value)


def exponent(code: str) -> int:
    """Number of minor-unit digits of `code` (USD 2, JPY 0, BHD 3; 0 for units without one, such as XAU)."""
    return _minor_unit(code) or 0


def money_exponent(code: str) -> int:
    """`exponent` of a code that is money: one for which ISO 4217 defines a minor unit.

    Why the minor unit decides: ISO 4217 gives "N.A." as the minor unit of exactly the codes that are not
    currencies: precious metals (XAU, XAG, XPT, XPD), the SDR (XDR), the bond-market units (XBA-XBD), the Sucre
    and ADB units of account (XSU, XUA), the testing code (XTS) and "no currency" (XXX). The iso4217 package
    carries that as an exponent of None, so the rule follows the standard's data, not a list of our own.

    Raises:
        UnknownCurrencyError: not an active ISO 4217 code.
        NotMoneyError: an ISO 4217 code without a minor unit.
    """
    value = _minor_unit(code)
    if value is None:
        raise NotMoneyError(f"{code} is not money (ISO 4217 defines no minor unit for it): it cannot be paid")
    return value


def to_major(amount_minor: int, code: str) -> Decimal:
    """Exact major-unit amount, e.g. 12345 USD minor units -> Decimal('123.45')."""
    return Decimal(amount_minor).scaleb(-exponent(code))


def to_minor(amount: Decimal | str, code: str) -> int:
    """Exact minor units of a major-unit amount; refuses amounts finer than the currency allows."""
    value = Decimal(amount).scaleb(exponent(code))
    if value != value.to_integral_value():
        raise ValueError(f"{amount} has more decimals than {code} allows ({exponent(code)})")
    return int(value)
