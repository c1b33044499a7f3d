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


# What each access-log action is called on screen ("Opened a record", not record.open); the log keeps the code.
ACTION_LABELS: Mapping[str, str] = MappingProxyType({
    "vault.create": "Created the vault",
    "server.create": "Created the team server",
    "auth.sign_in": "Signed in",
    "auth.sign_in_failed": "Sign-in failed",
    "auth.account_locked": "Account locked after failed sign-ins",
    "auth.sign_out": "Signed out",
    "auth.lock": "Locked the session",
    "auth.unlock": "Unlocked the session",
    "auth.recovery_used": "Used the recovery code",
    "auth.throttle_reset": "Reset the sign-in lockout",
    "account.add": "Added an account",
    "account.disable": "Disabled an account",
    "account.list": "Listed the accounts",
    "account.password_change": "Changed a password",
    "settings.change": "Changed a setting",
    "vault.key_rotate": "Rotated keys",
    "vault.rekey": "Rotated the keys on demand",
    "vault.backup": "Backed up the vault",
    "vault.restore": "Restored the vault from a backup",
    "vault.bind": "Bound the vault to this workstation",
    "vault.key_deliver": "Gave keys to entitled accounts",
    "vault.key_pin": "Accepted keys (pinned)",
    "dsa.preview_refresh": "Kept an agreement's preview",
    "vault.split": "Split the vault into compartments",
    "vault.check": "Checked the vault's files",
    "matrix.overview": "Read the matrix counts",
    "matrix.import": "Imported people",
    "matrix.import_dry_run": "Checked a spreadsheet for import",
    "access_log.read": "Read the access log",
    "matrix.list": "Listed the matrix",
    "matrix.rows": "Shown matrix rows",
    "matrix.preview": "Opened a partner's preview",
    "matrix.references": "Listed record references",
    "record.open": "Opened a record",
    "record.history": "Read a record's earlier versions",
    "matrix.status_check": "Checked whether someone is on the matrix",
    "matrix.propose_add": "Proposed an addition",
    "matrix.evidence_add": "Added evidence",
    "matrix.edit": "Edited a record",
    "matrix.approve_add": "Approved an addition",
    "matrix.reject_add": "Rejected an addition",
    "matrix.propose_remove": "Proposed a removal",
    "matrix.remove": "Removed a person",
    "matrix.intervention_add": "Added an intervention",
    "matrix.activity_add": "Added police activity",
    "matrix.rescore": "Rescored a record",
    "retention.purge": "Purged past retention",
    "dsa.add": "Changed the agreement register",
    "access_log.verify": "Verified the access log",
    "access_log.search": "Searched the access log",
    "access_log.flags": "Read the log's flags",
    "access_log.export": "Exported from the access log",
    "audit_form.issue": "Issued an audit form",
    "audit_form.answer": "Recorded an audit form's answer",
    "audit.summary": "Read a monthly system audit",
    "governance.training": "Recorded training",
    "governance.grant": "Granted matrix access",
    "governance.revoke": "Withdrew matrix access",
    "governance.inactive_list": "Listed inactive accounts",
    "access_log.key_grant": "Gave the log's verification key",
    "access_log.key_pin": "Pinned the log's verification key",
    "access_log.chain_start": "Started the log's tamper evidence",
    "review.open": "Opened a quarterly review",
    "review.read": "Read a quarterly review",
    "review.recommend": "Made a review recommendation",
    "review.verdict": "Decided a review item",
    "review.sign": "Signed off a review",
    "review.overdue": "Listed overdue reviews",
    "review.export": "Exported a review sheet",
    "review.signing_key_issue": "Issued a signing key",
    "report.disproportionality": "Read the disproportionality report",
    "report.reference_load": "Loaded the reference population",
    "report.subject_access": "Produced a subject access pack",
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


def action_label(code: str | None, missing: str = NOT_RECORDED) -> str:
    return _label(ACTION_LABELS, code, missing)


def people_text(count: int) -> str:
    """ "1 person", "2 people": every count of people on screen reads as English."""
    return f"{count:,} {'person' if count == 1 else 'people'}"


def counted(count: int, one: str, many: str) -> str:
    """ "1 entry", "2 entries": the noun agrees with its count (thousands grouped)."""
    return f"{count:,} {one if count == 1 else many}"
