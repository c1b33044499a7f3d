"""XLSX bytes to raw rows: the package checked (xlsx_package), then calamine reads the values.

python-calamine is a Rust reader: it never evaluates formulas, does not expand XML entities and is several
times faster than openpyxl; it is handed only a package that already passed every check, and reads the very
bytes that were hashed (from memory, not the path again).
"""

from __future__ import annotations

import io
from collections.abc import Iterator, Sequence

import python_calamine

from gvm_desktop.ingest.shaping import build_table, is_plain_text, plain_cell
from gvm_desktop.ingest.table import Cell, ImportFileError, SourceTable, column_letter
from gvm_desktop.ingest.xlsx_package import SheetFacts, SheetRef, Workbook, load_package, scan_sheet

_NOT_READABLE = "the file is not a readable XLSX workbook (damaged or cut short); open it in Excel and save it again"


def sheet_names(data: bytes) -> list[str]:
    _, _, workbook = load_package(data)
    return [s.name for s in workbook.sheets]


def read_xlsx(data: bytes, *, sha256: str, sheet: str | None, header_row: int) -> SourceTable:
    package, parts, workbook = load_package(data)
    package.close()
    if not workbook.sheets:
        raise ImportFileError("the workbook has no sheets")
    chosen = _choose(workbook, sheet)
    if chosen.part not in parts:
        raise ImportFileError(_NOT_READABLE)
    facts = scan_sheet(parts.pop(chosen.part), header_row)
    parts.clear()
    _refuse_formula_and_merges(facts, header_row)
    values = _calamine_rows(data, chosen.name)
    return build_table(_plain_rows(values), header_row=header_row, sha256=sha256, kind="xlsx",
                       date1904=workbook.date1904)


def _choose(workbook: Workbook, sheet: str | None) -> SheetRef:
    if sheet is None:
        return workbook.sheets[0]
    for ref in workbook.sheets:
        if ref.name == sheet:
            return ref
    for ref in workbook.sheets:  # a mapping typed by hand may differ in case or outer spaces
        if ref.name.strip().casefold() == sheet.strip().casefold():
            return ref
    # Neither name is quoted: a legacy workbook may keep one tab per person, and this sentence reaches the log.
    count = len(workbook.sheets)
    raise ImportFileError(f"the workbook has no sheet with the name the mapping's [source] sheet gives; it has "
                          f"{count} sheet{'s' if count != 1 else ''}: check the mapping's sheet against them")


def _refuse_formula_and_merges(facts: SheetFacts, header_row: int) -> None:
    if facts.formula_at is not None:
        row, column = facts.formula_at
        raise ImportFileError("a cell holds a formula; copy the sheet and paste it as values only, then save",
                              row=row, column=column)
    if facts.error_at is not None:
        row, column = facts.error_at
        raise ImportFileError("a cell holds an Excel error value (such as #N/A or #REF!); correct it or clear it",
                              row=row, column=column)
    for (top, left), (bottom, right) in sorted(facts.merged):
        if bottom < header_row:
            continue  # a merged title above the table is common and harmless
        span = f"{column_letter(left)}{top}:{column_letter(right)}{bottom}"
        if top <= header_row <= bottom:
            raise ImportFileError(f"merged header cells {span}: unmerge them and give each column its own name",
                                  row=header_row, column=left)
    for (top, left), (bottom, right) in sorted(facts.merged):
        if top > header_row:
            span = f"{column_letter(left)}{top}:{column_letter(right)}{bottom}"
            raise ImportFileError(f"merged cells {span}: unmerge them and fill in each row's own value",
                                  row=top, column=left)


def _calamine_rows(data: bytes, name: str) -> Sequence[Sequence[object]]:
    try:
        with python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data)) as book:
            # skip_empty_area=False keeps A1 at [0][0], so list positions are the sheet's own rows and columns.
            return book.get_sheet_by_name(name).to_python(skip_empty_area=False)
    except python_calamine.PasswordError:
        raise ImportFileError("the workbook is password-protected; save it in Excel without a password as "
                              ".xlsx") from None
    except Exception:
        raise ImportFileError(_NOT_READABLE) from None
    except BaseException as exc:  # a Rust panic reaches Python as pyo3's PanicException (a BaseException)
        if isinstance(exc, (KeyboardInterrupt, SystemExit, GeneratorExit)):
            raise
        raise ImportFileError(_NOT_READABLE) from None


def _plain_rows(values: Sequence[Sequence[object]]) -> Iterator[tuple[int, list[Cell]]]:
    for index, raw in enumerate(values):
        number = index + 1
        # Plain text needs no work and is most cells: only the rest goes through the full conversion.
        yield number, [v if type(v) is str and is_plain_text(v) else
                       plain_cell(None if v == "" else v, number, i) for i, v in enumerate(raw)]
