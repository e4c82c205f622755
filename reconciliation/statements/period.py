"""Statement periods: half-open time windows with a configurable daily cut-off.

Why half-open `[start, end)`: consecutive periods then tile time exactly, so every entry lands in exactly
one statement and "today's opening = yesterday's closing" holds by construction.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo


class PeriodError(ValueError):
    """A period is empty, reversed or uses naive datetimes."""


@dataclass(frozen=True, slots=True)
class Period:
    """A statement period `[start, end)`.

    Attributes:
        start: first instant included (timezone-aware).
        end: first instant excluded (timezone-aware); must be after `start`.
    """

    start: datetime
    end: datetime

    def __post_init__(self) -> None:
        if self.start.tzinfo is None or self.end.tzinfo is None:
            raise PeriodError("period bounds must be timezone-aware")
        if self.end <= self.start:
            raise PeriodError(f"period end {self.end.isoformat()} is not after start {self.start.isoformat()}")

    def contains(self, instant: datetime) -> bool:
        """Whether `instant` falls inside `[start, end)`."""
        return self.start <= instant < self.end

    @property
    def opening_date(self) -> date:
        """Local calendar date of the opening balance (the day the period starts)."""
        return self.start.date()

    @property
    def closing_date(self) -> date:
        """Local calendar date of the closing balance: the date of the last included instant.

        For a `business_day` period this is the business date itself. Why not `end.date()`: with a
        midnight cut-off `end` is the next day's 00:00, which belongs to the next statement.
        """
        return (self.end - timedelta(microseconds=1)).date()

    @classmethod
    def business_day(cls, day: date, cutoff: time = time(0), tz: tzinfo = UTC) -> Period:
        """The period of business day `day` for a daily cut-off `cutoff` in time zone `tz`.

        The business day closes at the first `cutoff` instant strictly after `day` 00:00 local time:
        with the default midnight cut-off `day` covers `[day 00:00, day+1 00:00)`; with a 17:00 cut-off it
        covers `[day-1 17:00, day 17:00)` (entries after the cut-off are booked on the next business
        day, as banks do).

        Args:
            day: the business date.
            cutoff: local time of day at which the business day closes (naive `time`).
            tz: the time zone the cut-off is expressed in (UTC by default).
        """
        return cls(_day_end(day - timedelta(days=1), cutoff, tz), _day_end(day, cutoff, tz))


def _day_end(day: date, cutoff: time, tz: tzinfo) -> datetime:
    if cutoff == time(0):
        return datetime.combine(day + timedelta(days=1), time(0), tzinfo=tz)
    return datetime.combine(day, cutoff, tzinfo=tz)


def daily_periods(first: date, last: date, cutoff: time = time(0), tz: tzinfo = UTC) -> Iterator[Period]:
    """Consecutive business-day periods from `first` to `last` inclusive (they tile without gaps).

    Args:
        first: first business date.
        last: last business date (inclusive).
        cutoff: daily cut-off, see `Period.business_day`.
        tz: time zone of the cut-off.
    """
    if last < first:
        raise PeriodError(f"last day {last} is before first day {first}")
    day = first
    while day <= last:
        yield Period.business_day(day, cutoff, tz)
        day += timedelta(days=1)
