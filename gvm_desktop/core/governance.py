"""Who may reach the matrix beyond their role: training that is current, and a SPOC's grant.

The Met's own answer to the regulator: access is granted by the BCU's SPOC only
after training, and revoked when it goes unused. These are the rules; the
services apply them on every call that reaches people's records.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

REQUIRED_COURSE = "Gangs Matrix data protection"
INACTIVE_AFTER = timedelta(days=183)  # six months


@dataclass(frozen=True)
class TrainingRecord:
    course: str
    completed_on: date
    expires_on: date

    def current(self, on: date) -> bool:
        return self.completed_on <= on <= self.expires_on


def has_current(records: list[TrainingRecord], on: date, course: str = REQUIRED_COURSE) -> bool:
    return any(r.course == course and r.current(on) for r in records)


def inactive_since(last_signin: date | None, created: date, on: date) -> bool:
    """Unused for six months: no sign-in for that long, or never signed in since created that long ago."""
    return (last_signin or created) <= on - INACTIVE_AFTER
