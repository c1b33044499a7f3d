"""The audit pack, read back page by page with qpdf and pdftotext."""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

from gvm_desktop.core.audit import Action, LogEntry, LoggedEntry, Outcome
from gvm_desktop.reports import text as report_text
from gvm_desktop.reports.audit_pack import build_audit_pack
from gvm_desktop.reports.pdf_base import write_pdf_atomically
from tests.reports.pdftools import (
    HEAD,
    WATERMARK,
    assert_every_page,
    assert_furniture,
    entry,
    many_entries,
    numbered_words,
    page_count,
    pages,
    qpdf_check,
    text,
    words_missing,
)

HEADER = re.compile(r"^Seq\s+Time \(UTC\)\s+User /\s+Role\s+BCU\s+Action\s+Record ref\s+Reason\s+Justification\s+Outcome\s+Detail$",
                    re.MULTILINE)
SEQ_AT_LINE_START = re.compile(r"^(\d+)(?: \(cont\.\))?\s", re.MULTILINE)


def _pack(path: Path, entries: Sequence[LoggedEntry], filters: str = "BCU CE, October 2026, action record.open") -> Path:
    write_pdf_atomically(path, lambda fh: build_audit_pack(
        fh, entries=entries, title="Access log audit pack", filters_described=filters, exported_by="demo.auditor",
        exported_at="2026-11-02T09:00:00Z", log_head=HEAD, vault_label="vault 3fa2c9e1"))
    return path


def test_small_pack_has_cover_entries_and_furniture_on_every_page(tmp_path: Path) -> None:
    entries = many_entries(40)
    pdf = _pack(tmp_path / "pack.pdf", entries)
    qpdf_check(pdf)
    total = page_count(pdf)
    assert total >= 2
    for n in range(1, total + 1):
        page = text(pdf, page=n)
        assert_furniture(page, n, total)
        assert HEADER.search(page), f"page {n} has no table header"
    first = text(pdf, page=1)
    for fact in ("Entries selected by", "BCU CE, October 2026, action record.open", "Entries in this pack",
                 "40 (sequence numbers 1000 to 1039)", "Exported by", "demo.auditor", "2026-11-02 09:00:00 UTC",
                 "vault 3fa2c9e1", f"{HEAD[0]}:{HEAD[1]}"):
        assert fact in first, fact
    whole = text(pdf)
    assert sorted({int(s) for s in SEQ_AT_LINE_START.findall(whole)}) == [e.seq for e in entries]
    flat = " ".join(text(pdf, layout=False).split())
    for e in entries:
        if e.entry.justification:
            assert f"J{e.seq}X" in flat
    assert "Safeguarding" in whole and "refused" in whole and "synthetic detail 2" in whole


def test_2500_entries_span_many_pages_with_the_header_on_each(tmp_path: Path) -> None:
    entries = many_entries(2500, first_seq=50_000)
    pdf = _pack(tmp_path / "big.pdf", entries)
    qpdf_check(pdf)
    all_pages = pages(pdf)
    assert len(all_pages) == page_count(pdf) > 50
    seen: set[int] = set()
    for n, page in enumerate(all_pages, start=1):
        assert_furniture(page, n, len(all_pages))
        assert len(HEADER.findall(page)) == 1, f"page {n}"
        on_page = {int(s) for s in SEQ_AT_LINE_START.findall(page) if int(s) >= 50_000}
        assert on_page, f"page {n} lists no entry"
        seen |= on_page
    assert seen == {e.seq for e in entries}


def test_hebrew_emoji_quotes_and_a_2000_character_justification(tmp_path: Path) -> None:
    long = numbered_words(400)  # 400 distinct words, 1,999 characters
    assert len(long) >= 1999
    odd = entry(7, username='demo.officer דני "Q" 😀', justification=long,
                detail="מידע נוסף والتفاصيل <b>not markup</b> & more", operation_ref="OP EXAMPLE/12",
                reason="linked_operation")
    pdf = _pack(tmp_path / "unicode.pdf", [entry(6), odd, entry(8)], filters='user "demo.officer דני" 😀')
    qpdf_check(pdf)
    extracted = text(pdf, layout=False)
    assert words_missing(long.split(), extracted) == []
    flat = " ".join(extracted.split())
    # poppler re-orders right-to-left text when extracting and may move a quote, or the "<" that follows the
    # Arabic on the same line, across it, so pieces are checked
    for piece in ("demo.officer", "דני", '"', "Q", "😀", "b>not markup</b> & more", "מידע נוסף", "والتفاصيل",
                  "Linked operation", "OP EXAMPLE/12"):
        assert piece in flat, piece
    assert WATERMARK in extracted


def test_a_row_taller_than_a_page_continues_on_the_next(tmp_path: Path) -> None:
    huge = numbered_words(3000, prefix="h")  # about 17,000 characters: several pages in one cell
    pdf = _pack(tmp_path / "huge.pdf", [entry(1), entry(2, justification=huge), entry(3)])
    all_pages = assert_every_page(pdf)
    assert len(all_pages) >= 3
    assert words_missing(huge.split(), text(pdf, layout=False)) == []
    continued = [page for page in all_pages[1:] if re.search(r"^2\s+h\d{4}", page, re.MULTILINE)]
    assert len(continued) >= 2 and all("(cont.)" in page for page in continued)


def test_an_empty_selection_still_makes_a_pack(tmp_path: Path) -> None:
    pdf = _pack(tmp_path / "empty.pdf", [], filters="")
    qpdf_check(pdf)
    page = text(pdf, page=1)
    assert_furniture(page, 1, 1)
    assert "No entries matched the selection." in page
    assert "no filter: every entry" in page


def test_refused_and_other_actions_are_listed_as_recorded(tmp_path: Path) -> None:
    refused = entry(11, action=Action.RECORD_OPEN, outcome=Outcome.REFUSED, justification=None, reason=None)
    sign_in = entry(12, action=Action.SIGN_IN, record_ref=None, reason=None, detail="second factor not used")
    odd_codes = entry(13, reason="retired_reason_code")
    pdf = _pack(tmp_path / "mixed.pdf", [refused, sign_in, odd_codes])
    page = text(pdf, page=1)
    assert re.search(r"^11\s.*record\.open\s.*refused", page, re.MULTILINE)
    assert re.search(r"^12\s.*auth\.sign_in\s.*allowed\s+second factor not used", page, re.MULTILINE)
    assert "retired_reason_code" in "".join(text(pdf, layout=False).split())  # an unknown code is printed as stored


def test_10000_entries_make_one_pack_listing_every_entry(tmp_path: Path) -> None:
    # No stopwatch here: speed is for benchmarks, and a timed test fails on a busy machine, not on slow code.
    entries = many_entries(10_000)
    pdf = _pack(tmp_path / "10k.pdf", entries)
    assert page_count(pdf) > 300
    assert {int(s) for s in SEQ_AT_LINE_START.findall(text(pdf))} >= {e.seq for e in entries}


def test_a_cover_that_fills_the_first_page_pushes_the_table_to_the_next(tmp_path: Path) -> None:
    filters = numbered_words(1200, prefix="f")  # a selection described at absurd length: about 7,000 characters
    entries = many_entries(30)
    pdf = _pack(tmp_path / "tall-cover.pdf", entries, filters=filters)
    all_pages = assert_every_page(pdf)
    assert words_missing(filters.split(), text(pdf, layout=False)) == []
    assert {int(s) for s in SEQ_AT_LINE_START.findall(text(pdf)) if int(s) >= 1000} == {e.seq for e in entries}
    assert all(HEADER.search(page) for page in all_pages if SEQ_AT_LINE_START.search(page))


def test_no_printed_text_is_kept_in_memory_after_the_build(tmp_path: Path) -> None:
    _pack(tmp_path / "pack.pdf", many_entries(20))
    assert report_text._wrap.cache_info().currsize == 0


def test_an_entry_with_no_user_and_a_huge_title(tmp_path: Path) -> None:
    anonymous = LoggedEntry(5, LogEntry(at_utc="2026-10-14T15:42:07Z", tz="Europe/London", workstation="ws-ce-03",
                                        action=Action.SIGN_IN_FAILED, outcome=Outcome.FAILED))
    title = "Audit pack " + numbered_words(600, prefix="t")
    write_pdf_atomically(tmp_path / "odd.pdf", lambda fh: build_audit_pack(
        fh, entries=[anonymous], title=title, filters_described="action auth.sign_in_failed", exported_by="demo.auditor",
        exported_at="2026-11-02T09:00:00Z", log_head=HEAD, vault_label="vault 3fa2c9e1"))
    pdf = tmp_path / "odd.pdf"
    qpdf_check(pdf)
    assert re.search(r"^5\s+2026-10-14\s+-\s+-\s+-\s+auth\.sign_in_failed\s+-\s+-\s+-\s+failed\s+-", text(pdf), re.MULTILINE)
    assert words_missing(title.split(), text(pdf, layout=False)) == []
