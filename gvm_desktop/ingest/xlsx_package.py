"""The XLSX package checked before any XML parser or calamine sees it: the ZIP's sizes, every XML part's
prolog, the workbook's sheets, and one pass over the chosen sheet's XML for what must be refused.

Order matters: sizes first (a ZIP bomb is refused from its directory and by counting what is actually
decompressed), then each XML part's prolog (no DOCTYPE, so no entity can be declared, so no entity bomb
can reach the standard library's expat parser below or calamine), and only then is any XML parsed.
"""

from __future__ import annotations

import io
import posixpath
import re
import zipfile
from dataclasses import dataclass, field
from xml.etree import ElementTree

from gvm_desktop.ingest.limits import (
    MAX_COLUMNS,
    MAX_COMPRESSION_RATIO,
    MAX_DATA_ROWS,
    MAX_GRID_CELLS,
    MAX_UNZIPPED_BYTES,
    MAX_XML_PROLOG_BYTES,
    MAX_ZIP_MEMBERS,
    RATIO_CHECK_MIN_BYTES,
)
from gvm_desktop.ingest.table import ImportFileError

_MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG_REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
_WORKBOOK = "xl/workbook.xml"
_WORKBOOK_RELS = "xl/_rels/workbook.xml.rels"
_CHUNK = 1024 * 1024
# xl/workbook.xml and its relationships list the sheets: a few KB even with hundreds of sheets. They are the
# only parts parsed into a tree here, so they are held to a size a tree can take without strain.
_MAX_WORKBOOK_PART_BYTES = 4 * 1024 * 1024
_NOT_READABLE = "the file is not a readable XLSX workbook (damaged or cut short); open it in Excel and save it again"


@dataclass(frozen=True)
class SheetRef:
    name: str
    part: str  # the sheet's XML part inside the ZIP, e.g. "xl/worksheets/sheet1.xml"


@dataclass
class SheetFacts:
    """What one pass over a sheet's XML found: the first formula and every merged range, by cell."""

    formula_at: tuple[int, int] | None = None  # (row, 0-based column)
    error_at: tuple[int, int] | None = None  # a cell holding an error value (#N/A, #REF!), which calamine empties
    merged: list[tuple[tuple[int, int], tuple[int, int]]] = field(default_factory=list)


@dataclass(frozen=True)
class Workbook:
    sheets: tuple[SheetRef, ...]
    date1904: bool


def open_package(data: bytes) -> zipfile.ZipFile:
    """The ZIP opened after its directory's sizes pass the limits (the actual sizes are checked on reading)."""
    try:
        package = zipfile.ZipFile(io.BytesIO(data))
        members = package.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError, NotImplementedError):
        raise ImportFileError(_NOT_READABLE) from None
    if len(members) > MAX_ZIP_MEMBERS:
        raise ImportFileError(f"the workbook has {len(members):,} parts; at most {MAX_ZIP_MEMBERS:,} are read "
                              "(this is not a spreadsheet a person saved)")
    total = 0
    for info in members:
        if info.flag_bits & 0x1:
            raise ImportFileError("the workbook is encrypted; save it in Excel without a password as .xlsx")
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise ImportFileError("the workbook uses a compression Excel does not write; open it in Excel "
                                  "and save it again")
        total += info.file_size
        ratio = info.file_size / max(info.compress_size, 1)
        if info.file_size > RATIO_CHECK_MIN_BYTES and ratio > MAX_COMPRESSION_RATIO:
            # A genuine sheet of hundreds of thousands of repetitive rows trips this too: say both, with the limit.
            raise ImportFileError(f"a part of the workbook expands {ratio:,.0f} times when unzipped (a ZIP bomb, "
                                  f"or a sheet far larger than a matrix: at most {MAX_DATA_ROWS:,} rows are "
                                  "imported); the file is refused")
    if total > MAX_UNZIPPED_BYTES:
        raise ImportFileError(f"the workbook unzips to more than {MAX_UNZIPPED_BYTES // (1024 * 1024)} MB "
                              "(a ZIP bomb or not a matrix); the file is refused")
    names = {info.filename for info in members}
    if _WORKBOOK not in names:
        raise ImportFileError("the file is a ZIP archive but not an XLSX workbook (it has no xl/workbook.xml)")
    return package


def read_member(package: zipfile.ZipFile, info: zipfile.ZipInfo, budget: list[int]) -> bytes:
    """A part's bytes, counted as they are decompressed: a directory that lies about sizes cannot get past.

    `budget` is the bytes still allowed across the whole package (a one-item list, shared by every call).
    """
    out = bytearray()
    try:
        with package.open(info) as stream:
            while chunk := stream.read(_CHUNK):
                out += chunk
                budget[0] -= len(chunk)
                if budget[0] < 0:
                    raise ImportFileError("the workbook unzips to more than "
                                          f"{MAX_UNZIPPED_BYTES // (1024 * 1024)} MB (a ZIP bomb); the file is refused")
    except ImportFileError:
        raise
    except (zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError, RuntimeError):
        raise ImportFileError(_NOT_READABLE) from None
    except Exception:  # zlib.error and anything else a damaged stream raises
        raise ImportFileError(_NOT_READABLE) from None
    return bytes(out)


_PROLOG_ITEM = re.compile(rb"\s+|<\?.*?\?>|<!--.*?-->", re.DOTALL)


def check_prolog(part: bytes) -> None:
    """Refuse an XML part whose prolog declares a DOCTYPE (and so could declare entities).

    A DOCTYPE may only appear before the root element, so reading the prolog (declaration, comments,
    processing instructions) up to the first element is enough: "<!ENTITY" inside the root's content
    would be text, not a declaration. UTF-16 parts are refused: Excel writes UTF-8, and a byte-level
    check could not see a UTF-16 "<!DOCTYPE".
    """
    if part.startswith((b"\xff\xfe", b"\xfe\xff")) or part[:2] in (b"<\x00", b"\x00<"):
        raise ImportFileError("a part of the workbook is UTF-16 XML, which Excel does not write; open it in "
                              "Excel and save it again")
    pos = 3 if part.startswith(b"\xef\xbb\xbf") else 0
    head = part[:MAX_XML_PROLOG_BYTES]
    if b"<!DOCTYPE" in head or b"<!ENTITY" in head:  # wherever it sits, even after junk that hides the prolog
        raise ImportFileError("a part of the workbook declares a DOCTYPE or entities (an XML entity bomb or "
                              "an external reference); the file is refused")
    if part[pos:pos + 1] not in (b"<", b" ", b"\t", b"\r", b"\n"):
        return  # not XML (a picture, a binary part): no parser of ours or calamine's reads it as XML
    while pos < len(part):
        if pos > MAX_XML_PROLOG_BYTES:
            raise ImportFileError("a part of the workbook has an XML preamble too long to be Excel's; the file "
                                  "is refused")
        item = _PROLOG_ITEM.match(part, pos)
        if item is None:
            break
        pos = item.end()
    if part.startswith(b"<!", pos):
        raise ImportFileError("a part of the workbook declares a DOCTYPE or entities (an XML entity bomb or "
                              "an external reference); the file is refused")


_SST_TAG = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?sst(?=[\s/>])([^>]*)>")
_UNIQUE_COUNT = re.compile(rb"""uniqueCount\s*=\s*(?:"([^"]*)"|'([^']*)')""")
_SI_TAG = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?si(?=[\s/>])")


def check_declared_counts(part: bytes) -> None:
    """Refuse a shared-strings table that declares more strings than it holds.

    calamine reserves memory for the declared count before reading: a count of a trillion aborts the whole
    process (a Rust allocation failure is not an exception), so it must never reach calamine.
    """
    head = _SST_TAG.search(part, 0, MAX_XML_PROLOG_BYTES + 4096)
    if head is None:
        return
    for declared in _UNIQUE_COUNT.finditer(head.group(1)):
        value = (declared.group(1) or declared.group(2) or b"").strip()
        # Anything but plain digits ("+9", "&#57;") is refused rather than guessed at as calamine might read it.
        if not value.isdigit() or len(value) > 9 or int(value) > sum(1 for _ in _SI_TAG.finditer(part)):
            raise ImportFileError("the workbook's shared strings declare more entries than they hold (a damaged "
                                  "or crafted file); open it in Excel and save it again")


def load_package(data: bytes) -> tuple[zipfile.ZipFile, dict[str, bytes], Workbook]:
    """Every part read (counted) and prolog-checked, then the workbook's sheets and date system."""
    package = open_package(data)
    budget = [MAX_UNZIPPED_BYTES]
    parts: dict[str, bytes] = {}
    for info in package.infolist():
        if info.is_dir():
            continue
        part = read_member(package, info, budget)
        check_prolog(part)
        check_declared_counts(part)
        parts[info.filename] = part
    return package, parts, _workbook(parts)


def _parse(part: bytes) -> ElementTree.Element:
    if len(part) > _MAX_WORKBOOK_PART_BYTES:
        raise ImportFileError("the workbook's list of sheets is far larger than Excel writes; the file is refused")
    try:
        return ElementTree.fromstring(part)
    except (ElementTree.ParseError, ValueError):
        raise ImportFileError(_NOT_READABLE) from None


def _workbook(parts: dict[str, bytes]) -> Workbook:
    root = _parse(parts[_WORKBOOK])
    rels: dict[str, str] = {}
    if _WORKBOOK_RELS in parts:
        for rel in _parse(parts[_WORKBOOK_RELS]).iter(f"{{{_PKG_REL_NS}}}Relationship"):
            target = rel.get("Target", "")
            rel_id = rel.get("Id", "")
            part = target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join("xl", target))
            rels[rel_id] = part
    sheets: list[SheetRef] = []
    for sheet in root.iter(f"{{{_MAIN_NS}}}sheet"):
        rel_id = sheet.get(f"{{{_REL_NS}}}id", "")
        sheets.append(SheetRef(sheet.get("name", ""), rels.get(rel_id, "")))
    pr = root.find(f"{{{_MAIN_NS}}}workbookPr")
    date1904 = pr is not None and pr.get("date1904", "").strip().lower() in ("1", "true")
    return Workbook(tuple(sheets), date1904)


# One pass over a sheet's XML with a regular expression over start tags, not a tree: a sheet of 50,000
# rows is tens of megabytes, and only a few kinds of tag matter here. A raw "<" cannot appear in XML text
# or attribute values, so every match is a real tag (or sits in a comment, where a false find only refuses).
_TAG = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?(row|c|f|mergeCell|dimension)(?=[\s/>])([^>]*)>")
_CELL_R = re.compile(rb"([A-Z]{1,3})([1-9]\d{0,6})")
_ROW_R = re.compile(rb"[1-9]\d{0,6}")
_CELL_REF = re.compile(r"\$?([A-Za-z]{1,3})\$?(\d{1,7})")
# Rows beyond these are refused before calamine sizes its grid from them: a cell at XFD1048576 would
# otherwise ask for a grid of 17 billion cells.
_ROW_CEILING = MAX_DATA_ROWS + 1_000


def column_index(letters: str) -> int:
    index = 0
    for ch in letters.upper():
        index = index * 26 + (ord(ch) - ord("A") + 1)
    return index - 1


def cell_position(ref: str) -> tuple[int, int] | None:
    """(row, 0-based column) of "B12"; None when the text is not a cell reference."""
    match = _CELL_REF.fullmatch(ref.strip())
    if match is None:
        return None
    return int(match.group(2)), column_index(match.group(1))


# Anything that is not Excel's own plain spelling sends the sheet to the walk: a namespace prefix, a cell or
# row whose first attribute is not r="...", or a formula (which the walk then names).
_UNUSUAL = re.compile(rb'<(?:[A-Za-z_][\w.-]*:|(?:c|row)(?=[\s/>])(?! r=")|f(?=[\s/>]))')
# Every r attribute anywhere (repeated, hidden in another value, in any tag; not xmlns:r): calamine keeps the
# last of a repeated r, so each one must be in bounds, not only the first.
# (The literal r first, then a look back for the space, lets the search skip ahead: several times faster.)
_ANY_R_VALUE = re.compile(rb"""r(?<=\sr)\s*=\s*["']([^"'<>]*)""")
_PLAIN_REFS = re.compile(rb"(?:[A-Z]{0,3}[1-9]\d{0,6} )*")  # what _plain_refs decides
_LETTERS = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_DIGITS = b"0123456789"
_REF_BYTES = _LETTERS + _DIGITS + b" "
_SHAPE = bytes.maketrans(_LETTERS + _DIGITS, b"a" * 26 + b"0" + b"1" * 9)  # letter "a", zero "0", other digit "1"
_FEW_TAGS = re.compile(rb"<(mergeCell|dimension)(?=[\s/>])([^>]*)>")


def scan_sheet(xml: bytes, header_row: int) -> SheetFacts:
    """Formulas, merged ranges and the sheet's extent; refuses a sheet past the limits.

    The common case (Excel's own file, nothing to refuse) is proved with a few whole-text regular
    expressions; anything unusual, and every refusal, goes through the tag-by-tag walk, which names the
    cell. The quick look only ever says "nothing to report", so it cannot be more lenient than the walk.
    """
    facts = _quick_look(xml, header_row)
    return facts if facts is not None else _walk_sheet(xml, header_row)


def _plain_refs(joined: bytes) -> bool:
    """Whether _PLAIN_REFS.fullmatch(joined): references (up to 3 letters, then 1 to 7 digits not starting with 0),
    each followed by one space. Decided by a few passes of bytes methods over the whole text, not the expression's
    step per reference: a tenth of the time on a 10,000-row sheet."""
    if not joined:
        return True
    if joined.translate(None, _REF_BYTES) or joined[:1] == b" " or joined[-1:] != b" " or b"  " in joined:
        return False  # another byte, or a reference that is empty
    shape = joined.translate(_SHAPE)
    if b"0a" in shape or b"1a" in shape or b"a " in shape or b"aaaa" in shape:
        return False  # a letter after a digit, no digit, or more than 3 letters
    if shape[:1] == b"0" or b" 0" in shape or b"a0" in shape:
        return False  # the number starts with 0
    return b"11111111" not in shape.replace(b"0", b"1")  # more than 7 digits


def _quick_look(xml: bytes, header_row: int) -> SheetFacts | None:
    if b't="e"' in xml or b"t='e'" in xml or _UNUSUAL.search(xml):
        return None
    values = _ANY_R_VALUE.findall(xml)
    joined = b" ".join(values) + b" " if values else b""
    if not _plain_refs(joined):
        return None
    # Plain references are letters then digits, one space after each: without the digits, the spaces part the
    # column letters; without the letters, the row numbers.
    widest = max((column_index(letters.decode()) + 1 for letters in set(joined.translate(None, _DIGITS).split())),
                 default=0)
    last_row = max(map(int, set(joined.translate(None, _LETTERS).split())), default=0)
    row_limit = header_row + _ROW_CEILING
    if last_row > row_limit or widest > MAX_COLUMNS or last_row * widest > MAX_GRID_CELLS:
        return None
    facts = SheetFacts()
    if b"<mergeCell" in xml or b"<dimension" in xml:
        for name, attrs in _FEW_TAGS.findall(xml):
            _merge_or_dimension(facts, name, attrs, row_limit)
    return facts


def _walk_sheet(xml: bytes, header_row: int) -> SheetFacts:
    """Formulas, merged ranges and the sheet's extent, tag by tag; refuses a sheet past the limits.

    Row and cell positions are followed as calamine follows them (an explicit r, or one after the last),
    so nothing calamine will place can fall outside the limits checked here.
    """
    facts = SheetFacts()
    row_limit = header_row + _ROW_CEILING
    row, column, widest, last_row = 0, -1, 0, 0
    for tag in _TAG.finditer(xml):
        name, attrs = tag.group(1), tag.group(2)
        if name == b"c":
            r = _position_attr(attrs, _CELL_R)
            if r is None:
                column += 1
            else:
                column = column_index(r.group(1).decode())
                row = int(r.group(2))
            _check_extent(row, column, row_limit)
            if facts.error_at is None and _attributes(attrs).get(b"t") == b"e":
                facts.error_at = (row, column)
            widest = max(widest, column + 1)
            last_row = max(last_row, row)
        elif name == b"row":
            r = _position_attr(attrs, _ROW_R)
            row = int(r.group(0)) if r is not None else row + 1
            column = -1
            if not attrs.rstrip().endswith(b"/"):
                _check_extent(row, 0, row_limit)
                last_row = max(last_row, row)
        elif name == b"f":
            if facts.formula_at is None:
                facts.formula_at = (row, max(column, 0))
        elif name in (b"mergeCell", b"dimension"):
            _merge_or_dimension(facts, name, attrs, row_limit)
    if last_row * widest > MAX_GRID_CELLS:
        raise ImportFileError(f"the sheet spans {last_row:,} rows by {widest} columns, more than one import "
                              f"reads ({MAX_GRID_CELLS:,} cells); delete the columns that are not needed",
                              row=last_row)
    return facts


def _position_attr(attrs: bytes, shape: re.Pattern[bytes]) -> re.Match[bytes] | None:
    """The r attribute's position, None when absent; refuses one that is present but not plain.

    A reference calamine might read differently ("+9", an entity, lower case) must not slip past the
    extent checks, so only Excel's own spelling is accepted.
    """
    value = _attributes(attrs).get(b"r")
    if value is None:
        return None
    match = shape.fullmatch(value)
    if match is None:
        raise ImportFileError("the sheet has a cell or row reference Excel does not write; open the file in "
                              "Excel and save it again")
    return match


_ATTRIBUTE = re.compile(rb"""\s*([^\s=/>"']+)\s*=\s*(?:"([^"]*)"|'([^']*)')""")
_TAG_END = re.compile(rb"\s*/?\s*")


def _attributes(attrs: bytes) -> dict[bytes, bytes]:
    """A start tag's attributes, read one after another as an XML parser reads them.

    Searching for ' r="' anywhere would find one hidden inside another attribute's value; a repeated
    attribute is refused, since which copy a parser keeps is not something to rely on.
    """
    found: dict[bytes, bytes] = {}
    pos = 0
    while (match := _ATTRIBUTE.match(attrs, pos)) is not None:
        name = match.group(1)
        if name in found:
            raise ImportFileError("the sheet has a cell or row written twice over; open the file in Excel and "
                                  "save it again")
        found[name] = match.group(2) if match.group(2) is not None else match.group(3)
        pos = match.end()
    if not _TAG_END.fullmatch(attrs, pos):
        raise ImportFileError(_NOT_READABLE)
    return found


def _check_extent(row: int, column: int, row_limit: int) -> None:
    if row > row_limit:
        raise ImportFileError(f"the sheet has more than {MAX_DATA_ROWS:,} data rows, the most one import "
                              "takes; a BCU's matrix is far smaller, so check this is the right file", row=row)
    if column >= MAX_COLUMNS:
        raise ImportFileError(f"the sheet has cells beyond column {MAX_COLUMNS}; at most {MAX_COLUMNS} columns "
                              "are read", row=row, column=column)


def _merge_or_dimension(facts: SheetFacts, name: bytes, attrs: bytes, row_limit: int) -> None:
    ref = _attributes(attrs).get(b"ref")
    if ref is None:
        return
    if name == b"mergeCell":
        facts.merged.append(_range(ref.decode("ascii", "replace")))
    else:
        _check_dimension(ref.decode("ascii", "replace"), row_limit)


def _range(ref: str) -> tuple[tuple[int, int], tuple[int, int]]:
    first, _, last = ref.partition(":")
    start = cell_position(first)
    end = cell_position(last) if last else start
    if start is None or end is None:
        raise ImportFileError(_NOT_READABLE)
    return start, end


def _check_dimension(ref: str, row_limit: int) -> None:
    # calamine reserves room for the declared extent: a lying <dimension> must not size its grid.
    for corner in ref.split(":"):
        position = cell_position(corner)
        if position is not None:
            _check_extent(*position, row_limit)
