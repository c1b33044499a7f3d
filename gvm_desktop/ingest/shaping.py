"""From raw rows (as either reader found them) to a checked SourceTable: header, cells, limits.

Both readers hand over `(spreadsheet row number, raw cells)` pairs in order; every rule that does not
depend on the file's kind lives here once, so CSV and XLSX refuse the same things with the same words.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from datetime import date, datetime, time, timedelta

from gvm_desktop.ingest.limits import MAX_CELL_CHARS, MAX_COLUMNS, MAX_DATA_ROWS
from gvm_desktop.ingest.table import Cell, ImportFileError, SourceRow, SourceTable, column_letter

# A signed plain number ("-3", "+44", "-1.5e3") is data in every spreadsheet; anything else after a sign,
# or any "=" or "@", is run as a formula when the data is later opened in a spreadsheet (CSV/DDE injection).
_SIGNED_NUMBER = re.compile(r"[+-]\s*(?:\d+(?:[.,]\d*)?|[.,]\d+)(?:[eE][+-]?\d+)?%?")
_FORMULA_STARTS = ("=", "+", "-", "@")
_CONTROL_STARTS = ("\t", "\r")


_NEEDS_A_LOOK = frozenset("=+-@\t\r\n \x0b\x0c\x1c\x1d\x1e\x1f\x85\xa0")


def is_plain_text(text: str) -> bool:
    """Text that text_cell would hand back unchanged: the common case, decided without the full checks."""
    return (0 < len(text) <= MAX_CELL_CHARS and text[0] not in _NEEDS_A_LOOK and not text[-1].isspace()
            and not text[0].isspace() and "\x00" not in text)


def text_cell(raw: str, row: int, column: int, *, undecodable: str | None = None) -> str | None:
    """A text cell checked and trimmed: too long, undecodable or formula-like text refuses the file."""
    if len(raw) > MAX_CELL_CHARS:
        raise ImportFileError(f"a cell is longer than {MAX_CELL_CHARS:,} characters (Excel's own limit); "
                              "shorten it or move the text elsewhere", row=row, column=column)
    if undecodable is not None and _has_escaped_byte(raw):
        raise ImportFileError(undecodable, row=row, column=column)
    if "\x00" in raw:
        raise ImportFileError("a cell holds a NUL character; this is not a text file", row=row, column=column)
    if raw.startswith(_CONTROL_STARTS):
        raise ImportFileError("a cell starts with a tab or carriage return, which a spreadsheet may run as a "
                              "formula; remove it", row=row, column=column)
    text = raw.strip()
    if not text:
        return None
    if text.startswith(_FORMULA_STARTS) and not _SIGNED_NUMBER.fullmatch(text):
        raise ImportFileError("a cell starts with =, +, - or @ and would run as a formula when opened in a "
                              "spreadsheet; remove the sign or the cell", row=row, column=column)
    return text


def _has_escaped_byte(text: str) -> bool:
    # Decoding with errors="surrogateescape" turns each byte that is not valid in the encoding into a lone
    # surrogate, which real text never holds: finding one here names the cell the bad byte sits in.
    return any("\udc80" <= ch <= "\udcff" for ch in text)


def plain_cell(raw: object, row: int, column: int) -> Cell:
    """A cell from a workbook as our Cell type: integral numbers as int, text checked, dates kept."""
    if raw is None:
        return None
    if isinstance(raw, str):
        return text_cell(raw, row, column)
    if isinstance(raw, bool):
        return raw
    if isinstance(raw, int):
        return raw
    if isinstance(raw, float):
        if not math.isfinite(raw):
            raise ImportFileError("a cell holds a number that is not finite", row=row, column=column)
        return int(raw) if raw.is_integer() and abs(raw) < 2**53 else raw
    if isinstance(raw, (datetime, date)):
        return raw
    if isinstance(raw, time):
        # A time of day without a date: kept as the text a person would read, which a mapping can parse.
        return raw.isoformat(timespec="seconds")
    if isinstance(raw, timedelta):
        # A duration: as the spreadsheet's own number of days, like any other number.
        days = raw.total_seconds() / 86400
        return int(days) if days.is_integer() else days
    raise ImportFileError("a cell holds a value of a kind this reader does not know", row=row, column=column)


def build_table(rows: Iterable[tuple[int, Sequence[Cell]]], *, header_row: int, sha256: str, kind: str,
                date1904: bool = False) -> SourceTable:
    """Header from `header_row`, data rows after it; cells must already be plain (text checked and trimmed).

    Rows before the header row are ignored (titles above the table are common). Stops counting at the row
    limit, so a file of a million rows is refused after reading only the first 50,001.
    """
    if header_row < 1:
        raise ImportFileError("the header row must be 1 or more")
    header: tuple[Cell, ...] | None = None
    data: list[SourceRow] = []
    last_number = 0
    for number, cells in rows:
        last_number = number
        if number < header_row:
            continue
        if number == header_row:
            header = tuple(cells)
            continue
        if header is None:  # the header row is missing in the file's numbering (an empty XLSX row)
            header = ()
        if len(data) >= MAX_DATA_ROWS:
            raise ImportFileError(f"the file has more than {MAX_DATA_ROWS:,} data rows, the most one import "
                                  "takes; a BCU's matrix is far smaller, so check this is the right file",
                                  row=number)
        data.append(SourceRow(number, tuple(cells)))
    if header is None:
        if last_number == 0:
            raise ImportFileError("the file is empty: there is no header row and no data")
        raise ImportFileError(f"the header row is set to row {header_row}, but the file has only "
                              f"{last_number} row{'s' if last_number != 1 else ''}")
    while data and data[-1].empty:  # trailing empty rows are the spreadsheet's, not the BCU's
        data.pop()
    width = _used_width(header, data)
    if width > MAX_COLUMNS:
        raise ImportFileError(f"the file has {width} columns; at most {MAX_COLUMNS} are read",
                              column=MAX_COLUMNS)
    headers = _header_names(header, data, width, header_row)
    padded = tuple(SourceRow(r.number, _fit(r.cells, width)) for r in data)
    return SourceTable(headers=headers, rows=padded, header_row=header_row, sha256=sha256, kind=kind,
                       date1904=date1904)


def _used_width(header: Sequence[Cell], data: Sequence[SourceRow]) -> int:
    width = _last_filled(header)
    for r in data:
        width = max(width, _last_filled(r.cells))
    return width


def _last_filled(cells: Sequence[Cell]) -> int:
    for i in range(len(cells) - 1, -1, -1):
        if cells[i] is not None:
            return i + 1
    return 0


def _fit(cells: Sequence[Cell], width: int) -> tuple[Cell, ...]:
    cells = tuple(cells[:width])
    return cells + (None,) * (width - len(cells))


def _header_names(header: Sequence[Cell], data: Sequence[SourceRow], width: int, header_row: int) -> tuple[str, ...]:
    if width == 0:
        raise ImportFileError("the header row is empty; give each column a name in that row", row=header_row)
    names: list[str] = []
    seen: dict[str, int] = {}
    for i, cell in enumerate(_fit(header, width)):
        name = _header_text(cell)
        if not name:
            if any(i < len(r.cells) and r.cells[i] is not None for r in data):
                raise ImportFileError("this column has data but no name in the header row; give it one",
                                      row=header_row, column=i)
        else:
            key = name.casefold()
            if key in seen:
                raise ImportFileError(f"columns {column_letter(seen[key])} and {column_letter(i)} have the same "
                                      "name in the header row; rename one", row=header_row, column=i)
            seen[key] = i
        names.append(name)
    return tuple(names)


def _header_text(cell: Cell) -> str:
    if cell is None:
        return ""
    if isinstance(cell, str):
        return cell.strip()
    return str(cell)
