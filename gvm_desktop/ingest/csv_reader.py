"""CSV bytes to raw rows: the encoding decided (BOM, strict UTF-8, Windows-1252), records numbered by line.

Every record carries the line number it starts on, so a quoted cell spanning lines does not shift the row
numbers of what follows; that is the number a person sees when opening the file in a text editor or Excel.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections.abc import Iterator

from gvm_desktop.ingest.limits import MAX_CELL_CHARS
from gvm_desktop.ingest.shaping import build_table, text_cell
from gvm_desktop.ingest.table import Cell, ImportFileError, SourceTable

_UTF8_BOM = codecs.BOM_UTF8
_UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
# Stated encodings the reader accepts, by Python's canonical codec name: the two a BCU's CSV is saved in.
_UTF8 = {"utf-8", "utf-8-sig"}
_CP1252 = {"cp1252"}
# A well-formed UTF-8 sequence of two to four bytes. Windows-1252 text almost never holds one ("Ã©" is the
# mojibake of "é", not a spelling), so a file that has one and still fails to decode as UTF-8 mixes the two.
_UTF8_MULTIBYTE = re.compile(
    rb"[\xc2-\xdf][\x80-\xbf]|\xe0[\xa0-\xbf][\x80-\xbf]|[\xe1-\xec\xee\xef][\x80-\xbf]{2}"
    rb"|\xed[\x80-\x9f][\x80-\xbf]|\xf0[\x90-\xbf][\x80-\xbf]{2}|[\xf1-\xf3][\x80-\xbf]{3}"
    rb"|\xf4[\x80-\x8f][\x80-\xbf]{2}")


def read_csv(data: bytes, *, sha256: str, header_row: int, encoding: str, delimiter: str) -> SourceTable:
    _check_delimiter(delimiter)
    if data.startswith(_UTF16_BOMS):
        raise ImportFileError("the file is saved as UTF-16 (Excel's \"Unicode text\"); save it as "
                              "\"CSV UTF-8\" instead")
    nul = data.find(b"\x00")
    if nul >= 0:
        raise ImportFileError("the file holds NUL bytes, so it is not a CSV text file",
                              row=data.count(b"\n", 0, nul) + 1)
    text, undecodable = _decode(data, encoding)
    try:
        table = build_table(_records(text, delimiter, undecodable), header_row=header_row, sha256=sha256,
                            kind="csv")
    except ImportFileError as exc:
        if (hint := _other_delimiter(text, header_row, delimiter)) is None:
            raise
        raise ImportFileError(f"{exc.message}; {hint}") from None
    if len(table.headers) == 1 and (hint := _other_delimiter(text, header_row, delimiter)) is not None:
        raise ImportFileError(f"the header row is a single column; {hint}", row=header_row)
    return table


_OTHER_DELIMITERS = ((";", ";"), ("\t", "\\t"))  # the character, and as the mapping writes it


def _other_delimiter(text: str, header_row: int, delimiter: str) -> str | None:
    """A hint when the header row is one cell holding another common delimiter: the mapping's is wrong."""
    lines = text.splitlines()
    if len(lines) < header_row:
        return None
    header = lines[header_row - 1]
    if delimiter in header:
        return None
    for char, written in _OTHER_DELIMITERS:
        if char != delimiter and char in header:
            return f"the file seems to use '{written}' between cells: set delimiter in [source]"
    return None


def _check_delimiter(delimiter: str) -> None:
    if len(delimiter) != 1 or delimiter in "\"\r\n" or delimiter.isalnum():
        raise ImportFileError("the delimiter must be one character other than a letter, digit, quote or "
                              "line break (\",\" \";\" or a tab)")


def _decode(data: bytes, encoding: str) -> tuple[str, str | None]:
    """The text, and the message for a cell holding an undecodable byte (None when every byte decoded)."""
    wanted = encoding.strip().lower()
    if wanted == "auto":
        if data.startswith(_UTF8_BOM):  # the file says it is UTF-8: a byte that is not is an error, not a hint
            return _decode_as(data, "utf-8-sig", _stated("UTF-8"))
        try:
            return data.decode("utf-8"), None
        except UnicodeDecodeError:
            pass
        if _UTF8_MULTIBYTE.search(data):
            # Mostly UTF-8 with a stray byte (a cell pasted from another file): read as Windows-1252, every
            # accented name would turn to mojibake ("ZoÃ«") and no longer match the person already held.
            return _decode_as(data, "utf-8", "the file mixes encodings: this cell holds a byte that is not UTF-8, "
                                             "while other cells are UTF-8; correct the cell and save the file as "
                                             "\"CSV UTF-8\"")
        return _decode_as(data, "cp1252", "a byte in this cell is neither UTF-8 nor Windows-1252; save the file as "
                                          "\"CSV UTF-8\"")
    try:
        name = codecs.lookup(wanted).name
    except LookupError:
        raise ImportFileError("the encoding must be \"auto\", \"utf-8\" or \"cp1252\" (Windows-1252)") from None
    if name in _UTF8:
        return _decode_as(data, "utf-8-sig", _stated("UTF-8"))
    if name in _CP1252:
        return _decode_as(data, "cp1252", _stated("Windows-1252"))
    raise ImportFileError("the encoding must be \"auto\", \"utf-8\" or \"cp1252\" (Windows-1252)")


def _stated(label: str) -> str:
    return f"a byte in this cell is not valid {label}; save the file as \"CSV UTF-8\" or state its encoding"


def _decode_as(data: bytes, codec: str, undecodable: str) -> tuple[str, str | None]:
    """The text, and `undecodable` (the message for a cell holding a bad byte) when some byte did not decode."""
    try:
        return data.decode(codec), None
    except UnicodeDecodeError:
        pass
    # Decode anyway with each bad byte kept as a marker, so the cell that holds it can be named.
    return data.decode(codec, errors="surrogateescape"), undecodable


def _records(text: str, delimiter: str, undecodable: str | None) -> Iterator[tuple[int, list[Cell]]]:
    lines = io.StringIO(text, newline="")
    reader = csv.reader(lines, delimiter=delimiter, strict=True)
    start = 1
    while True:
        try:
            fields = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise _csv_error(exc, text, start, delimiter) from None
        yield start, [text_cell(f, start, i, undecodable=undecodable) for i, f in enumerate(fields)]
        start = reader.line_num + 1


def _csv_error(exc: csv.Error, text: str, row: int, delimiter: str) -> ImportFileError:
    if "field larger than field limit" in str(exc):
        return ImportFileError(f"a cell is longer than {MAX_CELL_CHARS:,} characters (Excel's own limit); "
                               "shorten it or move the text elsewhere", row=row,
                               column=_long_field_column(text, row, delimiter))
    return ImportFileError("this record is not valid CSV (a quote is not closed or is followed by other "
                           "text); check the quotes", row=row)


def _long_field_column(text: str, row: int, delimiter: str) -> int | None:
    """Which field of the record starting on `row` runs past the cell limit: a plain quote-aware walk.

    The csv module stops at its own field limit without saying which field; a limit set higher would be
    process-wide, so the walk finds the column instead.
    """
    lines = io.StringIO(text, newline="")
    for _ in range(row - 1):
        lines.readline()
    rest = lines.read()
    column, length, quoted = 0, 0, False
    i = 0
    while i < len(rest):
        ch = rest[i]
        if quoted:
            if ch == '"':
                if rest.startswith('"', i + 1):
                    i += 1
                else:
                    quoted = False
                    i += 1
                    continue
        elif ch == '"':
            quoted = True
            i += 1
            continue
        elif ch == delimiter:
            column, length = column + 1, 0
            i += 1
            continue
        elif ch in "\r\n":
            return None
        length += 1
        if length > MAX_CELL_CHARS:
            return column
        i += 1
    return None
