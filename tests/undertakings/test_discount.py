"""Receivables discounting: discount amounts to the minor unit against a hand-computed table."""

from __future__ import annotations

from datetime import date

import pytest

from tradeledger.undertakings.discount import DayCount, days_to_maturity, discount

ACT_360, ACT_365 = DayCount.ACT_360, DayCount.ACT_365


class TestDiscount:
    @pytest.mark.parametrize(
        "face, rate_bps, days, day_count, expected",
        [
            # face x rate x days / basis, worked by hand
            (1_000_000, 500, 90, ACT_360, 12_500),  # 1,000,000 x 0.05 x 90/360 = 12,500 exactly
            (1_000_000, 500, 90, ACT_365, 12_329),  # ... x 90/365 = 12,328.767 -> 12,329
            (123_457, 375, 61, ACT_360, 784),  # 282,407.8875 / 360 = 784.466 -> 784
            (123_457, 375, 61, ACT_365, 774),  # 282,407.8875 / 365 = 773.720 -> 774
            (3, 5_000, 120, ACT_360, 1),  # 3 x 0.5 x 120/360 = 0.5: half up -> 1
            (1, 10_000, 179, ACT_360, 0),  # 0.497 -> 0
            (250_000_00, 425, 30, ACT_360, 88_542),  # 25,000,000 x 0.0425 x 30/360 = 88,541.667 -> 88,542
            (250_000_00, 425, 30, ACT_365, 87_329),  # ... x 30/365 = 87,328.767 -> 87,329
            (1_000_000, 500, 0, ACT_360, 0),  # paid on the due date: no discount
            (100, 10_000, 720, ACT_360, 100),  # never more than the face value
        ],
    )
    def test_discount_to_the_minor_unit(
        self, face: int, rate_bps: int, days: int, day_count: DayCount, expected: int
    ) -> None:
        result = discount(face, rate_bps, days, day_count)
        assert result.discount == expected
        assert result.advance == face - expected

    @pytest.mark.parametrize("face, rate_bps, days", [(0, 100, 10), (100, -1, 10), (100, 10_001, 10), (100, 1, -1)])
    def test_invalid_inputs_are_refused(self, face: int, rate_bps: int, days: int) -> None:
        with pytest.raises(ValueError):
            discount(face, rate_bps, days, ACT_360)

    def test_days_to_maturity_counts_actual_days(self) -> None:
        assert days_to_maturity(date(2026, 1, 31), date(2026, 3, 1)) == 29  # February 2026 has 28 days
        assert days_to_maturity(date(2028, 1, 31), date(2028, 3, 1)) == 30  # 2028 is a leap year
        with pytest.raises(ValueError):
            days_to_maturity(date(2026, 3, 2), date(2026, 3, 1))
