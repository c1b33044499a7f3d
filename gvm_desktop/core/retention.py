"""What the retention purge removes and what its preview shows: references, review numbers and dates, no name."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class Purged:
    archive: int  # archive rows past their purge date
    reviews: int  # signed reviews signed at least the retention period ago
    review_items: int  # their items (the people each one listed)


@dataclass(frozen=True)
class DueArchive:
    """An archive row (a removed person, kept without name, date of birth or address) past its purge date."""

    ref: str
    bcu: str
    due_on: date  # its purge_after: the first day it may be purged


@dataclass(frozen=True)
class DueReview:
    """A signed review the purge would remove: by id, BCU and quarter (the people it lists are not shown)."""

    id: int
    bcu: str
    quarter: str
    signed_on: date
    due_on: date  # the day it became due: signed_on plus the retention period


@dataclass(frozen=True)
class PurgePreview:
    """What the purge would remove if run now: references and review numbers with their due dates."""

    today: date
    years: int  # the retention period, as the setting reads now
    archive_rows: tuple[DueArchive, ...]
    reviews: tuple[DueReview, ...]

    @property
    def archive_by_bcu(self) -> dict[str, int]:
        return dict(sorted(Counter(row.bcu for row in self.archive_rows).items()))

    @property
    def archive(self) -> int:
        return len(self.archive_rows)

    @property
    def empty(self) -> bool:
        return not self.archive_rows and not self.reviews


def years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return date(day.year - years, 2, 28)


def years_after(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return date(day.year + years, 3, 1)
