"""Receivables discounting arithmetic (pure): the discount a financier charges for paying before maturity.

Simple (bank) discount on the face value, in integer minor units of the currency:

    discount = face x rate x days / basis,  rounded half up to the minor unit
    advance  = face - discount

`rate` is an annual rate in basis points, `days` the actual calendar days from the value date (the day the
financier pays) to the maturity (the undertaking's due date), and `basis` 360 (ACT/360, the money-market
convention of USD and EUR) or 365 (ACT/365 fixed, GBP and many Asian markets). The computation is exact in
integers; only the final division rounds, half up (a half minor unit goes to the financier).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum

BPS = 10_000


class DayCount(StrEnum):
    ACT_360 = "ACT/360"
    ACT_365 = "ACT/365"

    @property
    def basis(self) -> int:
        return 360 if self is DayCount.ACT_360 else 365


@dataclass(frozen=True)
class Discount:
    face: int
    rate_bps: int
    days: int
    day_count: DayCount
    discount: int

    @property
    def advance(self) -> int:
        return self.face - self.discount


def days_to_maturity(value_date: date, maturity: date) -> int:
    """Actual calendar days from `value_date` to `maturity` (0 on the day itself)."""
    days = (maturity - value_date).days
    if days < 0:
        raise ValueError(f"maturity {maturity.isoformat()} is before the value date {value_date.isoformat()}")
    return days


def discount(face: int, rate_bps: int, days: int, day_count: DayCount) -> Discount:
    """The discount on `face` minor units at `rate_bps` a year for `days` days under `day_count`."""
    if face <= 0:
        raise ValueError(f"the face value must be positive minor units, not {face}")
    if not 0 <= rate_bps <= BPS:
        raise ValueError(f"the rate must be between 0 and {BPS} basis points a year, not {rate_bps}")
    if days < 0:
        raise ValueError(f"days to maturity must not be negative, not {days}")
    numerator = face * rate_bps * days
    denominator = BPS * day_count.basis
    amount = (2 * numerator + denominator) // (2 * denominator)  # half up; every term is non-negative
    return Discount(face, rate_bps, days, day_count, min(amount, face))
