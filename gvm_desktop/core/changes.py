"""The rules of changing the matrix that front ends show too: reasons, interventions, duplicates, the archive's age."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from gvm_desktop.core.disproportionality import AGE_BANDS, age_band
from gvm_desktop.core.errors import ValidationError

MIN_REASON = 20  # characters of a reason, note or decision
MAX_GANGS = 10


class DuplicatePerson(ValidationError):
    """Someone with the same name and date of birth is already held: link to them, do not duplicate."""

    code = "duplicate"

    def __init__(self, message: str, refs: list[str]) -> None:
        super().__init__(message)
        self.refs = refs


@dataclass(frozen=True)
class Intervention:
    referral: str
    provider: str
    offered_on: date
    taken_up: bool
    outcome: str = ""
    starts_on: date | None = None
    ends_on: date | None = None


# Archive rows have always named the youngest and oldest bands in words; rows already written keep them, and
# the disproportionality report reads them back (services/reports.py), so new rows write the same.
_ARCHIVE_WORDS = {AGE_BANDS[0]: "under 18", AGE_BANDS[-1]: "35 and over"}


def archive_age_band(age: int) -> str:
    """The age band an archive row keeps of a removed person: the disproportionality bands, as the archive words them."""
    band = age_band(age)
    return _ARCHIVE_WORDS.get(band, band)


@dataclass(frozen=True)
class WaitingProposals:
    """The references whose proposals wait for the SPOC's decision, in reference order: no names, no reasons."""

    additions: tuple[str, ...]
    removals: tuple[str, ...]
