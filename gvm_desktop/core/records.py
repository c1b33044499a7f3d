"""What the matrix services hand out: list rows, full records, previews. No storage, no Qt."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from gvm_desktop.core.evidence import EvidenceType, Grading, SourceType

# Column keys of the matrix table. Which of them a role sees is decided in the
# services (core/policy.py says who may see the matrix at all).
LIST_COLUMNS: tuple[str, ...] = (
    "ref", "name", "age", "borough", "status", "classification", "harm_score", "harm_band",
    "victim_score", "victim_band", "in_custody", "last_reviewed",
)
# "bcu" is shown to auditors, whose references span every BCU.
COLUMN_LABELS = {
    "ref": "Ref", "name": "Name", "age": "Age", "borough": "Borough", "status": "Status",
    "classification": "Classification", "harm_score": "Harm", "harm_band": "Harm band",
    "victim_score": "Victim risk", "victim_band": "Victim band", "in_custody": "In custody",
    "last_reviewed": "Last reviewed", "bcu": "BCU",
}
# Fields a data sharing agreement may list for a partner's preview.
DSA_FIELDS: tuple[str, ...] = ("ref", "name", "age", "borough", "classification", "harm_band", "victim_band",
                               "in_custody")
SORTABLE = {"ref", "name", "age", "borough", "status", "harm_score", "victim_score", "last_reviewed"}

# The fields a version snapshot keeps (everything a person could ask to see corrected), and those an edit may change.
SNAPSHOT_FIELDS: tuple[str, ...] = (
    "given_name", "family_name", "date_of_birth", "gender", "ethnicity", "observed_ethnicity", "disability",
    "address", "postcode", "borough", "bcu", "gangs", "status", "in_custody", "custody_from", "custody_to",
    "date_added", "last_reviewed",
)
EDITABLE = frozenset(SNAPSHOT_FIELDS) - {"bcu", "status", "date_added", "last_reviewed"}


@dataclass(frozen=True)
class HeldNominal:
    """A person the vault holds, as a lookup finds them: which record, whose BCU, what state. No identity."""

    id: int
    ref: str
    bcu: str
    status: str


@dataclass(frozen=True)
class NominalRow:
    """A person as the matrix list reads them, with the day and policy their stored scores were computed under."""

    id: int
    ref: str
    given_name: str
    family_name: str
    date_of_birth: date
    borough: str
    status: str
    classification: str
    harm_score: int
    harm_band: str
    victim_score: int
    victim_band: str
    in_custody: bool
    last_reviewed: str | None
    bcu: str
    scored_on: str | None
    score_policy: str | None


@dataclass(frozen=True)
class ScoreBands:
    """The bands stored on a record: what a status check may say of a person, besides that they are held."""

    harm_band: str
    victim_band: str


@dataclass(frozen=True)
class PendingProposal:
    """A proposal (to add or to remove someone) waiting for the SPOC."""

    id: int
    reason: str
    proposed_by: int | None


@dataclass(frozen=True)
class MatrixRow:
    """One line of the matrix table; `values` holds only the columns this role may see."""

    nominal_id: int
    values: dict[str, object]


@dataclass(frozen=True)
class EvidenceRecord:
    id: int
    kind: EvidenceType
    source_type: SourceType
    source_ref: str
    grading: Grading
    on: date
    summary: str
    social_media_note: str | None
    added_at: str


@dataclass(frozen=True)
class InterventionRecord:
    id: int
    referral: str
    provider: str
    offered_on: date
    taken_up: bool
    outcome: str
    starts_on: date | None
    ends_on: date | None


@dataclass(frozen=True)
class ActivityRecord:
    id: int
    kind: str
    on: date
    note: str


@dataclass(frozen=True)
class VersionRecord:
    version: int
    changed_at: str
    changed_by: str | None
    reason: str
    snapshot: dict[str, object]


@dataclass(frozen=True)
class ScoreLine:
    event: str
    on: date
    side: str
    points: int


@dataclass(frozen=True)
class NominalRecord:
    id: int
    ref: str
    given_name: str
    family_name: str
    aliases: tuple[str, ...]
    date_of_birth: date
    age: int
    gender: str
    ethnicity: str
    observed_ethnicity: str | None
    disability: str
    address: str
    postcode: str
    borough: str
    bcu: str
    gangs: tuple[str, ...]
    status: str
    date_added: str | None
    last_reviewed: str | None
    in_custody: bool
    custody_from: str | None
    custody_to: str | None
    version: int
    harm_score: int
    victim_score: int
    harm_band: str
    victim_band: str
    classification: str
    policy_version: str
    score_lines: tuple[ScoreLine, ...]
    evidence: tuple[EvidenceRecord, ...]
    interventions: tuple[InterventionRecord, ...]
    activity: tuple[ActivityRecord, ...]
    pending: tuple[str, ...] = field(default_factory=tuple)  # e.g. "removal proposed"

    @property
    def full_name(self) -> str:
        return f"{self.given_name} {self.family_name}"


@dataclass(frozen=True)
class StatusAnswer:
    on_matrix: bool
    ref: str | None = None
    harm_band: str | None = None
    victim_band: str | None = None
    bcu: str | None = None
    contact: str | None = None


@dataclass(frozen=True)
class MatrixOverview:
    bcu: str
    bcu_name: str
    by_status: dict[str, int]

    @property
    def total(self) -> int:
        return sum(self.by_status.values())


@dataclass(frozen=True)
class MatrixView:
    """What a list shows: its columns and the ids in order (rows come later, on demand)."""

    columns: tuple[str, ...]
    ids: list[int]
    partner_fields: tuple[str, ...] | None = None
    partner_until: date | None = None  # a partner's preview: the last day its agreement is in force
    # The list a home showed by itself on opening (list(automatic=True)): its first page of rows is logged as
    # part of that automatic first view, not as the user's use of the matrix.
    automatic: bool = False
