"""What an export hands back once its file is written and its log entry committed: for the screen to say where it went."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class ExportResult:
    """A selection of the log as a CSV and its detached signature (services/log_export.py)."""

    csv_path: Path
    signature_path: Path
    entries: int
    log_head: str
    key_fingerprint: str
    public_key: str = ""


@dataclass(frozen=True)
class Exported:
    """A signed PDF (the review sheet, the disproportionality report, a subject access pack: services/reports.py)."""

    path: Path
    bytes: int
    people: int
    encrypted: bool
    log_seq: int
