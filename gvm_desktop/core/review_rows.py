"""What the quarterly-review side of the store hands back: reviews and their items, the people a new
review lists, the reference population and the demographic rows the disproportionality report counts.

Plain rows as stored (strings, codes); the services turn them into what the screens and the PDFs show.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class ReviewRow:
    id: int
    bcu: str
    quarter: str
    opened_at: str
    opened_by: int | None
    supersedes: int | None
    signed_at: str | None
    signed_by: int | None
    signed_head: int | None


@dataclass(frozen=True)
class ItemRow:
    ref: str
    name: str  # '' once redacted
    age: int | None  # None once redacted
    harm_score: int
    harm_band: str
    victim_band: str
    flags: tuple[str, ...]
    recommendation: str | None
    rationale: str | None
    recommended_by: str | None
    recommended_at: str | None
    verdict: str | None
    decision: str | None
    override_reason: str | None
    verdict_by: str | None
    verdict_at: str | None
    redacted_at: str | None = None  # when the person left the matrix and their personal fields left this row
    # The victim side as the review saw it; None in items stored before schema version 12 kept it.
    victim_score: int | None = None
    classification: str | None = None


@dataclass(frozen=True)
class NewItem:
    """One person as a review lists them when it opens: the facts and the focus flags it saw."""

    ref: str
    name: str
    age: int
    harm_score: int
    harm_band: str
    victim_band: str
    flags: tuple[str, ...]
    # The review sheet prints both beside the harm score (a "zero harm" row may be a victim), removed people's too.
    victim_score: int | None = None
    classification: str | None = None


@dataclass(frozen=True)
class ReviewCounts:
    """How far a review has got: people listed, recommended, decided, and carrying a focus flag."""

    people: int
    recommended: int
    decided: int
    flagged: int


@dataclass(frozen=True)
class ReviewCandidate:
    """An active person of the BCU, as a review opening needs them to score and flag them."""

    nominal_id: int
    ref: str
    name: str
    date_of_birth: str
    in_custody: bool
    added: str  # when they went on the matrix (the SPOC's approval; else when the row was made)


@dataclass(frozen=True)
class ReferenceRow:
    borough: str
    dimension: str
    group: str
    population: int


@dataclass(frozen=True)
class ReferenceSource:
    """Where the loaded reference population comes from, and when it was loaded."""

    source: str
    loaded_at: str


@dataclass(frozen=True)
class LiveDemographics:
    """What the disproportionality report counts of a person on the matrix (codes as stored)."""

    ethnicity: str
    date_of_birth: str
    gender: str
    disability: str
    added_on: str | None  # YYYY-MM-DD


@dataclass(frozen=True)
class ArchivedDemographics:
    """What the archive row of a removed person keeps for the count: no date of birth, no disability."""

    ethnicity: str | None
    gender: str | None
    age_band: str | None
    added_on: str | None  # YYYY-MM-DD
    removed_on: str  # YYYY-MM-DD


@dataclass(frozen=True)
class SignedOriginal:
    """What the vault keeps of the sheet signed at sign-off: never the PDF, which names people who may leave."""

    sha256: str  # of the PDF file as given to the signer, hex
    signer_id: int
    cert_sha256: str  # the signing certificate's fingerprint, hex
    cert_serial: str  # its serial number, hex
    signed_at: str  # ISO UTC, the signature's own time


@dataclass(frozen=True)
class SheetDelivery:
    """Where the signed original goes at sign-off, and its PDF password (None only when unencrypted)."""

    out: Path
    pdf_password: str | None
    unencrypted: bool = False
