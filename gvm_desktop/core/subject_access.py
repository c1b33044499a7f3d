"""What a subject access request about one person is answered from: plain data, gathered by the services.

Part 3 of the Data Protection Act 2018 (law enforcement processing), section 45,
gives a person the right to their personal data and to be told the purposes and
legal basis of the processing, the recipients, how long it is kept, where it came
from, and their rights to rectification, erasure or restriction and to complain
to the Information Commissioner. The pack holds all of that for one record; the
report (reports/subject_access.py) only lays it out. Which log entries count as
accesses and which as disclosures is decided by the services, not here.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Iterable
from dataclasses import dataclass

from gvm_desktop.core.audit import LoggedEntry, Outcome
from gvm_desktop.core.errors import ValidationError
from gvm_desktop.core.records import NominalRecord, VersionRecord

# The defaults a vault starts with; a force may replace them with its own published wording.
DEFAULT_PURPOSES = (
    "The Gangs Violence Matrix is kept for the law enforcement purposes of preventing and detecting gang-related "
    "violence, safeguarding people at risk of being harmed by it, and offering people routes out of gangs "
    "(interventions). Each person's harm and victim-risk scores help officers decide where to focus prevention "
    "and safeguarding; a score alone is never a decision about a person. The legal basis is the performance of "
    "a task carried out for law enforcement purposes by a competent authority (Data Protection Act 2018, "
    "section 35(2)(b)), within the common-law policing duties to protect life and prevent crime."
)
DEFAULT_RECIPIENTS = (
    "Within the police: gang-team officers and single points of contact (SPOCs) of the Basic Command Unit "
    "that holds the record, and auditors who check that access is lawful. Outside the police: partner "
    "organisations (for example a local authority or a youth offending service) only under a data sharing "
    "agreement, and only the fields that agreement lists, in a preview they cannot change. Every such "
    "disclosure that involved you is listed in this document."
)


@dataclass(frozen=True)
class SubjectAccessPack:
    """Everything held about one person, and every use and disclosure of it, as of the moment it was gathered.

    `accesses` and `disclosures` are access-log entries in the order to print
    (usually oldest first); an entry may appear in both when the services say so.
    """

    record: NominalRecord
    versions: tuple[VersionRecord, ...]
    accesses: tuple[LoggedEntry, ...]
    disclosures: tuple[LoggedEntry, ...]
    retention: str  # e.g. "reviewed every quarter; removed when ...; archive kept at most 4 years after removal"
    controller_contact: str
    prepared_for_request: str  # the request's reference in the force's data protection case system
    purposes: str = DEFAULT_PURPOSES
    recipients: str = DEFAULT_RECIPIENTS
    withheld: tuple[Withholding, ...] = ()  # validated by the services against this person's entries

    def withheld_entries(self) -> dict[int, str]:
        """Exemption code by withheld log entry."""
        return {w.seq: w.exemption for w in self.withheld if w.seq is not None}

    def withheld_fields(self) -> dict[str, str]:
        """Exemption code by withheld field key."""
        return {w.field: w.exemption for w in self.withheld if w.field is not None}


# Data Protection Act 2018, section 45(4): the only grounds on which a controller may restrict the right of
# access. The codes are what the access log records; the words are printed where something was withheld.
EXEMPTIONS: dict[str, str] = {
    "DPA2018-s45(4)(a)": "to avoid obstructing an official or legal inquiry, investigation or procedure",
    "DPA2018-s45(4)(b)": "to avoid prejudicing the prevention, detection, investigation or prosecution of criminal "
                         "offences or the execution of criminal penalties",
    "DPA2018-s45(4)(c)": "to protect public security",
    "DPA2018-s45(4)(d)": "to protect national security",
    "DPA2018-s45(4)(e)": "to protect the rights and freedoms of others",
}
# The personal details a SPOC may withhold, by their snapshot keys (store/records.py SNAPSHOT_FIELDS): each is
# withheld wherever it is printed, in the details, the cover's summary and the version history alike.
WITHHOLDABLE_FIELDS: dict[str, str] = {
    "address": "Address", "postcode": "Postcode", "aliases": "Other names (aliases)", "gangs": "Gang names",
}
REASON_MAX = 200


def exemption_label(code: str) -> str:
    """'DPA 2018 s45(4)(b)', as the pack prints it."""
    return code.replace("DPA2018-", "DPA 2018 ")


@dataclass(frozen=True)
class Withholding:
    """One thing kept out of a pack: a log entry (`seq`) or a personal-details field (`field`), never both.

    `reason` is the SPOC's short note for the log; the services refuse one that names the person.
    """

    exemption: str
    seq: int | None = None
    field: str | None = None
    reason: str = ""

    def __post_init__(self) -> None:
        if (self.seq is None) == (self.field is None):
            raise ValidationError("A withholding names either a log entry (its sequence number) or a field.")
        if self.exemption not in EXEMPTIONS:
            raise ValidationError(f"Unknown exemption '{self.exemption[:40]}': one of {', '.join(EXEMPTIONS)}.")
        if self.field is not None and self.field not in WITHHOLDABLE_FIELDS:
            raise ValidationError(f"Only these fields can be withheld: {', '.join(WITHHOLDABLE_FIELDS)}.")
        if len(self.reason) > REASON_MAX or any(not ch.isprintable() for ch in self.reason):
            raise ValidationError(f"A withholding's reason is one line of at most {REASON_MAX} characters.")

    @property
    def what(self) -> str:
        """What the access log records: 'seq 2005' or 'field address', with the exemption code."""
        return f"{f'seq {self.seq}' if self.seq is not None else f'field {self.field}'} {self.exemption}"


def parse_withholding(text: str) -> Withholding:
    """'SEQ:EXEMPTION[:reason]' or 'FIELD:EXEMPTION[:reason]', as typed on the command line.

    The exemption may be given whole ('DPA2018-s45(4)(b)') or by its letter ('b').
    """
    target, _, rest = text.partition(":")
    code, _, reason = rest.partition(":")
    code = code.strip()
    if len(code) == 1 and f"DPA2018-s45(4)({code.lower()})" in EXEMPTIONS:
        code = f"DPA2018-s45(4)({code.lower()})"
    target = target.strip()
    if target.isdigit():
        return Withholding(code, seq=int(target), reason=reason.strip())
    return Withholding(code, field=target.lower(), reason=reason.strip())


@dataclass(frozen=True)
class AccessSummary:
    """Counts of the accesses a pack shows (withheld entries are not counted: a count by user or month could
    point at what was withheld). Each counter maps its key to (accesses, of which refused or failed)."""

    by_user: dict[tuple[str, str], tuple[int, int]]  # (username, role code)
    by_reason: dict[str, tuple[int, int]]  # reason category code; "" where none was recorded
    by_month: dict[str, tuple[int, int]]  # "YYYY-MM" (UTC)
    counted: int


def summarise_accesses(entries: Iterable[LoggedEntry], withheld: Collection[int] = ()) -> AccessSummary:
    users: Counter[tuple[str, str]] = Counter()
    reasons: Counter[str] = Counter()
    months: Counter[str] = Counter()
    bad_users: Counter[tuple[str, str]] = Counter()
    bad_reasons: Counter[str] = Counter()
    bad_months: Counter[str] = Counter()
    counted = 0
    for logged in entries:
        if logged.seq in withheld:
            continue
        e = logged.entry
        user, reason, month = (e.username or "", str(e.role or "")), str(e.reason_category or ""), e.at_utc[:7]
        users[user] += 1
        reasons[reason] += 1
        months[month] += 1
        if str(getattr(e.outcome, "value", e.outcome)) != Outcome.ALLOWED.value:
            bad_users[user] += 1
            bad_reasons[reason] += 1
            bad_months[month] += 1
        counted += 1
    return AccessSummary(
        by_user={k: (n, bad_users[k]) for k, n in sorted(users.items(), key=lambda kv: (-kv[1], kv[0]))},
        by_reason={k: (n, bad_reasons[k]) for k, n in sorted(reasons.items(), key=lambda kv: (-kv[1], kv[0]))},
        by_month={k: (n, bad_months[k]) for k, n in sorted(months.items())},
        counted=counted)
