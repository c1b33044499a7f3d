"""What goes into the access log: the actions and the shape of one entry."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import NamedTuple


class Action(StrEnum):
    VAULT_CREATE = "vault.create"
    SERVER_CREATE = "server.create"  # a team server's schema and log made on PostgreSQL (server init)
    SIGN_IN = "auth.sign_in"
    SIGN_IN_FAILED = "auth.sign_in_failed"
    ACCOUNT_LOCKED = "auth.account_locked"
    SIGN_OUT = "auth.sign_out"
    SESSION_LOCK = "auth.lock"
    SESSION_UNLOCK = "auth.unlock"
    RECOVERY_USED = "auth.recovery_used"
    THROTTLE_RESET = "auth.throttle_reset"
    ACCOUNT_ADD = "account.add"
    ACCOUNT_DISABLE = "account.disable"
    ACCOUNT_LIST = "account.list"
    PASSWORD_CHANGE = "account.password_change"
    SETTINGS_CHANGE = "settings.change"
    KEY_ROTATE = "vault.key_rotate"
    VAULT_REKEY = "vault.rekey"  # an administrator rotated the keys on demand, not after a revocation
    VAULT_BACKUP = "vault.backup"  # a backup file written: which, and the log head it holds
    VAULT_RESTORE = "vault.restore"  # this vault restored from a backup: which, and any entries lost since
    VAULT_BIND = "vault.bind"  # the vault bound to this workstation (recovery code), or an account's slot at sign-in
    KEY_DELIVER = "vault.key_deliver"  # a compartment's key sealed to an account entitled to it
    KEY_PIN = "vault.key_pin"  # a slot accepted a compartment key (first use, rotation, release)
    DSA_PREVIEW = "dsa.preview_refresh"  # an agreement's preview compartment created, refilled or emptied
    VAULT_SPLIT = "vault.split"  # an older vault's people moved into their BCUs' compartments
    VAULT_CHECK = "vault.check"  # the whole-database integrity check, and its outcome
    MATRIX_OVERVIEW = "matrix.overview"
    NOMINALS_IMPORT = "matrix.import"
    IMPORT_DRY_RUN = "matrix.import_dry_run"  # a legacy spreadsheet checked row by row; nothing changed
    ACCESS_LOG_READ = "access_log.read"
    MATRIX_LIST = "matrix.list"
    MATRIX_ROWS = "matrix.rows"
    MATRIX_PREVIEW = "matrix.preview"
    MATRIX_REFERENCES = "matrix.references"
    RECORD_OPEN = "record.open"
    RECORD_HISTORY = "record.history"
    STATUS_CHECK = "matrix.status_check"
    PROPOSE_ADD = "matrix.propose_add"
    EVIDENCE_ADD = "matrix.evidence_add"
    RECORD_EDIT = "matrix.edit"
    APPROVE_ADD = "matrix.approve_add"
    REJECT_ADD = "matrix.reject_add"
    PROPOSE_REMOVE = "matrix.propose_remove"
    APPROVE_REMOVE = "matrix.remove"
    INTERVENTION_ADD = "matrix.intervention_add"
    ACTIVITY_ADD = "matrix.activity_add"
    RESCORE = "matrix.rescore"
    PURGE = "retention.purge"
    DSA_ADD = "dsa.add"
    LOG_VERIFY = "access_log.verify"
    LOG_SEARCH = "access_log.search"
    LOG_FLAGS = "access_log.flags"
    LOG_EXPORT = "access_log.export"
    AUDIT_FORM_ISSUE = "audit_form.issue"
    AUDIT_FORM_ANSWER = "audit_form.answer"
    AUDIT_SUMMARY = "audit.summary"
    TRAINING_RECORD = "governance.training"
    ACCESS_GRANT = "governance.grant"
    ACCESS_REVOKE = "governance.revoke"
    INACTIVE_LIST = "governance.inactive_list"
    LOG_KEY_GRANT = "access_log.key_grant"
    LOG_KEY_PIN = "access_log.key_pin"
    LOG_CHAIN_START = "access_log.chain_start"
    REVIEW_OPEN = "review.open"
    REVIEW_READ = "review.read"
    REVIEW_RECOMMEND = "review.recommend"
    REVIEW_VERDICT = "review.verdict"
    REVIEW_SIGN = "review.sign"
    REVIEW_OVERDUE = "review.overdue"
    REVIEW_EXPORT = "review.export"
    SIGNING_KEY_ISSUE = "review.signing_key_issue"
    DISPROPORTIONALITY = "report.disproportionality"
    REFERENCE_LOAD = "report.reference_load"
    SUBJECT_ACCESS = "report.subject_access"


class Outcome(StrEnum):
    ALLOWED = "allowed"
    REFUSED = "refused"
    FAILED = "failed"


@dataclass(frozen=True)
class LogEntry:
    """One access-log line as written. Never carries a password or a person's name."""

    at_utc: str
    tz: str
    workstation: str
    action: Action
    outcome: Outcome
    user_id: int | None = None
    username: str | None = None
    role: str | None = None
    bcu: str | None = None
    record_ref: str | None = None
    reason_category: str | None = None
    justification: str | None = None
    detail: str | None = None
    operation_ref: str | None = None


@dataclass(frozen=True)
class LoggedEntry:
    seq: int
    entry: LogEntry


# The three below are NamedTuples, not frozen dataclasses, only while callers outside the log's own
# services still unpack or index them (store/vault.py, services/records.py, governance.py, reviews.py,
# reports.py, audit_forms.py); read them by name.


class LogHead(NamedTuple):
    """The log's recorded head: its last entry and that entry's hash."""

    seq: int
    hash: bytes


class PriorJustification(NamedTuple):
    """What a user last gave to open a record (to prefill the prompt, never to skip it)."""

    category: str
    text: str
    operation_ref: str | None


class GrantChange(NamedTuple):
    """The newest grant or revocation (carried out) of an account's matrix access."""

    action: Action
    detail: str | None
