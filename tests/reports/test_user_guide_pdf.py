"""The user guide (reports/user_guide_pdf.py): the Markdown shipped in the package, its sections, and its PDF."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pikepdf
import pytest

from gvm_desktop.core.policy import Role
from gvm_desktop.reports.user_guide_pdf import (
    INTRODUCTION,
    ROLE_FILES,
    SHORTCUTS,
    guide_files,
    guide_markdown,
    parse,
    read_file,
    sections,
    shown_markdown,
    slug,
    write_user_guide_pdf,
)
from tests.reports.pdftools import page_count, qpdf_check, text


def test_every_file_of_the_guide_ships_in_the_package() -> None:
    for name in (INTRODUCTION, SHORTCUTS, *ROLE_FILES.values()):
        first = read_file(name).splitlines()[0]
        assert first.startswith("# "), name  # each file is one titled part of the guide
    assert set(ROLE_FILES) == set(Role)


@pytest.mark.parametrize("role", list(Role), ids=lambda r: r.value)
def test_a_roles_guide_has_unique_anchors_and_plain_headings(role: Role) -> None:
    found = sections(guide_markdown(role))
    anchors = [s.anchor for s in found]
    assert len(anchors) == len(set(anchors)), anchors  # F1 must land on one place
    assert all(s.title == s.title.strip() and "*" not in s.title and "`" not in s.title for s in found)
    assert next(s.title for s in found if s.level == 1) == "Getting started"
    assert "{#" not in shown_markdown(guide_markdown(role))


def test_the_markdown_subset() -> None:
    blocks = parse("# Title {#top}\n\nSome **bold** and `code`\nwrapped.\n\n- one\n- two\n  more\n\n1. first\n2. second\n\n"
                   "| Keys | Do |\n|---|---|\n| F1 | Help |\n\n## A section\n")
    assert [b.kind for b in blocks] == ["heading", "paragraph", "bullets", "numbers", "table", "heading"]
    assert (blocks[0].anchor, blocks[0].text, blocks[0].level) == ("top", "Title", 1)
    assert blocks[1].text == "Some **bold** and `code` wrapped."
    assert blocks[2].items == ("one", "two more")
    assert blocks[4].rows == (("Keys", "Do"), ("F1", "Help"))
    assert blocks[5].anchor == "a-section" == slug("A section")


def test_the_guide_says_what_the_bands_are_not_and_what_is_logged() -> None:
    intro = read_file(INTRODUCTION)
    assert "not** a risk of victimisation score" in intro
    assert "not** a prediction" in intro
    for words in ("corroborated", "two scores", "never to be read as a perpetrator", "every quarter",
                  "5 wrong passwords", "15 minutes", "access log", "Auditors", "retention", "data sharing agreement"):
        assert words in intro, words


def test_importing_the_guide_imports_no_reportlab() -> None:
    code = ("import sys, gvm_desktop.reports.user_guide_pdf as g; g.sections(g.guide_markdown(None)); "
            "print('reportlab' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120)
    assert out.stdout.strip() == "False"


def test_the_officers_guide_as_a_pdf(tmp_path: Path) -> None:
    pdf = tmp_path / "guide.pdf"
    write_user_guide_pdf(pdf, Role.OFFICER, version="9.8.7")
    qpdf_check(pdf)
    words = text(pdf)
    expected = [s.title for s in sections(guide_markdown(Role.OFFICER))]
    for title in expected:
        assert title in words, title
    assert "Auditor" not in [s.title for s in sections(guide_markdown(Role.OFFICER))]
    assert "Guide for auditors" not in words
    pages = page_count(pdf)
    assert f"Page {pages} of {pages}" in words
    assert "gvm-desktop 9.8.7" in words
    with pikepdf.open(pdf) as doc, doc.open_outline() as outline:
        parts = {item.title: [child.title for child in item.children] for item in outline.root}
    # The PDF's own contents: each file a part, each section under it, so a reader jumps to "The matrix".
    guide = sections(guide_markdown(Role.OFFICER))
    assert list(parts) == [s.title for s in guide if s.level == 1]
    assert "The matrix" in parts["Guide for gang-team officers"]


def test_every_roles_guide_in_one_pdf(tmp_path: Path) -> None:
    pdf = tmp_path / "all.pdf"
    write_user_guide_pdf(pdf, None, version="1.0")
    words = text(pdf)
    for name in guide_files(None):
        assert read_file(name).splitlines()[0][2:].split(" {#")[0] in words, name


def test_a_pdf_that_cannot_be_written_leaves_nothing(tmp_path: Path) -> None:
    from gvm_desktop.reports.pdf_base import ReportWriteError

    with pytest.raises(ReportWriteError):
        write_user_guide_pdf(tmp_path / "missing" / "guide.pdf", Role.SPOC, version="1.0")
    assert not (tmp_path / "missing").exists()
