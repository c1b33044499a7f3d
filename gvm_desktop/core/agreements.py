"""A data sharing agreement: which partner organisation may preview which fields of one BCU, and when."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class Agreement:
    id: int
    organisation: str
    bcu: str
    fields: tuple[str, ...]
    starts_on: date
    ends_on: date

    def in_force(self, on: date) -> bool:
        return self.starts_on <= on <= self.ends_on
