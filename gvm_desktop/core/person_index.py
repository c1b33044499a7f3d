"""The reference index in common: where each person is and in what state, by reference alone. No storage, no Qt.

What an auditor and the administrator need across BCUs without a BCU's compartment
(docs/architecture.md, "At most ten files besides common on one connection"). It names
no person beyond their reference: no name, date of birth, address or alias.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class IndexRow:
    """One person as the index in common holds them: their record's id, reference, BCU and status."""

    id: int
    ref: str
    bcu: str
    status: str


@dataclass(frozen=True)
class IndexRepair:
    """What a reconciliation rewrote in the index rows of one compartment (people's and archive rows together)."""

    added: int
    changed: int
    removed: int

    @property
    def total(self) -> int:
        return self.added + self.changed + self.removed
