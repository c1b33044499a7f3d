"""The range of dates a person may type, and calendar months: one rule, one wording.

A date typed into a form or on the command line (training, a data sharing
agreement, a month to audit) is refused when it cannot be meant: before 1900,
or more than ten years after today. Without the limit a typo like 9999-12-31
is stored as a real expiry, or overflows the calendar when a month's end is
worked out. "Today" is always the caller's injected clock, so this stays pure.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date

from gvm_desktop.core.errors import ValidationError

EARLIEST = date(1900, 1, 1)
YEARS_AHEAD = 10

_MONTH = re.compile(r"([0-9]{4})-([0-9]{2})", re.ASCII)


def latest(today: date) -> date:
    """The last date allowed: ten years after `today` (28 February when that lands on 29 February)."""
    year = min(today.year + YEARS_AHEAD, date.max.year)
    day = min(today.day, calendar.monthrange(year, today.month)[1])
    return date(year, today.month, day)


def check_date(value: date, field: str, today: date) -> date:
    """`value` if it lies from 1900-01-01 to ten years after `today`; otherwise say the range."""
    last = latest(today)
    if not EARLIEST <= value <= last:
        raise ValidationError(f"{field} must be from {EARLIEST} to {last} (got {value.isoformat()}).")
    return value


@dataclass(frozen=True)
class Month:
    """A calendar month by its first and last day (the last, not the next month's first: 9999-12 has none)."""

    first: date
    last: date

    def __str__(self) -> str:
        return f"{self.first.year:04d}-{self.first.month:02d}"


def parse_month(text: str, today: date) -> Month:
    """A month typed as YYYY-MM, from 1900-01 to the month ten years after `today`.

    Parsed by pattern, not by date.fromisoformat, which also takes week dates such as 2026-W45.
    """
    found = _MONTH.fullmatch(text)
    if found is None or not 1 <= int(found[2]) <= 12:
        raise ValidationError(f"A month is YYYY-MM (got '{text[:10]}').")
    year, month = int(found[1]), int(found[2])
    last = latest(today)
    if not (EARLIEST.year, EARLIEST.month) <= (year, month) <= (last.year, last.month):
        raise ValidationError(f"The month must be from {EARLIEST:%Y-%m} to {last:%Y-%m} (got {text}).")
    return Month(date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1]))
