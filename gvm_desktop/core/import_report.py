"""What an import says about a legacy spreadsheet: every row's fate, the counts, the first rows as mapped, and the
report as CSV. Pure: the import service (services/importing.py) makes these; the command line and the window show them.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field

from gvm_desktop.core.errors import ValidationError


def column_letter(index: int) -> str:
    """Spreadsheet letters for a 0-based column index: 0 -> A, 25 -> Z, 26 -> AA."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


# A row's fate. A dry run says ADD where a commit says ADDED (with the reference given).
ADD, ADDED, REFUSED, DUPLICATE, SKIPPED = "add", "added", "refused", "duplicate", "skipped"
FATES = (ADD, ADDED, REFUSED, DUPLICATE, SKIPPED)
REPORT_COLUMNS = ("row", "fate", "column", "reason", "ref")


@dataclass(frozen=True)
class RowFate:
    """What happens (or would) to one data row: its number as the spreadsheet shows it, and why."""

    number: int
    fate: str
    column: str | None
    reason: str
    ref: str | None = None


@dataclass(frozen=True)
class ImportReport:
    sha256: str
    kind: str
    rows: tuple[RowFate, ...]
    warnings: tuple[str, ...] = ()
    committed: bool = False

    @property
    def counts(self) -> dict[str, int]:
        counts = dict.fromkeys((ADD, REFUSED, DUPLICATE, SKIPPED), 0)
        for row in self.rows:
            counts[ADD if row.fate == ADDED else row.fate] += 1
        return counts

    @property
    def blocking(self) -> tuple[RowFate, ...]:
        """The rows that stop a commit: refused and duplicates."""
        return tuple(r for r in self.rows if r.fate in (REFUSED, DUPLICATE))

    def summary(self) -> str:
        """The counts as the access log keeps them (no names, no cells)."""
        c = self.counts
        return (f"sha256={self.sha256} rows={len(self.rows)} add={c[ADD]} refused={c[REFUSED]} "
                f"duplicate={c[DUPLICATE]} skipped={c[SKIPPED]}")


class ImportRefused(ValidationError):
    """The commit added nothing: some rows cannot be imported. Carries the report that says which."""

    def __init__(self, message: str, report: ImportReport) -> None:
        super().__init__(message)
        self.report = report


@dataclass(frozen=True)
class ImportPreview:
    """The file as the mapping screen shows it: its sheets and headers, its first rows as text, and what maps where."""

    kind: str
    sha256: str
    sheets: tuple[str, ...]
    headers: tuple[str, ...]
    rows: tuple[tuple[int, tuple[str, ...]], ...]  # (row number, cells as shown)
    total_rows: int
    fields: dict[str, str | None] = field(default_factory=dict)  # person field -> the header it reads, or None
    problems: tuple[str, ...] = ()  # what stops the mapping reading this file, each naming the key
    warnings: tuple[str, ...] = ()  # columns neither mapped nor ignored


def report_csv(report: ImportReport) -> str:
    """The report as CSV text: row, fate, column, reason, ref (the command line's --report and the window's
    Save report… write these same bytes).

    Saved unencrypted, like any file the user saves outside the vault, so it holds no personal data by
    construction: reasons name the column and the rule, never a cell's name, address or date of birth.
    """
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(REPORT_COLUMNS)
    for r in report.rows:
        writer.writerow([_csv_cell(v) for v in (r.number, r.fate, r.column, r.reason, r.ref)])
    return buf.getvalue()


def _csv_cell(value: object) -> str:
    text = "" if value is None else str(value)
    # A header from the file may start with = + - @, a formula to a spreadsheet: keep it text.
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text
