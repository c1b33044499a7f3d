"""The subject access pack's accesses: laid out in time linear in their number, and summarised before the detail.

Every row is measured a bounded number of times, however many pages the entries run over. Counted, not timed
(the timing is in the bench: sar_pdf_10000_s); re-measuring the remaining rows at each page made 16,000
entries take 15-18 s.
"""

from __future__ import annotations

import io
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from gvm_desktop.core.audit import LoggedEntry, Outcome
from gvm_desktop.core.subject_access import Withholding, summarise_accesses
from gvm_desktop.reports import grid as grid_module
from gvm_desktop.reports.grid import Grid, Row
from gvm_desktop.reports.subject_access import build_subject_access
from tests.reports.pdftools import HEAD, qpdf_check, text
from tests.reports.test_subject_access import _accesses, _build, _pack

SIZES = (2000, 8000)
MEASURES_PER_ROW = 3  # once planned, once for its page's table, once spare
WRAPS_PER_ROW = 7  # one per cell (six) of the entry, once


@pytest.fixture
def counted(monkeypatch: pytest.MonkeyPatch) -> Iterator[Counter[str]]:
    calls: Counter[str] = Counter()
    height, wrap = Grid.height, grid_module.wrap

    def counting_height(self: Grid, row: Row) -> float:
        calls["height"] += 1
        return height(self, row)

    def counting_wrap(*args: Any, **kwargs: Any) -> tuple[str, ...]:
        calls["wrap"] += 1
        return wrap(*args, **kwargs)

    monkeypatch.setattr(Grid, "height", counting_height)
    monkeypatch.setattr(grid_module, "wrap", counting_wrap)
    yield calls


def _calls(calls: Counter[str], entries: int) -> Counter[str]:
    calls.clear()
    build_subject_access(io.BytesIO(), _pack(accesses=_accesses(entries)), exported_by="demo.spoc",
                         exported_at="2026-11-02T09:00:00Z", log_head=HEAD, vault_label="vault 3fa2c9e1")
    return Counter(calls)


def test_rows_are_measured_a_bounded_number_of_times_each(counted: Counter[str]) -> None:
    per_size = {n: _calls(counted, n) for n in SIZES}
    for n, calls in per_size.items():
        assert calls["height"] <= MEASURES_PER_ROW * n + 2000, (n, calls)
        assert calls["wrap"] <= WRAPS_PER_ROW * n + 2000, (n, calls)
    small, large = per_size[SIZES[0]], per_size[SIZES[1]]
    for kind in ("height", "wrap"):  # four times the entries: about four times the work, never sixteen
        assert large[kind] <= 4.6 * small[kind], (kind, small, large)


def _varied(count: int) -> tuple[LoggedEntry, ...]:
    """Entries over four months, from five users, for three reasons (one entry in six gives none)."""
    reasons = ("safeguarding", "linked_operation", "quarterly_review", "safeguarding", "linked_operation", None)
    return tuple(replace(e, entry=replace(e.entry, reason_category=reasons[i % len(reasons)]))
                 for i, e in enumerate(_accesses(count)))


def test_the_summary_counts_the_shown_accesses_by_user_reason_and_month() -> None:
    entries = _varied(400)
    withheld = {entries[7].seq, entries[8].seq}
    counts = summarise_accesses(entries, withheld)
    shown = [e.entry for e in entries if e.seq not in withheld]
    assert counts.counted == len(shown) == 398
    for key, table, of in ((lambda e: (e.username or "", e.role or ""), counts.by_user, "user"),
                           (lambda e: e.reason_category or "", counts.by_reason, "reason"),
                           (lambda e: e.at_utc[:7], counts.by_month, "month")):
        expected = Counter(key(e) for e in shown)
        refused = Counter(key(e) for e in shown if e.outcome != Outcome.ALLOWED)
        assert table == {k: (n, refused[k]) for k, n in expected.items()}, of
    assert list(counts.by_month) == ["2026-07", "2026-08", "2026-09", "2026-10"]
    assert sum(n for n, _ in counts.by_reason.values()) == 398


def test_the_pack_prints_the_summary_before_the_detail(tmp_path: Path) -> None:
    entries = _varied(400)
    pdf = _build(tmp_path / "sar.pdf", _pack(accesses=entries,
                                             withheld=(Withholding("DPA2018-s45(4)(c)", seq=entries[7].seq),)))
    qpdf_check(pdf)
    whole = text(pdf)
    counts = summarise_accesses(entries, {entries[7].seq})
    user_rows = [line.split() for line in whole.splitlines() if re.match(r"\s*demo\.officer\d\s+Gang-team", line)]
    printed = {row[0]: (int(row[-2]), int(row[-1])) for row in user_rows}
    assert printed == {user: n for (user, _), n in counts.by_user.items()}
    for month, words in (("2026-07", "July 2026"), ("2026-10", "October 2026")):
        n, bad = counts.by_month[month]
        assert re.search(rf"{words}\s+{n}\s+{bad}\b", whole), month
    n, bad = counts.by_reason[""]
    assert re.search(rf"No reason recorded\s+{n}\s+{bad}\b", whole)
    assert "399 accesses are counted below; 1 withheld entry is not." in " ".join(whole.split())
    assert whole.index("Accesses by month") < whole.index("Every access, oldest first") < whole.index("2299")
