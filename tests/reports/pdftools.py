"""Reading PDFs back as a person would: qpdf for structure, poppler's pdftotext for the words on each page.

The tests fail (never skip) without these tools: CI installs the Debian packages qpdf and poppler-utils.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

from gvm_desktop.core.audit import Action, LogEntry, LoggedEntry, Outcome
from gvm_desktop.reports.pdf_base import MARKING

HEAD = (123456, "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08")
HEAD_LINE = "Access log head 123456:9f86d081884c7d65"
WATERMARK = "Exported by demo.auditor 2026-11-02 09:00 UTC"


def tool(name: str) -> str:
    path = shutil.which(name)
    assert path, f"{name} is needed by the report tests (Debian packages qpdf and poppler-utils)"
    return path


def qpdf_check(pdf: Path) -> None:
    result = subprocess.run([tool("qpdf"), "--check", str(pdf)], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    assert "No syntax or stream encoding errors found" in result.stdout


def page_count(pdf: Path) -> int:
    out = subprocess.run([tool("pdfinfo"), str(pdf)], capture_output=True, text=True, check=True, timeout=60).stdout
    match = re.search(r"^Pages:\s+(\d+)$", out, re.MULTILINE)
    assert match, out
    return int(match.group(1))


def text(pdf: Path, *, page: int | None = None, layout: bool = True) -> str:
    args = [tool("pdftotext"), "-enc", "UTF-8"]
    if layout:
        args.append("-layout")
    if page is not None:
        args += ["-f", str(page), "-l", str(page)]
    return subprocess.run([*args, str(pdf), "-"], capture_output=True, text=True, check=True, timeout=300).stdout


def embedded_fonts(pdf: Path) -> set[str]:
    """The base names of the fonts the PDF embeds (subset prefix dropped), as poppler's pdffonts lists them."""
    out = subprocess.run([tool("pdffonts"), str(pdf)], capture_output=True, text=True, check=True, timeout=60).stdout
    return {line.split()[0].split("+")[-1] for line in out.splitlines()[2:] if " yes " in line}


def pages(pdf: Path) -> list[str]:
    """Every page's layout text from one pdftotext run (pages end with a form feed)."""
    return text(pdf).split("\f")[:-1]


def assert_every_page(pdf: Path) -> list[str]:
    """qpdf's structure check, then the furniture on every page; the pages' layout text, one per page.

    The page count comes from pdfinfo, so an extraction that lost pages fails here
    instead of leaving a loop over the pages with nothing to check.
    """
    qpdf_check(pdf)
    all_pages = pages(pdf)
    assert all_pages and len(all_pages) == page_count(pdf), (len(all_pages), page_count(pdf))
    for n, page in enumerate(all_pages, start=1):
        assert_furniture(page, n, len(all_pages))
    return all_pages


def assert_furniture(page_text: str, number: int, total: int) -> None:
    """What every page must carry: the marking as its first and last line, the page number, head and watermark."""
    lines = [line.strip() for line in page_text.splitlines() if line.strip()]
    assert lines, f"page {number} is blank"
    assert lines[0] == MARKING, f"page {number} starts with {lines[0]!r}"
    assert lines[-1] == MARKING, f"page {number} ends with {lines[-1]!r}"
    assert page_text.count(MARKING) == 2, f"page {number} has the marking {page_text.count(MARKING)} times"
    assert f"Page {number} of {total}" in page_text
    assert HEAD_LINE in page_text
    assert WATERMARK in page_text


def entry(seq: int, *, at: datetime | None = None, username: str = "demo.officer", justification: str | None = None,
          action: Action = Action.RECORD_OPEN, outcome: Outcome = Outcome.ALLOWED, detail: str | None = None,
          record_ref: str | None = "N-000123", operation_ref: str | None = None,
          reason: str | None = "quarterly_review", workstation: str = "ws-ce-03") -> LoggedEntry:
    moment = at or datetime(2026, 10, 14, 15, 42, 7, tzinfo=UTC)
    return LoggedEntry(seq, LogEntry(
        at_utc=moment.strftime("%Y-%m-%dT%H:%M:%SZ"), tz="Europe/London", workstation=workstation, action=action,
        outcome=outcome, user_id=7, username=username, role="officer", bcu="CE", record_ref=record_ref,
        reason_category=reason, justification=justification, detail=detail, operation_ref=operation_ref))


def many_entries(count: int, first_seq: int = 1000) -> list[LoggedEntry]:
    """Synthetic entries: record opens with varied justifications, mixed with other actions and some refusals."""
    start = datetime(2026, 10, 1, 8, 0, tzinfo=UTC)
    actions = (Action.RECORD_OPEN, Action.SIGN_IN, Action.MATRIX_ROWS, Action.RECORD_EDIT, Action.ACCESS_LOG_READ)
    out: list[LoggedEntry] = []
    for i in range(count):
        action = actions[i % len(actions)]
        opened = action is Action.RECORD_OPEN
        out.append(entry(
            first_seq + i, at=start + timedelta(seconds=37 * i), username=f"demo.officer{i % 9}", action=action,
            outcome=Outcome.REFUSED if i % 11 == 0 else Outcome.ALLOWED,
            record_ref=f"N-{i:06d}" if opened else None, reason="safeguarding" if opened else None,
            justification=f"Synthetic justification J{first_seq + i}X for the quarterly review. " * (1 + i % 3)
            if opened else None, detail=f"synthetic detail {i}" if i % 5 == 2 else None, workstation=f"ws-{i % 7:02d}"))
    return out


def numbered_words(count: int, prefix: str = "w") -> str:
    """Text whose every word is distinct, so extraction can be checked word by word."""
    return " ".join(f"{prefix}{i:04d}" for i in range(count))


def words_missing(expected: Sequence[str], extracted: str) -> list[str]:
    found = set(extracted.split())
    return [w for w in expected if w not in found]
