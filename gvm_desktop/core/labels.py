"""The words people read for the application's codes: one set, for the screens and the documents alike.

A role, a reason category, an outcome or a review decision is stored and logged as its
code; these are how it is written for people. The GUI and the PDFs both take them from
here, so an auditor holding a printed pack next to the screen reads the same words.

Keyed by the codes' values (a StrEnum member looks up as its value), and importing no
other module, so the enums themselves (core/policy.py, core/justification.py) can read
their `label` from here without an import cycle.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

# What a document or a details pane shows for a field the entry does not carry.
NOT_RECORDED = "-"

ROLE_LABELS: Mapping[str, str] = MappingProxyType({
    "officer": "Gang-team officer",
    "spoc": "SPOC",
    "auditor": "Auditor",
    "partner": "Partner (preview only)",
    "admin": "Administrator",
})

# Why a record was opened (core/justification.py ReasonCategory).
REASON_LABELS: Mapping[str, str] = MappingProxyType({
    "linked_operation": "Linked operation",
    "safeguarding": "Safeguarding",
    "quarterly_review": "Quarterly review",
    "intelligence_development": "Intelligence development",
    "partner_referral": "Partner referral",
    "proposal_decision": "Deciding a proposed addition or removal (SPOC)",
    "other": "Other",
})

# An access-log entry's outcome, lower case: it is read inside sentences ("the attempt was refused") as well as in cells.
OUTCOME_LABELS: Mapping[str, str] = MappingProxyType({
    "allowed": "allowed",
    "refused": "refused",
    "failed": "failed",
})

# A quarterly review's recommendation, and the outcome it becomes (core/review.py Recommendation).
DECISION_LABELS: Mapping[str, str] = MappingProxyType({
    "retain": "Retain",
    "remove": "Remove",
    "rescore": "Rescore",
})

# The SPOC's verdict on a recommendation (core/review.py Verdict): what was done, so in the past tense.
VERDICT_LABELS: Mapping[str, str] = MappingProxyType({
    "agree": "Agreed",
    "override": "Overridden",
})


def _label(table: Mapping[str, str], code: str | None, missing: str) -> str:
    """The code's label; `missing` when there is no code; an unknown code (a retired role in an old entry) as itself."""
    if not code:
        return missing
    return table.get(str(code), str(code))


def role_label(code: str | None, missing: str = NOT_RECORDED) -> str:
    return _label(ROLE_LABELS, code, missing)


def reason_label(code: str | None, missing: str = NOT_RECORDED) -> str:
    return _label(REASON_LABELS, code, missing)


def outcome_label(code: str | None, missing: str = NOT_RECORDED) -> str:
    return _label(OUTCOME_LABELS, code, missing)


def decision_label(code: str | None, missing: str = "") -> str:
    return _label(DECISION_LABELS, code, missing)


def verdict_label(code: str | None, missing: str = "") -> str:
    return _label(VERDICT_LABELS, code, missing)
