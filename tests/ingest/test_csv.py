"""CSV files as a BCU saves them: encodings, quoting, numbering, trimming, and what is refused."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from gvm_desktop.ingest.read import read_table
from gvm_desktop.ingest.table import ImportFileError
from tests.support.workbooks import csv_bytes

Write = Callable[[str, bytes], Path]
HEADER = ["Name", "Date of birth", "Nickname"]


def test_utf8_file_reads_header_and_numbered_rows(write_file: Write) -> None:
    table = read_table(write_file("m.csv", csv_bytes([HEADER, ["Jo Bloggs", "01/02/1990", "JB"],
                                                        ["Sam Smith", "03/04/1991", ""]])))
    assert table.headers == ("Name", "Date of birth", "Nickname")
    assert [r.number for r in table.rows] == [2, 3]
    assert table.rows[0].cells == ("Jo Bloggs", "01/02/1990", "JB")
    assert table.rows[1].cells == ("Sam Smith", "03/04/1991", None)
    assert table.kind == "csv" and not table.date1904


def test_sha256_is_of_the_bytes_read(write_file: Write) -> None:
    import hashlib

    data = csv_bytes([HEADER, ["Jo", "1", "x"]])
    assert read_table(write_file("m.csv", data)).sha256 == hashlib.sha256(data).hexdigest()


def test_utf8_with_bom_does_not_leak_into_the_first_header(write_file: Write) -> None:
    table = read_table(write_file("m.csv", csv_bytes([HEADER, ["Zoë Ñúñez", "1", "x"]], bom=True)))
    assert table.headers[0] == "Name"
    assert table.rows[0].cells[0] == "Zoë Ñúñez"


def test_windows_1252_is_detected(write_file: Write) -> None:
    data = csv_bytes([HEADER, ["Renée O’Brien", "1", "x"]], encoding="cp1252")
    assert read_table(write_file("m.csv", data)).rows[0].cells[0] == "Renée O’Brien"


def test_windows_1252_stated_reads_the_same(write_file: Write) -> None:
    data = csv_bytes([HEADER, ["Renée O’Brien", "1", "x"]], encoding="cp1252")
    assert read_table(write_file("m.csv", data), encoding="cp1252").rows[0].cells[0] == "Renée O’Brien"


def test_wrong_stated_encoding_names_row_and_column(write_file: Write) -> None:
    data = csv_bytes([HEADER, ["Jo", "1", "x"], ["Sam", "2", "Renée"]], encoding="cp1252")
    with pytest.raises(ImportFileError) as caught:
        read_table(write_file("m.csv", data), encoding="utf-8")
    assert (caught.value.row, caught.value.column) == (3, 2)
    assert "Row 3, column C" in str(caught.value) and "UTF-8" in str(caught.value)


def test_bytes_neither_utf8_nor_1252_are_refused_with_their_cell(write_file: Write) -> None:
    data = csv_bytes([HEADER, ["Jo", "1", "x"]]) + b"Sam,\x81\x8d,y\r\n"
    with pytest.raises(ImportFileError) as caught:
        read_table(write_file("m.csv", data))
    assert (caught.value.row, caught.value.column) == (3, 1)
    assert "neither UTF-8 nor Windows-1252" in str(caught.value)


def test_a_bom_then_a_byte_that_is_not_utf8_names_its_cell(write_file: Write) -> None:
    data = b"\xef\xbb\xbfName,Nickname\r\nJo,x\r\nSam,Ren\xe9e\r\n"
    with pytest.raises(ImportFileError) as caught:
        read_table(write_file("m.csv", data))
    assert (caught.value.row, caught.value.column) == (3, 1)
    assert "not valid UTF-8" in str(caught.value)


def test_unknown_stated_encoding_is_refused(write_file: Write) -> None:
    with pytest.raises(ImportFileError, match="encoding"):
        read_table(write_file("m.csv", csv_bytes([HEADER])), encoding="ebcdic-klingon")


def test_utf16_is_refused_with_what_to_do(write_file: Write) -> None:
    data = "Name\tDob\r\nJo\t1\r\n".encode("utf-16")
    with pytest.raises(ImportFileError, match="UTF-16"):
        read_table(write_file("m.csv", data))


def test_quoted_newline_is_one_record_numbered_by_its_first_line(write_file: Write) -> None:
    data = b'Name,Notes,Nickname\r\nJo,"line one\r\nline two\r\nline three",JB\r\nSam,x,=bad\r\n'
    with pytest.raises(ImportFileError) as caught:
        read_table(write_file("m.csv", data))
    assert (caught.value.row, caught.value.column) == (5, 2)
    table = read_table(write_file("ok.csv", data.replace(b"=bad", b"good")))
    assert [r.number for r in table.rows] == [2, 5]
    assert table.rows[0].cells[1] == "line one\r\nline two\r\nline three"


def test_unclosed_quote_names_the_record(write_file: Write) -> None:
    data = b'Name,Notes\r\nJo,x\r\nSam,"never closed\r\nmore\r\n'
    with pytest.raises(ImportFileError) as caught:
        read_table(write_file("m.csv", data))
    assert caught.value.row == 3


def test_trailing_spaces_are_trimmed_and_blank_cells_are_none(write_file: Write) -> None:
    table = read_table(write_file("m.csv", csv_bytes([[" Name ", "Date of birth  ", "Nickname"],
                                                        ["Jo Bloggs   ", "  01/02/1990", "   "]])))
    assert table.headers == ("Name", "Date of birth", "Nickname")
    assert table.rows[0].cells == ("Jo Bloggs", "01/02/1990", None)


def test_empty_rows_in_the_middle_are_kept_and_trailing_ones_dropped(write_file: Write) -> None:
    data = b"Name,Dob\r\nJo,1\r\n\r\n,\r\nSam,2\r\n\r\n,,\r\n"
    table = read_table(write_file("m.csv", data))
    assert [(r.number, r.empty) for r in table.rows] == [(2, False), (3, True), (4, True), (5, False)]
    assert all(len(r.cells) == 2 for r in table.rows)


def test_rtl_and_emoji_text_is_kept_exactly(write_file: Write) -> None:
    names = ["محمد عبد الله", "שׂרה כהן", "Zoë 👩🏽‍🚒 Smith", "Ａｌｉ"]
    table = read_table(write_file("m.csv", csv_bytes([["Name"], *([n] for n in names)])))
    assert [r.cells[0] for r in table.rows] == names


@pytest.mark.parametrize("text", ["+cmd|' /C calc'!A0", "=HYPERLINK(\"http://x\",\"y\")", "@SUM(A1)",
                                  "-cmd|' /C calc'!A0", "\t=1+1", "\rfoo", "  =1+2"])
def test_formula_like_text_is_refused_naming_the_cell(write_file: Write, text: str) -> None:
    with pytest.raises(ImportFileError) as caught:
        read_table(write_file("m.csv", csv_bytes([HEADER, ["Jo", "1", "x"], ["Sam", "2", text]])))
    assert (caught.value.row, caught.value.column) == (3, 2)
    assert "formula" in str(caught.value)
    assert "calc" not in str(caught.value) and "HYPERLINK" not in str(caught.value)


@pytest.mark.parametrize("text", ["-3", "-1.5", "+44", "-0.5e3", "- 2"])
def test_plain_signed_numbers_are_data(write_file: Write, text: str) -> None:
    assert read_table(write_file("m.csv", csv_bytes([["Score"], [text]]))).rows[0].cells == (text,)


def test_a_one_megabyte_cell_names_row_and_column(write_file: Write) -> None:
    data = csv_bytes([HEADER, ["Jo", "1", "x"], ["Sam", "x" * (1024 * 1024), "y"]])
    with pytest.raises(ImportFileError) as caught:
        read_table(write_file("m.csv", data))
    assert (caught.value.row, caught.value.column) == (3, 1)
    assert "32,767" in str(caught.value)


def test_a_cell_just_over_excels_limit_names_row_and_column(write_file: Write) -> None:
    data = csv_bytes([HEADER, ["Jo", "1", "x" * 32_768]])
    with pytest.raises(ImportFileError) as caught:
        read_table(write_file("m.csv", data))
    assert (caught.value.row, caught.value.column) == (2, 2)


def test_two_hundred_thousand_rows_are_refused_at_the_limit(write_file: Write) -> None:
    data = b"Name,Dob\n" + b"Jo Bloggs,01/02/1990\n" * 200_000
    with pytest.raises(ImportFileError) as caught:
        read_table(write_file("m.csv", data))
    assert "50,000" in str(caught.value)
    assert caught.value.row == 50_002  # the first row past the limit: nothing after it was read


def test_nul_bytes_are_refused_with_their_line(write_file: Write) -> None:
    with pytest.raises(ImportFileError) as caught:
        read_table(write_file("m.csv", b"Name\nJo\nSa\x00m\n"))
    assert caught.value.row == 3


def test_empty_file_is_refused(write_file: Write) -> None:
    with pytest.raises(ImportFileError, match="empty"):
        read_table(write_file("m.csv", b""))


def test_header_only_file_gives_no_rows(write_file: Write) -> None:
    table = read_table(write_file("m.csv", b"Name,Dob\r\n"))
    assert table.headers == ("Name", "Dob") and table.rows == ()


def test_header_row_beyond_the_data_is_a_clear_error(write_file: Write) -> None:
    with pytest.raises(ImportFileError, match="header row is set to row 9, but the file has only 2 rows"):
        read_table(write_file("m.csv", b"Name\r\nJo\r\n"), header_row=9)


def test_header_row_below_a_title_is_honoured(write_file: Write) -> None:
    table = read_table(write_file("m.csv", b"GVM export (synthetic)\r\n\r\nName,Dob\r\nJo,1\r\n"), header_row=3)
    assert table.headers == ("Name", "Dob") and [r.number for r in table.rows] == [4]


def test_duplicate_headers_name_both_columns(write_file: Write) -> None:
    with pytest.raises(ImportFileError) as caught:
        read_table(write_file("m.csv", b"Name,Dob, name \r\nJo,1,2\r\n"))
    assert (caught.value.row, caught.value.column) == (1, 2)
    assert "columns A and C" in str(caught.value)


def test_unnamed_column_with_data_is_refused_but_an_empty_one_is_allowed(write_file: Write) -> None:
    table = read_table(write_file("ok.csv", b"Name,,Dob\r\nJo,,1\r\n"))
    assert table.headers == ("Name", "", "Dob")
    with pytest.raises(ImportFileError) as caught:
        read_table(write_file("bad.csv", b"Name,,Dob\r\nJo,x,1\r\n"))
    assert (caught.value.row, caught.value.column) == (1, 1)


def test_delimiter_from_the_argument(write_file: Write) -> None:
    table = read_table(write_file("m.csv", b"Name;Dob\r\nJo;1\r\n"), delimiter=";")
    assert table.headers == ("Name", "Dob")


def test_too_many_columns_is_refused(write_file: Write) -> None:
    with pytest.raises(ImportFileError, match="at most 200"):
        read_table(write_file("m.csv", ",".join(f"c{i}" for i in range(201)).encode() + b"\r\n"))


def test_a_directory_or_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ImportFileError, match="folder"):
        read_table(tmp_path)
    with pytest.raises(ImportFileError, match="does not exist"):
        read_table(tmp_path / "nope.csv")
