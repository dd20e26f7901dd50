"""Months: the periods of every analytics series (`from`/`to` are `YYYY-MM`)."""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date
from typing import Final

# A series is at most this many months long (twenty years).
MAX_MONTHS: Final = 240
DEFAULT_MONTHS: Final = 12


@dataclass(frozen=True, slots=True, order=True)
class Month:
    year: int
    month: int

    @classmethod
    def parse(cls, text: str) -> Month:
        """A `YYYY-MM` text (the query's pattern has checked its shape)."""
        year, month = text.split("-")
        return cls(int(year), int(month))

    @classmethod
    def of(cls, day: date) -> Month:
        return cls(day.year, day.month)

    @property
    def first_day(self) -> date:
        return date(self.year, self.month, 1)

    @property
    def last_day(self) -> date:
        return date(self.year, self.month, calendar.monthrange(self.year, self.month)[1])

    def plus(self, months: int) -> Month:
        index = self.year * 12 + self.month - 1 + months
        return Month(index // 12, index % 12 + 1)

    def __str__(self) -> str:
        return f"{self.year:04}-{self.month:02}"


def months_between(first: Month, last: Month) -> list[Month]:
    """`first` to `last`, both included."""
    count = (last.year - first.year) * 12 + last.month - first.month + 1
    return [first.plus(i) for i in range(max(count, 0))]


def years_before(day: date, years: int) -> date:
    """The same day `years` earlier (29 February: the 28th)."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)
