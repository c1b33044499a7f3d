"""Page furniture, fonts, text handling and the atomic writer shared by every PDF."""

from __future__ import annotations

import ast
import os
import stat
import subprocess
from importlib.resources import files
from pathlib import Path
from typing import BinaryIO

import pytest
from reportlab.lib.pagesizes import A4
from reportlab.platypus import PageBreak

from gvm_desktop.core.errors import GvmError, ValidationError
from gvm_desktop.reports.fonts import ARABIC, ARABIC_BOLD, BOLD, FALLBACK, REGULAR, coverage, runs, text_width
from gvm_desktop.reports.grid import Grid
from gvm_desktop.reports.pdf_base import (
    PageFurniture,
    ReportBuildError,
    ReportWriteError,
    body_size,
    build_pdf,
    format_head,
    utc_minutes,
    utc_seconds,
    write_pdf_atomically,
)
from gvm_desktop.reports.text import printable, visual, wrap
from tests.reports.pdftools import HEAD, HEAD_LINE, WATERMARK, assert_furniture, page_count, qpdf_check, text, tool

FURNITURE = PageFurniture(title="Furniture test", exported_by="demo.auditor", exported_at="2026-11-02T09:00:00Z",
                          log_head=HEAD, subtitle="vault 3fa2c9e1")
REPORTS = Path(__file__).resolve().parents[2] / "gvm_desktop" / "reports"


def _three_pages(fh: BinaryIO) -> None:
    width, _ = body_size(A4)
    grid = Grid(widths=(width,), size=10, leading=13)
    story = []
    for n in range(3):
        story += [grid.flowable(None, [grid.row([f"Body of page {n + 1}"])]), PageBreak()]
    build_pdf(fh, FURNITURE, story[:-1], pagesize=A4)


def test_every_page_carries_marking_number_head_and_watermark(tmp_path: Path) -> None:
    pdf = tmp_path / "three.pdf"
    write_pdf_atomically(pdf, _three_pages)
    qpdf_check(pdf)
    assert page_count(pdf) == 3
    for n in (1, 2, 3):
        page = text(pdf, page=n)
        assert_furniture(page, n, 3)
        assert f"Body of page {n}" in page
        assert "Furniture test" in page and "vault 3fa2c9e1" in page


def test_watermark_is_diagonal_and_extracts_as_one_string(tmp_path: Path) -> None:
    pdf = tmp_path / "three.pdf"
    write_pdf_atomically(pdf, _three_pages)
    assert text(pdf, layout=False).count(WATERMARK) == 3
    assert FURNITURE.watermark == WATERMARK
    # The watermark is the only diagonal text: poppler's -nodiag drops it and nothing else.
    nodiag = subprocess.run([tool("pdftotext"), "-layout", "-nodiag", str(pdf), "-"], capture_output=True, text=True,
                            check=True).stdout
    assert WATERMARK not in nodiag
    assert HEAD_LINE in nodiag and "Body of page 2" in nodiag


def test_same_inputs_give_the_same_bytes(tmp_path: Path) -> None:
    one, two = tmp_path / "one.pdf", tmp_path / "two.pdf"
    write_pdf_atomically(one, _three_pages)
    write_pdf_atomically(two, _three_pages)
    assert one.read_bytes() == two.read_bytes()


def test_head_and_times_are_formatted_for_print() -> None:
    assert format_head(HEAD) == HEAD_LINE
    assert format_head((0, "AB" * 32)) == "Access log head 0:abababababababab"
    for bad in ((-1, "ab" * 32), (1, "xyz" * 8), (1, "abc"), ("1", "ab" * 32), (True, "ab" * 32)):
        with pytest.raises(ValueError):
            format_head(bad)  # type: ignore[arg-type]
    assert utc_seconds("2026-11-02T09:00:05Z") == "2026-11-02 09:00:05 UTC"
    assert utc_minutes("2026-11-02T09:00:05Z") == "2026-11-02 09:00 UTC"
    assert utc_seconds("2026-11-02T10:00:05+01:00") == "2026-11-02 09:00:05 UTC"
    assert utc_seconds("yesterday") == "yesterday"  # printed as given, never guessed at
    assert utc_seconds("2026-13-02T09:00:05Z") == "2026-13-02T09:00:05Z"


def test_a_malformed_head_is_refused_and_nothing_is_written(tmp_path: Path) -> None:
    pdf = tmp_path / "bad-head.pdf"
    furniture = PageFurniture(title="t", exported_by="u", exported_at="2026-11-02T09:00:00Z", log_head=(1, "nothex"))
    with pytest.raises(ReportBuildError) as caught:
        write_pdf_atomically(pdf, lambda fh: build_pdf(fh, furniture, []))
    assert isinstance(caught.value.__cause__, ValueError)
    assert list(tmp_path.iterdir()) == []


# --- writing atomically ---------------------------------------------------------------------------------------


def test_written_file_is_complete_and_owner_only(tmp_path: Path) -> None:
    pdf = tmp_path / "out.pdf"
    write_pdf_atomically(pdf, _three_pages)
    assert pdf.read_bytes().startswith(b"%PDF-") and pdf.read_bytes().rstrip().endswith(b"%%EOF")
    assert [p.name for p in tmp_path.iterdir()] == ["out.pdf"]
    if os.name == "posix":
        assert stat.S_IMODE(pdf.stat().st_mode) == 0o600


@pytest.mark.parametrize("where", ["parent is a file", "parent missing", "target is a folder"])
def test_unwritable_path_raises_a_clear_error_and_leaves_nothing(tmp_path: Path, where: str) -> None:
    # chmod 0o500 does not stop root, so the tests use paths no one can write to.
    blocker = tmp_path / "blocker.txt"
    blocker.write_text("not a folder")
    (tmp_path / "folder.pdf").mkdir()
    target = {"parent is a file": blocker / "out.pdf", "parent missing": tmp_path / "missing" / "out.pdf",
              "target is a folder": tmp_path / "folder.pdf"}[where]
    before = sorted(p.name for p in tmp_path.rglob("*"))
    with pytest.raises(ReportWriteError) as caught:
        write_pdf_atomically(target, _three_pages)
    assert isinstance(caught.value, OSError) and isinstance(caught.value, GvmError)
    assert str(target) in str(caught.value) and str(caught.value).startswith("Cannot write the PDF to ")
    assert sorted(p.name for p in tmp_path.rglob("*")) == before


def test_a_build_that_fails_midway_leaves_no_file(tmp_path: Path) -> None:
    pdf = tmp_path / "out.pdf"

    def half_then_fail(fh: BinaryIO) -> None:
        fh.write(b"%PDF-1.4\n% half a document\n")
        raise RuntimeError("layout exploded")

    with pytest.raises(ReportBuildError) as caught:
        write_pdf_atomically(pdf, half_then_fail)
    assert isinstance(caught.value.__cause__, RuntimeError)
    assert "nothing was written" in str(caught.value)
    assert list(tmp_path.iterdir()) == []


def test_a_failed_build_leaves_the_previous_file_untouched(tmp_path: Path) -> None:
    pdf = tmp_path / "out.pdf"
    pdf.write_bytes(b"the previous export")

    def fail(fh: BinaryIO) -> None:
        fh.write(b"partial")
        raise OSError(28, "No space left on device")

    with pytest.raises(ReportWriteError, match="No space left on device"):
        write_pdf_atomically(pdf, fail)
    assert pdf.read_bytes() == b"the previous export"
    assert [p.name for p in tmp_path.iterdir()] == ["out.pdf"]


def test_an_application_error_from_the_builder_passes_through_unchanged(tmp_path: Path) -> None:
    def refuse(fh: BinaryIO) -> None:
        raise ValidationError("The selection is empty.")

    with pytest.raises(ValidationError, match=r"The selection is empty\."):
        write_pdf_atomically(tmp_path / "out.pdf", refuse)
    assert list(tmp_path.iterdir()) == []


def test_keyboard_interrupt_still_cleans_up(tmp_path: Path) -> None:
    def interrupted(fh: BinaryIO) -> None:
        fh.write(b"partial")
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        write_pdf_atomically(tmp_path / "out.pdf", interrupted)
    assert list(tmp_path.iterdir()) == []


# --- fonts and text -------------------------------------------------------------------------------------------


def test_fonts_and_their_licence_ship_inside_the_package() -> None:
    folder = files("gvm_desktop.resources").joinpath("fonts")
    for name in ("DejaVuSans.ttf", "DejaVuSans-Bold.ttf"):
        assert folder.joinpath(name).read_bytes()[:4] == b"\x00\x01\x00\x00"  # a TrueType font
    assert "Bitstream" in folder.joinpath("DejaVu-LICENSE.txt").read_text("utf-8")


def test_right_to_left_runs_are_put_in_display_order() -> None:
    assert visual("plain text") == "plain text"
    assert visual("דני") == "ינד"
    assert visual("user דני כהן end") == "user ןהכ ינד end"
    assert visual("שלום (עולם) x") == "(םלוע) םולש x"  # brackets follow the text they enclose
    assert visual("abc مرحبا 12 def") == "abc 12 ابحرم def"  # numbers keep their own order


def test_invisible_and_unprintable_characters_are_shown_not_hidden() -> None:
    # A right-to-left override could make one username look like another; a missing glyph prints as a box.
    assert printable("a\u202eb", REGULAR) == "a[U+202E]b"
    assert printable("bell\x07", REGULAR) == "bell[U+0007]"
    assert printable("\U0001f9d1", REGULAR) == "[U+1F9D1]"  # no glyph in DejaVu Sans
    # Arabic comes back joined: meem initial, reh final, hah initial, beh medial, alef final
    assert printable("😀 דני مرحبا \"q\"", REGULAR) == "😀 דני \ufee3\ufeae\ufea3\ufe92\ufe8e \"q\""
    assert printable(None, REGULAR) == "-" and printable("", REGULAR, empty="") == ""


def test_cjk_is_kept_and_drawn_with_the_fallback_font() -> None:
    for name in ("合田 陽子", "김민준", "さくら アイウ"):
        assert printable(name, REGULAR) == name
        assert all(ord(ch) in coverage(FALLBACK) for ch in name.replace(" ", ""))
    assert runs("Testperson 合成 😀", REGULAR) == [(REGULAR, "Testperson "), (FALLBACK, "合成"), (REGULAR, " 😀")]
    assert runs("合成", BOLD) == [(FALLBACK, "合成")]  # one weight of the fallback serves bold cells too
    assert runs("plain ascii", BOLD) == [(BOLD, "plain ascii")]
    # Measured with the font that draws it, so a wrapped CJK line fits its column
    assert text_width("合", REGULAR, 10) == text_width("合", FALLBACK, 10) > text_width("a", REGULAR, 10)
    lines = wrap("合成" * 40, REGULAR, 7, 60)
    assert len(lines) > 4 and "".join(lines) == "合成" * 40
    assert all(text_width(line, REGULAR, 7) <= 60 for line in lines)


def test_arabic_is_joined_drawn_with_noto_and_nothing_is_dropped() -> None:
    import unicodedata

    # lam-alef is the ligature Arabic requires; harakat (the vowel marks) are kept, not deleted
    shaped = printable("السلام مُحَمَّد", REGULAR)
    assert "\ufefc" in shaped  # lam-alef, final form (lam joins the seen before it)
    assert unicodedata.normalize("NFKC", shaped) == unicodedata.normalize("NFC", "السلام مُحَمَّد")
    # Urdu's heh goal and yeh barree are not in DejaVu at all: Noto Sans Arabic draws them, joined
    urdu = printable("ٹیکہ ہے", REGULAR)
    assert "[U+" not in urdu and unicodedata.normalize("NFKC", urdu) == "ٹیکہ ہے"
    assert "\ufbaf" in urdu  # yeh barree, final form
    assert runs(urdu, REGULAR) == [(ARABIC, urdu[:4]), (REGULAR, " "), (ARABIC, urdu[5:])]  # the space is DejaVu's
    assert runs(printable("Testperson سمير", BOLD), BOLD) == [(BOLD, "Testperson "), (ARABIC_BOLD, "\ufeb3\ufee4\ufef4\ufeae")]
    assert text_width("\ufeb3", REGULAR, 10) == text_width("\ufeb3", ARABIC, 10)
    # A zero-width non-joiner inside a Persian word keeps two letters apart and is then not drawn;
    # between Latin letters it is invisible, so it is shown
    assert printable("می\u200cخواهم", REGULAR) == "\ufee3\ufbfd\ufea7\ufeee\ufe8d\ufeeb\ufee2"
    assert printable("ab\u200ccd", REGULAR) == "ab[U+200C]cd"
    # Visual order reverses each mark with its letter, so a mark comes just before the letter it sits on
    marked = printable("مُحَمَّد", REGULAR)
    assert visual(marked) == marked[::-1]


def test_wrapping_never_loses_a_character() -> None:
    word = "x" * 700
    lines = wrap(f"start {word} end", REGULAR, 7, 100)
    assert len(lines) > 5
    assert "".join(lines).replace(" ", "") == f"start{word}end"
    assert wrap("one\ntwo", REGULAR, 7, 100) == ("one", "two")
    assert wrap("access_log.key_grant", REGULAR, 7, 60) == ("access_log.", "key_grant")  # cut after a separator


def test_reports_import_only_reportlab_core_and_the_standard_library() -> None:
    """The layering rule, checked on the source itself (imports hidden inside functions included)."""
    for path in REPORTS.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            for name in names:
                top = name.split(".")[0]
                assert top not in {"PySide6", "sqlcipher3"}, f"{path.name} imports {name}"
                if top == "gvm_desktop":
                    assert name.startswith(("gvm_desktop.core", "gvm_desktop.reports")), f"{path.name} imports {name}"
