"""What every reader hands on: a header and numbered rows of plain cells, or one error naming the cell."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime

from gvm_desktop.core.errors import ValidationError
from gvm_desktop.core.import_report import column_letter  # re-exported: the readers name cells with it

# A cell as the file holds it: text (trimmed of outer spaces), a number, a true/false, a date or date-time
# (XLSX cells formatted as dates), or None for an empty cell. CSV cells are always text or None.
Cell = str | int | float | bool | date | datetime | None


class ImportFileError(ValidationError):
    """The file cannot be read safely or at all; nothing was imported. Names the row and column when it can.

    `row` is the spreadsheet's own 1-based row number (CSV: the record's line number, header = 1 by default);
    `column` the 0-based column index. The message never quotes a cell's content: cells hold people's details.
    """

    def __init__(self, message: str, *, row: int | None = None, column: int | None = None) -> None:
        where = ""
        if row is not None and column is not None:
            where = f"Row {row}, column {column_letter(column)}: "
        elif row is not None:
            where = f"Row {row}: "
        elif column is not None:
            where = f"Column {column_letter(column)}: "
        super().__init__(where + message)
        self.row = row
        self.column = column


@dataclass(frozen=True)
class SourceRow:
    """One data row: its number in the file (1-based, as the spreadsheet shows it) and its cells."""

    number: int
    cells: tuple[Cell, ...]

    @property
    def empty(self) -> bool:
        return all(c is None or (isinstance(c, str) and not c) for c in self.cells)


@dataclass(frozen=True)
class SourceTable:
    """A sheet read whole and checked: the header row's names (trimmed), then every row after it.

    `rows` is a list, not a stream: an import is all or nothing, and the file is small enough (limits.py)
    to hold; reading it whole first means a fault in the last row refuses the file before anything is done.
    `sha256` is the hex digest of the file's bytes as read, for the access log.
    """

    headers: tuple[str, ...]
    rows: tuple[SourceRow, ...]
    header_row: int
    sha256: str
    kind: str  # "csv" or "xlsx"
    # XLSX only: the workbook counts dates from 1904 (old Mac Excel), so a bare serial number means another day.
    date1904: bool = False

    def __iter__(self) -> Iterator[SourceRow]:
        return iter(self.rows)


__all__ = ["Cell", "ImportFileError", "SourceRow", "SourceTable", "column_letter"]
