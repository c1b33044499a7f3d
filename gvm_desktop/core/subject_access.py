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

from dataclasses import dataclass

from gvm_desktop.core.audit import LoggedEntry
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
