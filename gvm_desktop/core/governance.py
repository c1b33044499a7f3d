"""Who may reach the matrix beyond their role: training that is current, and a SPOC's grant.

The Met's own answer to the regulator: access is granted by the BCU's SPOC only
after training, and revoked when it goes unused. These are the rules; the
services apply them on every call that reaches people's records.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import NamedTuple

from gvm_desktop.core.accounts import Account
from gvm_desktop.core.audit import Action

REQUIRED_COURSE = "Gangs Matrix data protection"
INACTIVE_AFTER = timedelta(days=183)  # six months

# What counts as using the matrix, for the six-months-unused rule: reaching people's
# records (listing or searching them, fetching rows, a preview, opening a record or its
# history, a status check) or changing them, and the quarterly review's work on them.
# Not a sign-in, not the counts-only overview, not a review opened automatically at a
# quarter's first sign-in, and not the list a home shows by itself when it opens (entries
# marked AUTOMATIC_VIEW): those happen without anyone using the matrix. Only entries the
# log records as allowed count; a refused or failed attempt is not use.
MATRIX_USE: frozenset[Action] = frozenset({
    Action.MATRIX_LIST, Action.MATRIX_ROWS, Action.MATRIX_PREVIEW, Action.RECORD_OPEN, Action.RECORD_HISTORY,
    Action.STATUS_CHECK, Action.PROPOSE_ADD, Action.EVIDENCE_ADD, Action.RECORD_EDIT, Action.APPROVE_ADD,
    Action.REJECT_ADD, Action.PROPOSE_REMOVE, Action.APPROVE_REMOVE, Action.INTERVENTION_ADD, Action.ACTIVITY_ADD,
    Action.RESCORE, Action.REVIEW_READ, Action.REVIEW_RECOMMEND, Action.REVIEW_VERDICT, Action.REVIEW_SIGN,
    Action.REVIEW_EXPORT, Action.SUBJECT_ACCESS,
})
# How the access log marks what the application does by itself when a home opens (at every sign-in and unlock):
# the matrix listed with no search, and that list's first page of rows. Shown, so logged (and counted by the
# monthly audit as rows viewed), but nobody has used the matrix yet: entries whose detail starts with this are
# not use. The matrix service writes it; the GUI only says that a listing is that automatic first one.
AUTOMATIC_VIEW = "automatic first view"
# How the access log marks a grant withdrawn by the six-months rule, as opposed to a
# SPOC's own revocation: until a SPOC grants access again, that officer's sign-in is refused.
DISUSE_REVOCATION = "matrix access unused for six months: grant withdrawn automatically"


@dataclass(frozen=True)
class TrainingRecord:
    course: str
    completed_on: date
    expires_on: date

    def current(self, on: date) -> bool:
        return self.completed_on <= on <= self.expires_on


@dataclass(frozen=True)
class InactiveAccount:
    """An account unused for six months (inactive_since), as the governance service lists it."""

    account: Account
    last_used: str  # the last sign-in, or "never (created …)"


class GrantedOfficer(NamedTuple):
    """An active officer holding a SPOC's grant to their BCU's matrix, and since when."""

    id: int
    username: str
    granted_at: str


def has_current(records: list[TrainingRecord], on: date, course: str = REQUIRED_COURSE) -> bool:
    return any(r.course == course and r.current(on) for r in records)


def matrix_unused(last_use: date | None, granted_on: date, on: date) -> bool:
    """Six months without using the matrix, counted from the later of the last use and the grant.

    From the grant too, so that an officer granted access (or granted it again after a
    withdrawal) has six months to use it before it is withdrawn.
    """
    return max(last_use or granted_on, granted_on) <= on - INACTIVE_AFTER


def inactive_since(last_signin: date | None, created: date, on: date) -> bool:
    """Unused for six months: no sign-in for that long, or never signed in since created that long ago."""
    return (last_signin or created) <= on - INACTIVE_AFTER
