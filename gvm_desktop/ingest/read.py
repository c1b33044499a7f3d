"""The one way into the readers: a file's bytes read once, hashed, its kind decided by content, then read.

    read_table(path, sheet=..., header_row=1, encoding="auto", delimiter=",") -> SourceTable
    list_sheets(path) -> the XLSX's sheet names in workbook order; [] for a CSV (it has no sheets)
    read_mapping_text(path) -> a mapping file's text (a regular file, at most 1 MB, UTF-8 with or without BOM)

Every refusal is an ImportFileError naming the row and column where it can; no other exception leaves
these functions, whatever the file holds.
"""

from __future__ import annotations

import hashlib
import os
import stat
from pathlib import Path

from gvm_desktop.core.errors import ValidationError
from gvm_desktop.ingest.csv_reader import read_csv
from gvm_desktop.ingest.limits import MAX_FILE_BYTES, MAX_MAPPING_BYTES
from gvm_desktop.ingest.table import ImportFileError, SourceTable
from gvm_desktop.ingest.xlsx_reader import read_xlsx, sheet_names

ZIP_MAGIC = b"PK\x03\x04"
EMPTY_ZIP_MAGIC = b"PK\x05\x06"
# The OLE compound file: an encrypted or password-protected .xlsx (Excel wraps it so) or an old .xls.
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_OTHER_BINARIES = (b"\x89PNG", b"\xff\xd8\xff", b"GIF8", b"%PDF", b"\x7fELF", b"MZ")


def read_table(path: Path, *, sheet: str | None = None, header_row: int = 1, encoding: str = "auto",
               delimiter: str = ",") -> SourceTable:
    """The sheet (XLSX; default the first) or the CSV file as a checked table, or ImportFileError."""
    data = read_bytes(path)
    return read_table_bytes(data, sheet=sheet, header_row=header_row, encoding=encoding, delimiter=delimiter)


def read_table_bytes(data: bytes, *, sheet: str | None = None, header_row: int = 1, encoding: str = "auto",
                     delimiter: str = ",") -> SourceTable:
    """read_table for bytes already in memory (the fuzzer and the tests use it; the path is not needed)."""
    sha256 = hashlib.sha256(data).hexdigest()
    try:
        kind = file_kind(data)
        if kind == "xlsx":
            return read_xlsx(data, sha256=sha256, sheet=sheet, header_row=header_row)
        return read_csv(data, sha256=sha256, header_row=header_row, encoding=encoding, delimiter=delimiter)
    except ImportFileError:
        raise
    except (RecursionError, MemoryError):
        raise ImportFileError("the file is too complex to read safely; the file is refused") from None
    except Exception:
        # The readers turn each failure they know into a sentence; this is the last line, so that no input
        # ever shows a traceback (or a cell's content in an exception's text) to the person importing.
        raise ImportFileError("the file could not be read; open it in Excel and save it again as .xlsx or "
                              "CSV UTF-8") from None


def list_sheets(path: Path) -> list[str]:
    """An XLSX's sheet names in workbook order, checked as read_table checks it; [] for a CSV file."""
    return list_sheets_bytes(read_bytes(path))


def list_sheets_bytes(data: bytes) -> list[str]:
    """list_sheets for bytes already in memory."""
    try:
        if file_kind(data) != "xlsx":
            return []
        return sheet_names(data)
    except ImportFileError:
        raise
    except Exception:
        raise ImportFileError("the file could not be read; open it in Excel and save it again as .xlsx") from None


def file_kind(data: bytes) -> str:
    """"xlsx" or "csv" by content, not by the name's extension; refuses what is neither."""
    if not data:
        raise ImportFileError("the file is empty")
    if data.startswith(ZIP_MAGIC):
        return "xlsx"
    if data.startswith(EMPTY_ZIP_MAGIC):
        raise ImportFileError("the file is an empty ZIP archive, not an XLSX workbook")
    if data.startswith(OLE_MAGIC[:4]):
        raise ImportFileError("the file is a password-protected or encrypted workbook, or an old .xls: open it "
                              "in Excel, remove the password and save it as .xlsx (Excel Workbook)")
    if data.startswith(_OTHER_BINARIES):
        raise ImportFileError("the file is not a spreadsheet (it looks like a picture or a program); choose "
                              "the .xlsx or .csv file")
    return "csv"


def read_bytes(path: Path) -> bytes:
    """The whole file, at most the size limit: what is hashed is what is parsed."""
    return read_regular_file(path, MAX_FILE_BYTES, _too_big())


def read_regular_file(path: Path, limit: int, too_big: str) -> bytes:
    """A regular file's bytes, at most `limit`; anything else (a FIFO, a device, a folder) is refused unopened.

    A FIFO blocks open() until a writer comes and /dev/zero never ends: either would hold whoever reads it, and
    the caller may hold the vault. O_NONBLOCK keeps the open from waiting if the path is swapped for a FIFO
    between the stat and the open; the fstat after it judges what was actually opened.
    """
    try:
        mode = os.stat(path).st_mode
        if stat.S_ISDIR(mode):
            raise ImportFileError("this is a folder, not a file")
        if not stat.S_ISREG(mode):
            raise ImportFileError(_NOT_REGULAR)
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0))
        try:
            opened = os.fstat(fd)
            if not stat.S_ISREG(opened.st_mode):
                raise ImportFileError(_NOT_REGULAR)
            if opened.st_size > limit:
                raise ImportFileError(too_big)
            chunks: list[bytes] = []
            left = limit + 1
            while left > 0 and (chunk := os.read(fd, min(left, 1024 * 1024))):
                chunks.append(chunk)
                left -= len(chunk)
        finally:
            os.close(fd)
    except ImportFileError:
        raise
    except IsADirectoryError:
        raise ImportFileError("this is a folder, not a file") from None
    except FileNotFoundError:
        raise ImportFileError("the file does not exist") from None
    except PermissionError:
        raise ImportFileError("the file cannot be opened: permission denied") from None
    except OSError as exc:
        raise ImportFileError(f"the file cannot be read ({exc.strerror or 'input/output error'})") from None
    data = b"".join(chunks)
    if len(data) > limit:  # it grew while being read
        raise ImportFileError(too_big)
    return data


_NOT_REGULAR = ("this is not a regular file (a pipe, a device or a socket); save the data as a file and choose "
                "that file")


def read_mapping_text(path: Path) -> str:
    """A mapping file's text: a regular file of at most MAX_MAPPING_BYTES, UTF-8 with or without a BOM."""
    name = path.name
    try:
        data = read_regular_file(path, MAX_MAPPING_BYTES, f"the mapping is larger than "
                                                          f"{MAX_MAPPING_BYTES // (1024 * 1024)} MB; a mapping is a "
                                                          "few KB, so check this is the right file")
    except ImportFileError as exc:
        raise ValidationError(f"{name}: {exc.message}") from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise ValidationError(f"{name}: line {line} is not UTF-8 text; save the mapping as UTF-8 (in Notepad: "
                              "Save as, Encoding UTF-8)") from None


def _too_big() -> str:
    return (f"the file is larger than {MAX_FILE_BYTES // (1024 * 1024)} MB, the most one import reads; a BCU's "
            "matrix is far smaller, so check this is the right file")
