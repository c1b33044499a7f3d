"""What the monthly system audit counts: which logged actions viewed, downloaded or edited people's records.

The Met's monthly system audits say how many people accessed the pan-London matrix
and each local matrix, and what they did with the data: viewed, downloaded or edited.
This module is the one place that decides, for every action the access log knows,
whether it is such a use and of which kind, and how the records it touched are found
from its log entry (and so the BCU they belong to). tests/core/test_record_use.py
fails when an action is added to core/audit.py without a decision here.

Counts are record uses: one record in one allowed log entry counts once, so a record
opened twice counts twice, and a review sheet naming 40 people counts 40 downloads.
Refused and failed attempts touched nothing and are not counted as uses.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType

from gvm_desktop.core.audit import Action
from gvm_desktop.core.policy import Role

LONDON = "ALL"  # the scope of the London-wide roll-up: every BCU in the vault


class Use(StrEnum):
    VIEWED = "viewed"
    DOWNLOADED = "downloaded"
    EDITED = "edited"


class Source(StrEnum):
    """How an entry's records, and so their BCU, are found."""

    RECORD = "record"  # the entry's record reference names the one record
    DISCLOSED = "disclosed"  # the disclosure register lists the people the document held (else the record reference)
    SHOWN = "shown"  # the entry says how many rows it showed, all of the BCU the entry itself names


@dataclass(frozen=True)
class Counting:
    use: Use
    source: Source


_VIEWED_ONE = Counting(Use.VIEWED, Source.RECORD)
_EDITED_ONE = Counting(Use.EDITED, Source.RECORD)

RECORD_USE: Mapping[Action, Counting] = MappingProxyType({
    # Viewed: a person's record, its earlier versions, the matrix rows or a review's list of people on screen.
    Action.RECORD_OPEN: _VIEWED_ONE,
    Action.RECORD_HISTORY: _VIEWED_ONE,
    Action.STATUS_CHECK: _VIEWED_ONE,  # names the record only when the person was found
    Action.MATRIX_ROWS: Counting(Use.VIEWED, Source.SHOWN),  # see counting(): partners download, auditors see refs
    Action.REVIEW_READ: Counting(Use.VIEWED, Source.SHOWN),
    # Downloaded: printed into a document that leaves the application.
    Action.REVIEW_EXPORT: Counting(Use.DOWNLOADED, Source.DISCLOSED),
    Action.SUBJECT_ACCESS: Counting(Use.DOWNLOADED, Source.DISCLOSED),
    Action.LOG_EXPORT: Counting(Use.DOWNLOADED, Source.DISCLOSED),  # the records its rows name, as registered
    Action.AUDIT_FORM_ISSUE: Counting(Use.DOWNLOADED, Source.RECORD),  # the form prints the entry about the record
    # Edited: anything that changes a record, proposes or decides a change, or deletes it.
    Action.PROPOSE_ADD: _EDITED_ONE,
    Action.EVIDENCE_ADD: _EDITED_ONE,
    Action.RECORD_EDIT: _EDITED_ONE,
    Action.APPROVE_ADD: _EDITED_ONE,
    Action.REJECT_ADD: _EDITED_ONE,
    Action.PROPOSE_REMOVE: _EDITED_ONE,
    Action.APPROVE_REMOVE: _EDITED_ONE,
    Action.INTERVENTION_ADD: _EDITED_ONE,
    Action.ACTIVITY_ADD: _EDITED_ONE,
    Action.RESCORE: _EDITED_ONE,
    Action.REVIEW_RECOMMEND: _EDITED_ONE,
    Action.REVIEW_VERDICT: _EDITED_ONE,
    Action.NOMINALS_IMPORT: Counting(Use.EDITED, Source.SHOWN),  # many people at once; their BCUs are not logged
    Action.PURGE: Counting(Use.EDITED, Source.SHOWN),  # archive rows deleted; their BCUs are not logged
})

# Every other action, and why it is not a use of a person's record.
NOT_RECORD_USE: Mapping[Action, str] = MappingProxyType({
    Action.VAULT_CREATE: "creates an empty vault",
    Action.SERVER_CREATE: "creates an empty team server",
    Action.SIGN_IN: "a session, not a record",
    Action.SIGN_IN_FAILED: "a session, not a record",
    Action.ACCOUNT_LOCKED: "a session, not a record",
    Action.SIGN_OUT: "a session, not a record",
    Action.SESSION_LOCK: "a session, not a record",
    Action.SESSION_UNLOCK: "a session, not a record",
    Action.RECOVERY_USED: "an account, not a record",
    Action.THROTTLE_RESET: "an account, not a record",
    Action.ACCOUNT_ADD: "an account, not a record",
    Action.ACCOUNT_DISABLE: "an account, not a record",
    Action.ACCOUNT_LIST: "accounts, not records",
    Action.PASSWORD_CHANGE: "an account, not a record",
    Action.SETTINGS_CHANGE: "vault settings",
    Action.KEY_ROTATE: "the vault's key",
    Action.VAULT_REKEY: "the vault's keys, rotated on demand",
    Action.VAULT_BACKUP: "the vault's encrypted files, copied unread",
    Action.VAULT_RESTORE: "the vault's encrypted files, put back unread",
    Action.VAULT_BIND: "the vault's key slots, not a record",
    Action.IMPORT_DRY_RUN: "a spreadsheet checked; no record changed or shown",
    Action.KEY_DELIVER: "a compartment's key, not a record",
    Action.KEY_PIN: "a compartment's key, not a record",
    Action.VAULT_SPLIT: "the vault's files, not a record",
    Action.DSA_PREVIEW: "an agreement's preview, kept by its BCU's holders",
    Action.VAULT_CHECK: "the database's pages, not their meaning",
    Action.MATRIX_OVERVIEW: "counts by status, no person",
    Action.ACCESS_LOG_READ: "the access log (record references, no person's details)",
    Action.MATRIX_LIST: "the list's record ids; the rows shown are logged as matrix.rows",
    Action.MATRIX_PREVIEW: "the preview's record ids; the rows shown are logged as matrix.rows",
    Action.MATRIX_REFERENCES: "record references only (reference, BCU, status)",
    Action.DSA_ADD: "the data sharing agreement register",
    Action.LOG_VERIFY: "the access log's chain",
    Action.LOG_SEARCH: "the access log (record references, no person's details)",
    Action.LOG_FLAGS: "the access log's patterns",
    Action.AUDIT_FORM_ANSWER: "a user's answer, not a record",
    Action.AUDIT_SUMMARY: "counts, no person",
    Action.TRAINING_RECORD: "an account, not a record",
    Action.ACCESS_GRANT: "an account, not a record",
    Action.ACCESS_REVOKE: "an account, not a record",
    Action.INACTIVE_LIST: "accounts, not records",
    Action.LOG_KEY_GRANT: "the log's verification key",
    Action.LOG_KEY_PIN: "the log's verification key",
    Action.LOG_CHAIN_START: "the log's chain",
    Action.REVIEW_OPEN: "a snapshot nobody sees until the review is read (review.read)",
    Action.REVIEW_SIGN: "its removals and rescores are logged one entry per record",
    Action.REVIEW_OVERDUE: "counts, no person",
    Action.SIGNING_KEY_ISSUE: "a SPOC's signing key",
    Action.DISPROPORTIONALITY: "counts by group, no person",
    Action.REFERENCE_LOAD: "population figures, no person",
})

# The number of rows a SHOWN entry carries, in the words its service writes into the detail.
SHOWN_COUNT: Mapping[Action, re.Pattern[str]] = MappingProxyType({
    Action.MATRIX_ROWS: re.compile(r"(?:^|: )(\d+) rows?\b"),  # "40 rows N-..", a partner's "DSA #3 Org: 40 rows shown"
    Action.REVIEW_READ: re.compile(r": (\d+) people\b"),
    Action.NOMINALS_IMPORT: re.compile(r"^(\d+) "),
    Action.PURGE: re.compile(r"^(\d+) archive records?\b"),
})

# A review's rationale check before sign-off (services/reviews.py rationale_warnings) is logged as reading the
# review, under this name in its detail, but shows nobody's record: only the references that share one wording,
# and the wording (as an auditor's reference list shows references). The people were counted when the review's
# list was read, so the check counts none, however often the sign-off asks for it.
RATIONALE_CHECK = "rationale check"

# Entries of a SHOWN action that showed no record at all, in the words their service writes into the detail.
SHOWN_NOTHING: Mapping[Action, re.Pattern[str]] = MappingProxyType({
    Action.REVIEW_READ: re.compile(rf": {RATIONALE_CHECK}\b"),
})

# Actions whose records are found by reference, in the register, or counted from the detail (for the store's queries).
ACTIONS_BY_SOURCE: Mapping[Source, tuple[str, ...]] = MappingProxyType({
    source: tuple(sorted(a.value for a, c in RECORD_USE.items() if c.source is source)) for source in Source
})


def counting(action: str, role: str | None) -> Counting | None:
    """How one entry counts, or None when it is no use of a person's record.

    The matrix rows are the one action whose meaning depends on who saw them: a partner's
    preview is a disclosure to another organisation (downloaded), and an auditor's rows
    are record references only (reference, BCU, status), which name nobody.
    """
    try:
        found = RECORD_USE.get(Action(action))
    except ValueError:
        return None  # an action this version does not know: not counted, never a crash
    if found is None:
        return None
    if action == Action.MATRIX_ROWS:
        if role == Role.AUDITOR:
            return None
        if role == Role.PARTNER:
            return Counting(Use.DOWNLOADED, Source.SHOWN)
    return found


def shown_count(action: str, detail: str | None) -> int:
    """How many rows a SHOWN entry says it showed; 1 (at least one record) when its detail does not say;
    0 when it says it showed none (SHOWN_NOTHING)."""
    nothing = SHOWN_NOTHING.get(Action(action))
    if nothing is not None and nothing.search(detail or ""):
        return 0
    pattern = SHOWN_COUNT.get(Action(action))
    found = pattern.search(detail or "") if pattern else None
    return int(found[1]) if found else 1


# --- the counts ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class UseCounts:
    viewed: int = 0
    downloaded: int = 0
    edited: int = 0

    @property
    def total(self) -> int:
        return self.viewed + self.downloaded + self.edited

    def __add__(self, other: UseCounts) -> UseCounts:
        return UseCounts(self.viewed + other.viewed, self.downloaded + other.downloaded, self.edited + other.edited)

    def value(self, use: Use) -> int:
        return int(getattr(self, use.value))


def one(use: Use, n: int) -> UseCounts:
    return UseCounts(**{use.value: n})


@dataclass(frozen=True)
class UserUse:
    """One user's uses of the records of one BCU (None: a BCU the log cannot tell)."""

    username: str
    role: str | None
    bcu: str | None
    counts: UseCounts


@dataclass(frozen=True)
class BcuUse:
    """A local matrix's month: how many people used its records, and how."""

    bcu: str | None
    users: int
    counts: UseCounts


@dataclass(frozen=True)
class MonthlyAudit:
    """The monthly system audit of one BCU, or (bcu == LONDON) the London-wide roll-up of every BCU in the vault.

    `by_user` and `by_bcu` count uses of records grouped by the BCU of the record, whoever
    used them (an auditor, or an officer of another BCU, opening a CE record counts under CE).
    `activity` and `refusals` are every log entry made in the month by the scope's own
    accounts (all accounts for London), by action: sign-ins, grants and the like included.
    """

    bcu: str
    month: str  # YYYY-MM
    by_user: tuple[UserUse, ...]  # most uses first
    by_bcu: tuple[BcuUse, ...]  # in BCU order; the not-known row last
    total: BcuUse
    records_opened: int  # distinct records of the scope opened
    activity: Mapping[str, Mapping[str, int]]  # username -> action -> entries, the scope's own accounts
    refusals: int

    @property
    def london(self) -> bool:
        return self.bcu == LONDON

    @property
    def by_action(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for actions in self.activity.values():
            for action, n in actions.items():
                out[action] = out.get(action, 0) + n
        return out


Key = tuple[str, str | None, str | None]  # username, role, the records' BCU


def tally(*, touches: Iterable[tuple[str, str | None, str, str | None, int]],
          documents: Iterable[tuple[int, str, str | None, str, str | None, str | None]],
          disclosed: Mapping[int, Mapping[str | None, int]],
          shown: Iterable[tuple[str, str | None, str, str | None, str | None, int]]) -> dict[Key, UseCounts]:
    """Counts per (user, role, BCU of the records) from the store's three kinds of rows.

    touches:   (username, role, action, record's BCU, entries) for entries naming one record;
    documents: (seq, username, role, action, record reference, its BCU) for documents, whose people
               are `disclosed[seq]` (BCU -> people) when registered, else the entry's own record;
    shown:     (username, role, action, the entry's BCU, detail, entries) for entries that say how many rows.
    """
    out: dict[Key, UseCounts] = {}

    def add(username: str, role: str | None, bcu: str | None, use: Use, n: int) -> None:
        key = (username, role, bcu)
        out[key] = out.get(key, UseCounts()) + one(use, n)

    for username, role, action, bcu, n in touches:
        c = counting(action, role)
        if c is not None and c.source is Source.RECORD:
            add(username, role, bcu, c.use, n)
    for seq, username, role, action, ref, ref_bcu in documents:
        c = counting(action, role)
        if c is None or c.source is not Source.DISCLOSED:
            continue
        people = disclosed.get(seq)
        if people:
            for bcu, n in people.items():
                add(username, role, bcu, c.use, n)
        elif ref:
            add(username, role, ref_bcu, c.use, 1)
        # else: a document that named nobody (or was made before its people were registered) counts no record
    for username, role, action, bcu, detail, entries in shown:
        c = counting(action, role)
        if c is not None and c.source is Source.SHOWN:
            add(username, role, bcu, c.use, shown_count(action, detail) * entries)
    return {k: v for k, v in out.items() if v.total}


def build_monthly(*, scope: str, month: str, counts: Mapping[Key, UseCounts], bcus_in_vault: Iterable[str],
                  records_opened: int, activity: Mapping[str, Mapping[str, int]], refusals: int) -> MonthlyAudit:
    """The audit of `scope` (a BCU code, or LONDON) from the month's counts."""
    keep = {k: v for k, v in counts.items() if scope == LONDON or k[2] == scope}
    by_user = sorted((UserUse(u, r, b, c) for (u, r, b), c in keep.items()),
                     key=lambda x: (-x.counts.total, x.username, x.bcu or "~"))
    bcus: list[str | None] = [scope] if scope != LONDON else [*sorted(set(bcus_in_vault) | {b for _u, _r, b in keep if b})]
    if scope == LONDON and any(b is None for _u, _r, b in keep):
        bcus.append(None)
    by_bcu = tuple(_bcu_row(bcu, [x for x in by_user if x.bcu == bcu]) for bcu in bcus)
    total = _bcu_row(scope, by_user)
    return MonthlyAudit(scope, month, tuple(by_user), by_bcu, total, records_opened,
                        MappingProxyType({u: MappingProxyType(dict(a)) for u, a in activity.items()}), refusals)


def _bcu_row(bcu: str | None, rows: list[UserUse]) -> BcuUse:
    counts = UseCounts()
    for r in rows:
        counts = counts + r.counts
    return BcuUse(bcu, len({r.username for r in rows}), counts)


def bcu_text(bcu: str | None) -> str:
    """How a BCU (or the London roll-up, or a BCU the log cannot tell) is written in the audit."""
    return "London (all BCUs)" if bcu == LONDON else bcu or "not known"


DEFINITIONS = (
    "Viewed: a person's record opened, its earlier versions read, a status check that found them, matrix rows on "
    "screen, a quarterly review's list read (not the rationale check before sign-off, which shows references "
    "only). Downloaded: printed into a document that leaves the application (review "
    "sheet, subject access pack, access-log export or audit form) or shown in a partner's preview. Edited: a proposal, "
    "evidence, an edit, an intervention or police activity added, an approval, rejection or removal, a rescore, a "
    "review recommendation or decision, an import, a retention purge. Each record in each logged action counts once; "
    "refused attempts are not uses. Uses are counted under the BCU of the record, whoever used it. A record's BCU comes "
    "from the matrix, else its archive row, else the log entry of its removal; rows counted from an entry's own BCU "
    "(matrix rows, review lists) are always that BCU's. Where no BCU can be found (a bulk import, a purge, a record "
    "purged long ago) the uses are counted under 'not known', which is part of the London total."
)


_RECORD_REF = re.compile(r"N-\d{6,}")


def record_refs(refs: Iterable[str | None]) -> list[str]:
    """The distinct references of people's records among `refs` (a log's record_ref also names users, agreements...)."""
    return list(dict.fromkeys(r for r in refs if r and _RECORD_REF.fullmatch(r)))


CSV_COLUMNS = ("month", "level", "bcu", "username", "role", "users", "viewed", "downloaded", "edited", "total")


def _cell(value: object) -> str:
    text = "" if value is None else str(value)
    # A cell starting with = + - @ is a formula to a spreadsheet: keep it text.
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def audit_csv(audit: MonthlyAudit) -> tuple[bytes, int]:
    """The audit as CSV (one row per user and BCU, per BCU, and the London total), and its number of data rows."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    rows: list[tuple[object, ...]] = []
    for u in audit.by_user:
        c = u.counts
        rows.append((audit.month, "user", bcu_text(u.bcu), u.username, u.role, "", c.viewed, c.downloaded, c.edited,
                     c.total))
    for b in (*audit.by_bcu, *((audit.total,) if audit.london else ())):
        c = b.counts
        rows.append((audit.month, "london" if b.bcu == LONDON else "bcu", bcu_text(b.bcu), "", "", b.users, c.viewed,
                     c.downloaded, c.edited, c.total))
    writer.writerows([_cell(v) for v in row] for row in rows)
    return buf.getvalue().encode("utf-8"), len(rows)
