"""Files built to hurt: bombs, disguises, damage and sheer size. Each is refused with a clear sentence."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest

from gvm_desktop.ingest.read import read_table
from gvm_desktop.ingest.table import ImportFileError
from tests.support.workbooks import (
    billion_laughs,
    entity_bomb_xlsx,
    minimal_xlsx,
    package,
    password_protected_xlsx,
    png_bytes,
    replace_part,
    sheet_xml,
    xlsx_bytes,
    zip_bomb_xlsx,
)

Write = Callable[[str, bytes], Path]


def test_zip_bomb_is_refused_from_the_directory(write_file: Write) -> None:
    data = zip_bomb_xlsx(300)
    assert len(data) < 2 * 1024 * 1024  # 300 MB of zeros, a few hundred KB on disk
    with pytest.raises(ImportFileError, match="ZIP bomb"):
        read_table(write_file("bomb.xlsx", data))


def test_zip_bomb_with_a_lying_directory_is_refused_while_unzipping(write_file: Write) -> None:
    # The headers claim the part is 1,000 bytes: the ratio check passes; reading stops at the claimed size
    # and the part's checksum then fails, so the 300 MB never come out.
    data = zip_bomb_xlsx(300, claimed_bytes=1000)
    assert zipfile.ZipFile(io.BytesIO(data)).getinfo("xl/media/image1.png").file_size == 1000
    with pytest.raises(ImportFileError, match="not a readable XLSX"):
        read_table(write_file("bomb.xlsx", data))


@pytest.mark.parametrize("part", ["xl/sharedStrings.xml", "xl/worksheets/sheet1.xml"])
def test_xml_entity_bomb_is_refused_before_any_parser_sees_it(write_file: Write, part: str) -> None:
    with pytest.raises(ImportFileError, match="DOCTYPE"):
        read_table(write_file("laughs.xlsx", entity_bomb_xlsx(part)))


def test_doctype_hidden_behind_comments_is_still_found(write_file: Write) -> None:
    body = "<!-- a comment -->\n<?pi x?>\n" + billion_laughs("workbook").split("\n", 1)[1]
    data = replace_part(xlsx_bytes([["Name"]]), "xl/workbook.xml", lambda old: b"<?xml version='1.0'?>" +
                        body.encode() + old.split(b"?>", 1)[1])
    with pytest.raises(ImportFileError, match="DOCTYPE"):
        read_table(write_file("laughs.xlsx", data))


def test_password_protected_workbook_says_to_save_it_unprotected(write_file: Write) -> None:
    # Excel wraps an encrypted workbook in an OLE compound file: its magic followed by junk is enough here.
    with pytest.raises(ImportFileError, match=r"password-protected.*save it as \.xlsx"):
        read_table(write_file("locked.xlsx", password_protected_xlsx()))


def test_truncated_xlsx_is_not_readable(write_file: Write) -> None:
    data = xlsx_bytes([["Name"], ["Jo"]])
    for cut in (len(data) // 2, len(data) - 30, 100):
        with pytest.raises(ImportFileError, match="not a readable XLSX"):
            read_table(write_file("cut.xlsx", data[:cut]))


def test_png_renamed_to_xlsx_is_refused(write_file: Write) -> None:
    with pytest.raises(ImportFileError, match="not a spreadsheet"):
        read_table(write_file("photo.xlsx", png_bytes()))


def test_a_zip_that_is_not_a_workbook(write_file: Write) -> None:
    with pytest.raises(ImportFileError, match="not an XLSX workbook"):
        read_table(write_file("m.xlsx", package({"readme.txt": "hello"})))


def test_two_hundred_thousand_rows_xlsx_is_refused_without_loading_them(write_file: Write) -> None:
    data = minimal_xlsx([["Name", "Dob"], *(["Jo Bloggs", 32905] for _ in range(200_000))])
    with pytest.raises(ImportFileError) as caught:
        read_table(write_file("huge.xlsx", data))
    assert "50,000" in str(caught.value)
    assert caught.value.row is not None and caught.value.row <= 52_001


def test_a_cell_far_away_is_refused_before_calamine_sizes_its_grid(write_file: Write) -> None:
    # calamine allocates the whole rectangle up to the last cell: XFD1048576 would abort the process.
    body = sheet_xml([["Name"]]).replace("</sheetData>", '<row r="1048576"><c r="XFD1048576"><v>1</v></c>'
                                         "</row></sheetData>")
    with pytest.raises(ImportFileError) as caught:
        read_table(write_file("far.xlsx", minimal_xlsx([], sheet_body=body)))
    assert caught.value.row == 1048576


def test_a_lying_dimension_is_refused(write_file: Write) -> None:
    body = sheet_xml([["Name"]]).replace("<sheetData>", '<dimension ref="A1:XFD1048576"/><sheetData>')
    with pytest.raises(ImportFileError, match="more than 50,000 data rows"):
        read_table(write_file("dim.xlsx", minimal_xlsx([], sheet_body=body)))


def test_shared_strings_declaring_a_trillion_entries_are_refused(write_file: Write) -> None:
    # calamine reserves the declared count up front; a trillion aborts the process, so it must not get there.
    data = replace_part(xlsx_bytes([["Name"], ["Jo"]]), "xl/sharedStrings.xml",
                        lambda old: old.replace(b'uniqueCount="2"', b'uniqueCount="4000000000000"'))
    with pytest.raises(ImportFileError, match="shared strings"):
        read_table(write_file("sst.xlsx", data))


def test_encrypted_zip_members_are_refused(write_file: Write) -> None:
    data = bytearray(xlsx_bytes([["Name"], ["Jo"]]))
    # Set the "encrypted" flag in every central-directory entry, as a ZIP password would.
    index = data.find(b"PK\x01\x02")
    while index >= 0:
        data[index + 8] |= 0x01
        index = data.find(b"PK\x01\x02", index + 4)
    with pytest.raises(ImportFileError, match="encrypted"):
        read_table(write_file("enc.xlsx", bytes(data)))


def test_messages_never_quote_a_cell(write_file: Write) -> None:
    secret = "Zebediah Quux"
    for data in (xlsx_bytes([["Name"], [f"={secret}"]]), f"Name\r\n+{secret}\r\n".encode(),
                 f"Name\r\n{secret}\x81\r\n".encode("cp1252", errors="ignore") + b"\x81\r\n"):
        with pytest.raises(ImportFileError) as caught:
            read_table(write_file("m.bin", data), encoding="auto")
        assert "Zebediah" not in str(caught.value)


@pytest.mark.parametrize("cell", ['<c r="A2" r="XFD1048576"><v>1</v></c>', '<c r="A2"\tr="XFD1048576"><v>1</v></c>',
                                  '<c t="n" r="XFD1048576"><v>1</v></c>', '<c r="A2" r="A60000"><v>1</v></c>'])
def test_a_far_cell_behind_a_repeated_or_moved_r_is_refused(write_file: Write, cell: str) -> None:
    # calamine keeps the last of a repeated r: checking only the first would let it size a grid that aborts.
    body = sheet_xml([["Name"]]).replace("</sheetData>", f'<row r="2">{cell}</row></sheetData>')
    with pytest.raises(ImportFileError):
        read_table(write_file("dup.xlsx", minimal_xlsx([], sheet_body=body)))


def test_cells_without_r_are_followed_to_their_column(write_file: Write) -> None:
    cells = "<c><v>1</v></c>" * 250
    body = sheet_xml([["Name"]]).replace("</sheetData>", f'<row r="2">{cells}</row></sheetData>')
    with pytest.raises(ImportFileError) as caught:
        read_table(write_file("wide.xlsx", minimal_xlsx([], sheet_body=body)))
    assert (caught.value.row, caught.value.column) == (2, 200)


def test_cells_without_r_read_where_calamine_puts_them(write_file: Write) -> None:
    body = sheet_xml([["Name", "Dob"]]).replace(
        "</sheetData>", '<row r="2"><c t="inlineStr"><is><t>Jo</t></is></c><c><v>7</v></c></row></sheetData>')
    table = read_table(write_file("ok.xlsx", minimal_xlsx([], sheet_body=body)))
    assert table.rows[0].cells == ("Jo", 7)
