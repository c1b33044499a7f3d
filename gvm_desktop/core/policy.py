"""Roles and what each may do: the one permission table of the application.

The services consult `require()` on every call; the GUI may ask `allows()` to
decide what to show, but hiding a button is never the protection.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from types import MappingProxyType

from gvm_desktop.core.errors import PermissionDenied, ValidationError
from gvm_desktop.core.labels import ROLE_LABELS


class Role(StrEnum):
    OFFICER = "officer"
    SPOC = "spoc"
    AUDITOR = "auditor"
    PARTNER = "partner"
    ADMIN = "admin"

    @property
    def label(self) -> str:
        return ROLE_LABELS[self.value]

    @property
    def needs_bcu(self) -> bool:
        """Officers, SPOCs and partners work within one BCU; auditors and admins across all."""
        return self in (Role.OFFICER, Role.SPOC, Role.PARTNER)



class Permission(StrEnum):
    MATRIX_VIEW = "matrix.view"  # see the people on the matrix of one's own BCU
    MATRIX_EDIT = "matrix.edit"  # propose people, add evidence, edit, propose removals
    MATRIX_APPROVE = "matrix.approve"  # approve or reject additions and removals
    MATRIX_PREVIEW = "matrix.preview"  # a partner's preview of the fields their DSA lists
    MATRIX_REFERENCES = "matrix.references"  # record references only, across BCUs
    RECORD_OPEN = "record.open"  # a person's full details, behind a justification
    RECORD_HISTORY = "record.history"  # earlier versions of a record
    STATUS_CHECK = "matrix.status_check"  # "is this person on the matrix?"
    DSA_MANAGE = "dsa.manage"  # the data sharing agreement register
    RETENTION_PURGE = "retention.purge"  # purge archive records past retention
    TRAINING_RECORD = "governance.training"  # record a user's completed training
    ACCESS_GRANT = "governance.grant"  # grant or revoke an officer's access to the BCU's matrix
    INACTIVE_LIST = "governance.inactive_list"  # see accounts unused for months
    INACTIVE_DISABLE = "governance.inactive_disable"  # disable them, on confirmation
    AUDIT_SUMMARY = "audit.summary"  # the monthly system audit of a BCU
    AUDIT_FORM = "audit.form"  # issue an audit form and record its answer
    LOG_EXPORT = "access_log.export"  # export a selection of the log (signed CSV, PDF pack)
    ACCOUNT_MANAGE = "account.manage"  # create and disable accounts
    ACCOUNT_LIST = "account.list"  # see accounts, their state and last use
    SETTINGS_MANAGE = "settings.manage"  # change vault-wide security settings
    ACCESS_LOG_READ = "access_log.read"  # read the access log
    PASSWORD_CHANGE_OWN = "password.change_own"
    REVIEW_READ = "review.read"  # the BCU's quarterly review: who is in it, what is recommended
    REVIEW_RECOMMEND = "review.recommend"  # recommend retain, remove or rescore, with a rationale
    REVIEW_SIGN = "review.sign"  # open a review, agree or override each recommendation, sign it off
    REVIEW_OVERDUE = "review.overdue"  # which BCUs' reviews are overdue (no people shown)
    REVIEW_EXPORT = "review.export"  # the signed PDF review sheet
    EXPORT_UNENCRYPTED = "export.unencrypted"  # export a PDF without a password, explicitly
    DISPROPORTIONALITY = "report.disproportionality"  # the matrix's composition against the population
    REFERENCE_MANAGE = "report.reference"  # load the reference population per borough
    SUBJECT_ACCESS = "report.subject_access"  # everything held about one person, for a subject access request
    VAULT_CHECK = "vault.check"  # check every page of the vault database (HMACs and structure)
    VAULT_REKEY = "vault.rekey"  # rotate the data keys on demand (a suspected copy, a policy's schedule)
    VAULT_BACKUP = "vault.backup"  # write a backup file of the whole vault (still encrypted)
    MATRIX_IMPORT = "matrix.import"  # bring a legacy spreadsheet's people in as proposals


_EVERYONE = frozenset(Role)

# Separation of duties: the administrator runs accounts and settings but is not
# in MATRIX_VIEW, so nobody can read people's records by holding the admin role.
POLICY: Mapping[Permission, frozenset[Role]] = MappingProxyType(
    {
        Permission.MATRIX_VIEW: frozenset({Role.OFFICER, Role.SPOC}),
        Permission.MATRIX_EDIT: frozenset({Role.OFFICER, Role.SPOC}),
        Permission.MATRIX_APPROVE: frozenset({Role.SPOC}),
        Permission.MATRIX_PREVIEW: frozenset({Role.PARTNER}),
        Permission.MATRIX_REFERENCES: frozenset({Role.AUDITOR}),
        Permission.RECORD_OPEN: frozenset({Role.OFFICER, Role.SPOC, Role.AUDITOR}),
        Permission.RECORD_HISTORY: frozenset({Role.SPOC, Role.AUDITOR}),
        Permission.STATUS_CHECK: frozenset({Role.OFFICER, Role.SPOC}),
        Permission.DSA_MANAGE: frozenset({Role.ADMIN}),
        Permission.RETENTION_PURGE: frozenset({Role.ADMIN}),
        Permission.TRAINING_RECORD: frozenset({Role.ADMIN, Role.SPOC}),
        Permission.ACCESS_GRANT: frozenset({Role.SPOC}),
        Permission.INACTIVE_LIST: frozenset({Role.ADMIN, Role.SPOC, Role.AUDITOR}),
        Permission.INACTIVE_DISABLE: frozenset({Role.ADMIN, Role.SPOC}),
        Permission.AUDIT_SUMMARY: frozenset({Role.AUDITOR, Role.SPOC}),
        Permission.AUDIT_FORM: frozenset({Role.AUDITOR}),
        Permission.LOG_EXPORT: frozenset({Role.AUDITOR}),
        Permission.ACCOUNT_MANAGE: frozenset({Role.ADMIN}),
        Permission.ACCOUNT_LIST: frozenset({Role.ADMIN, Role.SPOC, Role.AUDITOR}),
        Permission.SETTINGS_MANAGE: frozenset({Role.ADMIN}),
        Permission.ACCESS_LOG_READ: frozenset({Role.AUDITOR}),
        Permission.PASSWORD_CHANGE_OWN: _EVERYONE,
        Permission.REVIEW_READ: frozenset({Role.OFFICER, Role.SPOC}),
        Permission.REVIEW_RECOMMEND: frozenset({Role.OFFICER, Role.SPOC}),
        Permission.REVIEW_SIGN: frozenset({Role.SPOC}),
        Permission.REVIEW_OVERDUE: frozenset({Role.SPOC, Role.ADMIN}),
        Permission.REVIEW_EXPORT: frozenset({Role.SPOC}),
        Permission.EXPORT_UNENCRYPTED: frozenset({Role.SPOC}),
        # From people's demographics, which only holders of a BCU's key read (issue 13): not the administrator.
        Permission.DISPROPORTIONALITY: frozenset({Role.SPOC, Role.AUDITOR}),
        Permission.REFERENCE_MANAGE: frozenset({Role.ADMIN}),
        Permission.SUBJECT_ACCESS: frozenset({Role.SPOC}),
        Permission.VAULT_CHECK: frozenset({Role.ADMIN, Role.AUDITOR}),
        Permission.VAULT_REKEY: frozenset({Role.ADMIN}),
        # The backup copies encrypted files and reads no person: the administrator's duty, not a reader's.
        Permission.VAULT_BACKUP: frozenset({Role.ADMIN}),
        # Imported people arrive as proposals that a SPOC then approves: the SPOC brings in the BCU's own list.
        Permission.MATRIX_IMPORT: frozenset({Role.SPOC}),
    }
)

_REFUSAL: Mapping[Permission, str] = MappingProxyType(
    {
        Permission.MATRIX_VIEW: "see the matrix",
        Permission.MATRIX_EDIT: "change the matrix",
        Permission.MATRIX_APPROVE: "approve additions or removals",
        Permission.MATRIX_PREVIEW: "preview the matrix",
        Permission.MATRIX_REFERENCES: "list record references",
        Permission.RECORD_OPEN: "open a person's record",
        Permission.RECORD_HISTORY: "see earlier versions of a record",
        Permission.STATUS_CHECK: "check a person's matrix status",
        Permission.DSA_MANAGE: "manage data sharing agreements",
        Permission.RETENTION_PURGE: "purge archive records",
        Permission.TRAINING_RECORD: "record training",
        Permission.ACCESS_GRANT: "grant access to a BCU's matrix",
        Permission.INACTIVE_LIST: "list inactive accounts",
        Permission.INACTIVE_DISABLE: "disable inactive accounts",
        Permission.AUDIT_SUMMARY: "read the monthly system audit",
        Permission.AUDIT_FORM: "issue audit forms",
        Permission.LOG_EXPORT: "export the access log",
        Permission.ACCOUNT_MANAGE: "manage accounts",
        Permission.ACCOUNT_LIST: "list accounts",
        Permission.SETTINGS_MANAGE: "change vault settings",
        Permission.ACCESS_LOG_READ: "read the access log",
        Permission.PASSWORD_CHANGE_OWN: "change a password",
        Permission.REVIEW_READ: "see the quarterly review",
        Permission.REVIEW_RECOMMEND: "make review recommendations",
        Permission.REVIEW_SIGN: "decide on or sign off a review",
        Permission.REVIEW_OVERDUE: "see overdue reviews",
        Permission.REVIEW_EXPORT: "export a review sheet",
        Permission.EXPORT_UNENCRYPTED: "export without a password",
        Permission.DISPROPORTIONALITY: "read the disproportionality report",
        Permission.REFERENCE_MANAGE: "load the reference population",
        Permission.SUBJECT_ACCESS: "produce a subject access pack",
        Permission.VAULT_CHECK: "check the vault database's integrity",
        Permission.VAULT_REKEY: "rotate the vault's keys",
        Permission.VAULT_BACKUP: "back up the vault",
        Permission.MATRIX_IMPORT: "import a spreadsheet into the matrix",
    }
)


# Permissions that reach people's records: an officer also needs a SPOC's grant to the
# BCU, and officers and SPOCs need current data-protection training (core/governance.py).
MATRIX_ACCESS: frozenset[Permission] = frozenset({
    Permission.MATRIX_VIEW, Permission.MATRIX_EDIT, Permission.MATRIX_APPROVE, Permission.RECORD_OPEN,
    Permission.RECORD_HISTORY, Permission.STATUS_CHECK, Permission.REVIEW_READ, Permission.REVIEW_RECOMMEND,
    Permission.REVIEW_SIGN, Permission.REVIEW_EXPORT, Permission.SUBJECT_ACCESS, Permission.MATRIX_IMPORT,
})


def allows(role: Role, permission: Permission) -> bool:
    return role in POLICY[permission]


def require(role: Role, permission: Permission) -> None:
    if not allows(role, permission):
        raise PermissionDenied(f"The {role.value} role may not {_REFUSAL[permission]}.")


def validate_bcu(role: Role, bcu: str | None, known_bcus: frozenset[str]) -> str | None:
    """The BCU an account of this role must (or must not) carry."""
    if role.needs_bcu:
        if not bcu:
            raise ValidationError(f"A {role.value} account needs a BCU (one of {', '.join(sorted(known_bcus))}).")
        code = bcu.strip().upper()
        if code not in known_bcus:
            raise ValidationError(f"Unknown BCU '{bcu[:10]}': use one of {', '.join(sorted(known_bcus))}.")
        return code
    if bcu:
        raise ValidationError(f"A {role.value} account works across all BCUs and takes no BCU.")
    return None


def bcus_keyed(role: Role, bcu: str | None, granted: bool, all_bcus: frozenset[str]) -> frozenset[str]:
    """The BCUs whose compartment keys an active account of this role holds (issue 13).

    An officer holds their BCU's once their SPOC has granted them its matrix, a SPOC theirs, an
    auditor every BCU's (auditors open records across BCUs, each opening justified and logged);
    a partner and the administrator none: their keys cannot open a person's record.
    """
    if role is Role.AUDITOR:
        return all_bcus
    if bcu and (role is Role.SPOC or (role is Role.OFFICER and granted)):
        return frozenset({bcu}) & all_bcus
    return frozenset()
