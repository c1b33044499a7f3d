"""Builders of the files the import tests read: normal workbooks through xlsxwriter, hostile ones by hand.

Every builder returns bytes (the tests write them under tmp_path); nothing is stored in the repository, so
every hostile file in the suite is visible as the few lines of code that make it.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Callable, Iterable, Sequence
from datetime import date, datetime
from xml.sax.saxutils import escape

import xlsxwriter

from gvm_desktop.bench.import_rows import CONTENT_TYPES, ROOT_RELS, WORKBOOK_RELS
from gvm_desktop.core.import_report import column_letter

Value = str | int | float | bool | date | datetime | None

# The OLE compound-file signature Excel wraps an encrypted (password-protected) workbook in; an old .xls
# starts the same way. The reader refuses on these eight bytes alone, so junk after them is enough.
_FIXED_TIME = datetime(2024, 1, 1)
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def xlsx_bytes(rows: Sequence[Sequence[object]], *, sheet: str = "Matrix", formulas: dict[str, str] | None = None,
               merges: Sequence[str] = (), date1904: bool = False, dates_as: str = "dates",
               more_sheets: Sequence[str] = ()) -> bytes:
    """A workbook as Excel would save it. `dates_as`: "dates" (date-formatted cells) or "serials" (numbers)."""
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True, "date_1904": date1904})
    book.set_properties({"created": _FIXED_TIME})  # the same rows give the same bytes (the fuzzer's seeds)
    date_format = book.add_format({"num_format": "dd/mm/yyyy"})
    page = book.add_worksheet(sheet)
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            if value is None:
                continue
            if isinstance(value, (date, datetime)):
                if dates_as == "serials":
                    page.write_number(r, c, excel_serial(value, date1904=date1904))
                else:
                    page.write_datetime(r, c, value, date_format)
            elif isinstance(value, str):
                page.write_string(r, c, value)
            else:
                page.write(r, c, value)
    for cell, formula in (formulas or {}).items():
        page.write_formula(cell, formula)
    for span in merges:
        first, last = span.split(":")
        page.merge_range(f"{first}:{last}", None)
    for name in more_sheets:
        book.add_worksheet(name).write(0, 0, "other")
    book.close()
    return buffer.getvalue()


def excel_serial(value: date | datetime, *, date1904: bool = False) -> int | float:
    """The number Excel stores for a date: days since 1899-12-30 (or 1904-01-01 in the 1904 system)."""
    day = value.date() if isinstance(value, datetime) else value
    origin = date(1904, 1, 1) if date1904 else date(1899, 12, 30)
    days = (day - origin).days
    if isinstance(value, datetime):
        seconds = value.hour * 3600 + value.minute * 60 + value.second
        return days + seconds / 86400 if seconds else days
    return days


# -- hand-made packages: the smallest XLSX calamine reads, with inline strings and nothing else ----------

_MAIN = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
_REL = 'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"'


def workbook_xml(sheet: str = "Matrix", *, date1904: bool = False) -> str:
    pr = '<workbookPr date1904="1"/>' if date1904 else ""
    return (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<workbook {_MAIN} {_REL}>{pr}'
            f'<sheets><sheet name="{escape(sheet)}" sheetId="1" r:id="rId1"/></sheets></workbook>')


def cell_xml(ref: str, value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return f'<c r="{ref}" t="b"><v>{int(value)}</v></c>'
    if isinstance(value, (int, float)):
        return f'<c r="{ref}"><v>{value!r}</v></c>'
    text = escape(str(value)).replace('"', "&quot;")
    return f'<c r="{ref}" t="inlineStr"><is><t xml:space="preserve">{text}</t></is></c>'


def sheet_rows_xml(rows: Iterable[Sequence[object]]) -> Iterable[str]:
    for r, row in enumerate(rows, start=1):
        cells = "".join(cell_xml(f"{column_letter(c)}{r}", v) for c, v in enumerate(row))
        yield f'<row r="{r}">{cells}</row>'


def sheet_xml(rows: Iterable[Sequence[object]], *, extra: str = "") -> str:
    body = "".join(sheet_rows_xml(rows))
    return (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet {_MAIN} {_REL}>'
            f'<sheetData>{body}</sheetData>{extra}</worksheet>')


def package(parts: dict[str, str | bytes], *, compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as archive:
        for name, content in parts.items():
            archive.writestr(_entry(name, compression), content)
    return buffer.getvalue()


def _entry(name: str, compression: int = zipfile.ZIP_DEFLATED) -> zipfile.ZipInfo:
    # A fixed timestamp: writestr with a bare name stamps the current time, and the bytes would vary.
    info = zipfile.ZipInfo(name, date_time=_FIXED_TIME.timetuple()[:6])
    info.compress_type = compression
    return info


def minimal_xlsx(rows: Iterable[Sequence[object]], *, sheet: str = "Matrix", date1904: bool = False,
                 sheet_body: str | None = None, extra_parts: dict[str, str | bytes] | None = None) -> bytes:
    """A bare XLSX (no styles, inline strings) built fast enough for 200,000 rows or a fuzzer's thousands."""
    parts: dict[str, str | bytes] = {
        "[Content_Types].xml": CONTENT_TYPES,
        "_rels/.rels": ROOT_RELS,
        "xl/workbook.xml": workbook_xml(sheet, date1904=date1904),
        "xl/_rels/workbook.xml.rels": WORKBOOK_RELS,
        "xl/worksheets/sheet1.xml": sheet_body if sheet_body is not None else sheet_xml(rows),
    }
    parts.update(extra_parts or {})
    return package(parts)


def replace_part(data: bytes, name: str, change: Callable[[bytes], bytes]) -> bytes:
    """The same package with one part changed (or added, when `name` is absent and change(b"") gives it)."""
    source = zipfile.ZipFile(io.BytesIO(data))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        seen = False
        for info in source.infolist():
            content = source.read(info)
            if info.filename == name:
                content, seen = change(content), True
            archive.writestr(_entry(info.filename), content)
        if not seen:
            archive.writestr(_entry(name), change(b""))
    return buffer.getvalue()


# -- hostile files -----------------------------------------------------------------------------------------

def zip_bomb_xlsx(megabytes: int = 300, *, claimed_bytes: int | None = None) -> bytes:
    """A valid-looking workbook with one more part: `megabytes` of zeros, deflated to a few hundred KB.

    `claimed_bytes`: the size the ZIP's headers state for that part instead of the truth (a lying directory).
    """
    buffer = io.BytesIO()
    zeros = bytes(1024 * 1024)
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", CONTENT_TYPES)
        archive.writestr("_rels/.rels", ROOT_RELS)
        archive.writestr("xl/workbook.xml", workbook_xml())
        archive.writestr("xl/_rels/workbook.xml.rels", WORKBOOK_RELS)
        archive.writestr("xl/worksheets/sheet1.xml", sheet_xml([["Name"], ["x"]]))
        with archive.open("xl/media/image1.png", "w", force_zip64=claimed_bytes is None) as part:
            for _ in range(megabytes):
                part.write(zeros)
    data = bytearray(buffer.getvalue())
    if claimed_bytes is not None:
        _claim_size(data, b"xl/media/image1.png", claimed_bytes)
    return bytes(data)


def _claim_size(data: bytearray, name: bytes, size: int) -> None:
    """Overwrite a part's uncompressed size in its local header and its central-directory entry."""
    local = data.find(b"PK\x03\x04")
    while local >= 0:
        if data[local + 30:local + 30 + len(name)] == name:
            data[local + 22:local + 26] = size.to_bytes(4, "little")
        local = data.find(b"PK\x03\x04", local + 4)
    central = data.find(b"PK\x01\x02")
    while central >= 0:
        if data[central + 46:central + 46 + len(name)] == name:
            data[central + 24:central + 28] = size.to_bytes(4, "little")
        central = data.find(b"PK\x01\x02", central + 4)


def billion_laughs(root: str = "sst") -> str:
    """The classic XML entity bomb: ten levels of ten references, a billion "lol"s once expanded."""
    lines = ['<?xml version="1.0" encoding="UTF-8"?>', f"<!DOCTYPE {root} [", '<!ENTITY lol0 "lol">']
    for level in range(1, 10):
        refs = f"&lol{level - 1};" * 10
        lines.append(f'<!ENTITY lol{level} "{refs}">')
    lines.append("]>")
    return "\n".join(lines) + "\n"


def entity_bomb_xlsx(part: str = "xl/sharedStrings.xml") -> bytes:
    """A real workbook whose shared strings (or sheet) open with a billion-laughs DOCTYPE."""
    data = xlsx_bytes([["Name", "Nickname"], ["Jo Bloggs", "JB"]])
    if part == "xl/sharedStrings.xml":
        body = f'<sst {_MAIN} count="1" uniqueCount="1"><si><t>&lol9;</t></si></sst>'
        return replace_part(data, part, lambda _: (billion_laughs("sst") + body).encode())
    return replace_part(data, part, lambda old: billion_laughs("worksheet").encode() + old.split(b"?>", 1)[1])


def password_protected_xlsx() -> bytes:
    """Excel saves a password-protected workbook as an OLE compound file; its magic and junk are enough."""
    return OLE_MAGIC + bytes(range(256)) * 8


def png_bytes() -> bytes:
    """The eight-byte PNG signature and an IHDR chunk's start: a picture renamed to .xlsx."""
    return b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(64)


def csv_bytes(rows: Iterable[Sequence[str]], *, encoding: str = "utf-8", bom: bool = False,
              line_end: str = "\r\n") -> bytes:
    """Rows as Excel's CSV (commas, quotes where needed), in the encoding given."""
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator=line_end).writerows(rows)
    body = buffer.getvalue().encode(encoding)
    return (b"\xef\xbb\xbf" if bom else b"") + body


