"""The audit form, read back with qpdf and pdftotext."""

from __future__ import annotations

from pathlib import Path

from gvm_desktop.core.audit import Action, LoggedEntry, Outcome
from gvm_desktop.reports.audit_form import build_audit_form, question
from gvm_desktop.reports.pdf_base import write_pdf_atomically
from tests.reports.pdftools import (
    HEAD,
    WATERMARK,
    assert_furniture,
    entry,
    numbered_words,
    page_count,
    qpdf_check,
    text,
    words_missing,
)

ENTRY_HASH = "4c94485e0c21ae6c41ce1dfe7b6bfaceea5ab68e40a2476f50208e526f506080"


def _form(path: Path, logged: LoggedEntry, *, answer: str | None = None, answered_at: str | None = None) -> Path:
    write_pdf_atomically(path, lambda fh: build_audit_form(
        fh, entry=logged, entry_hash_hex=ENTRY_HASH, form_id=42, issued_by="demo.auditor",
        issued_at="2026-11-02T09:00:00Z", log_head=HEAD, answer=answer, answered_at=answered_at))
    return path


def _flat(pdf: Path) -> str:
    """The layout text with runs of white space as one space: a label and its value read as one phrase."""
    return " ".join(text(pdf).split())


def test_a_blank_form_is_one_page_with_the_entry_question_box_and_signatures(tmp_path: Path) -> None:
    logged = entry(4821, justification="Synthetic: preparing the briefing for Operation Example.",
                   operation_ref="OP EXAMPLE/12", reason="linked_operation")
    pdf = _form(tmp_path / "form.pdf", logged)
    qpdf_check(pdf)
    assert page_count(pdf) == 1
    page = text(pdf, page=1)
    assert_furniture(page, 1, 1)
    flat = _flat(pdf)
    for fact in ("Audit form #42", "User demo.officer", "Role Gang-team officer", "BCU CE Central East",
                 "Date and time (UTC) 2026-10-14 15:42:07 UTC", "Workstation ws-ce-03 (its time zone: Europe/London)",
                 "Action record.open", "Outcome allowed", "Record reference N-000123",
                 "Reason category given Linked operation",
                 "Justification given Synthetic: preparing the briefing for Operation Example.",
                 "Operation reference OP EXAMPLE/12", "Access-log entry sequence number 4821", f"Entry hash {ENTRY_HASH}",
                 "Issued by demo.auditor at 2026-11-02 09:00:00 UTC"):
        assert fact in flat, fact
    assert ("On Wednesday 14 October 2026 at 15:42:07 UTC you opened record N-000123 from workstation ws-ce-03. "
            "Please explain") in flat
    assert "3. Your answer" in flat
    assert "4. Signatures" in flat and "The verifying officer" in flat
    for label in ("Name", "Rank", "Signature", "Date"):
        assert page.count(label) >= 2, label  # one for the person asked, one for the verifying officer


def test_a_recorded_answer_is_printed_in_the_box(tmp_path: Path) -> None:
    answer = "I opened it to prepare the synthetic briefing.\nNothing I saw was shared with anyone."
    pdf = _form(tmp_path / "answered.pdf", entry(4821), answer=answer, answered_at="2026-11-05T10:30:00Z")
    qpdf_check(pdf)
    assert_furniture(text(pdf, page=1), 1, page_count(pdf))
    flat = _flat(pdf)
    assert "3. The answer given, recorded at 2026-11-05 10:30:00 UTC" in flat
    assert "I opened it to prepare the synthetic briefing. Nothing I saw was shared with anyone." in flat
    assert "3. Your answer" not in flat


def test_hebrew_emoji_quote_and_a_2000_character_justification(tmp_path: Path) -> None:
    long = numbered_words(400)
    logged = entry(99, username='demo.officer דני "Q" 😀', justification=long)
    pdf = _form(tmp_path / "unicode.pdf", logged, answer=numbered_words(300, prefix="a"), answered_at="2026-11-05T10:30:00Z")
    qpdf_check(pdf)
    total = page_count(pdf)
    assert total >= 2
    for n in range(1, total + 1):
        assert_furniture(text(pdf, page=n), n, total)
    extracted = text(pdf, layout=False)
    assert words_missing(long.split(), extracted) == []
    assert words_missing(numbered_words(300, prefix="a").split(), extracted) == []
    for piece in ("demo.officer", "דני", "Q", "😀", WATERMARK):
        assert piece in extracted, piece


def test_the_question_fits_what_happened() -> None:
    refused = entry(5, outcome=Outcome.REFUSED).entry
    assert "you tried to open record N-000123 (the attempt was refused) from workstation ws-ce-03." in question(refused)
    edit = entry(6, action=Action.RECORD_EDIT).entry
    assert "you used 'matrix.edit' on record N-000123 from workstation" in question(edit)
    odd_time = entry(7).entry.__class__(**{**entry(7).entry.__dict__, "at_utc": "sometime", "workstation": ""})
    assert question(odd_time).startswith("On sometime you opened record N-000123 from a workstation the log does not name.")


def test_very_long_texts_run_over_pages_without_losing_a_word(tmp_path: Path) -> None:
    justification, answer = numbered_words(1800, prefix="j"), numbered_words(2000, prefix="a")  # ~10,000 characters each
    pdf = _form(tmp_path / "long.pdf", entry(3, justification=justification), answer=answer,
                answered_at="2026-11-05T10:30:00Z")
    qpdf_check(pdf)
    total = page_count(pdf)
    assert total >= 3
    for n in range(1, total + 1):
        assert_furniture(text(pdf, page=n), n, total)
    extracted = text(pdf, layout=False)
    assert words_missing(justification.split(), extracted) == []
    assert words_missing(answer.split(), extracted) == []
