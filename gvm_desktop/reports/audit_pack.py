"""The audit pack: a selection of access-log entries on paper, for an inspection or a case file.

A cover block says what was selected and by whom, and the entries follow in a
landscape table whose header row repeats on every page. Every field of every
entry is printed in full (long text wraps, a row taller than a page continues
on the next): a pack that silently shortened a justification would be worse
than no pack.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import BinaryIO

from reportlab.lib.pagesizes import A4, landscape
from reportlab.platypus import Flowable, PageBreak, Spacer

from gvm_desktop.core.audit import LoggedEntry
from gvm_desktop.core.labels import outcome_label, reason_label, role_label
from gvm_desktop.reports.entries import action_code, bcu_label, is_alert, outcome_code
from gvm_desktop.reports.fonts import BOLD
from gvm_desktop.reports.grid import Grid, Row
from gvm_desktop.reports.pdf_base import PageFurniture, body_size, build_pdf, utc_seconds
from gvm_desktop.reports.text import forget

PAGE = landscape(A4)
BODY_WIDTH, BODY_HEIGHT = body_size(PAGE)

# (header, width in points); None marks the two free-text columns that share what is left.
_COLUMNS: tuple[tuple[str, float | None], ...] = (
    ("Seq", 36), ("Time (UTC)", 50), ("User / workstation", 76), ("Role", 54), ("BCU", 52), ("Action", 78),
    ("Record ref", 54), ("Reason", 64), ("Justification", None), ("Outcome", 44), ("Detail", None),
)
_FIXED = sum(w for _, w in _COLUMNS if w is not None)
_FREE = BODY_WIDTH - _FIXED
_FREE_SHARES = iter((0.56 * _FREE, 0.44 * _FREE))
ENTRY_GRID = Grid(widths=tuple(w if w is not None else next(_FREE_SHARES) for _, w in _COLUMNS))
HEADERS = tuple(h for h, _ in _COLUMNS)
OUTCOME_COLUMN = HEADERS.index("Outcome")

COVER_GRID = Grid(widths=(150, BODY_WIDTH - 150), size=9, leading=11.5, pad_x=4, pad_y=3, fonts=(BOLD,))
TITLE_GRID = Grid(widths=(BODY_WIDTH,), size=15, leading=19, pad_x=0, pad_y=2, fonts=(BOLD,))
EMPTY_GRID = Grid(widths=(BODY_WIDTH,))
_GAP = 10


def build_audit_pack(out: BinaryIO, *, entries: Sequence[LoggedEntry], title: str, filters_described: str,
                     exported_by: str, exported_at: str, log_head: tuple[int, str], vault_label: str,
                     demo: bool = False) -> None:
    """Write the audit pack for `entries` (in the order given) as a landscape A4 PDF to `out`."""
    furniture = PageFurniture(title=title, exported_by=exported_by, exported_at=exported_at, log_head=log_head,
                              subtitle=vault_label, demo=demo)
    try:
        cover = _cover(entries, title=title, filters_described=filters_described, exported_by=exported_by,
                       exported_at=exported_at, log_head=log_head, vault_label=vault_label)
        build_pdf(out, furniture, cover + _entry_tables(entries, cover), pagesize=PAGE)
    finally:
        forget()


def _cover(entries: Sequence[LoggedEntry], *, title: str, filters_described: str, exported_by: str, exported_at: str,
           log_head: tuple[int, str], vault_label: str) -> list[Flowable]:
    seqs = [e.seq for e in entries]
    count = f"{len(entries):,}" + (f" (sequence numbers {min(seqs)} to {max(seqs)})" if seqs else "")
    facts = (
        ("Entries selected by", filters_described or "no filter: every entry"),
        ("Entries in this pack", count),
        ("Exported by", exported_by),
        ("Exported at", utc_seconds(exported_at)),
        ("Vault", vault_label),
        ("Access-log head at export", f"{log_head[0]}:{log_head[1]}"),
        ("Checking this pack", "The head above is printed on every page. 'gvm-desktop log verify' on the vault confirms "
                               "the log's chain through that head; each entry here must appear in the log under the "
                               "same sequence number with the same content."),
    )
    title_table = TITLE_GRID.flowable(None, TITLE_GRID.block_rows(title), stripes=False, rules="none")
    facts_table = COVER_GRID.flowable(None, [row for f in facts for row in COVER_GRID.field_rows(*f)], stripes=False)
    return [title_table, Spacer(1, 6), facts_table, Spacer(1, _GAP)]


def entry_row(logged: LoggedEntry) -> Row:
    e = logged.entry
    moment = utc_seconds(e.at_utc)
    when = moment.removesuffix(" UTC").replace(" ", "\n", 1) if moment != e.at_utc else e.at_utc
    reason = reason_label(e.reason_category) + (f"\nOp: {e.operation_ref}" if e.operation_ref else "")
    alert = is_alert(e)
    return ENTRY_GRID.row(
        (str(logged.seq), when, f"{e.username or '-'}\n{e.workstation or '-'}", role_label(e.role), bcu_label(e.bcu),
         action_code(e), e.record_ref, reason, e.justification, outcome_label(outcome_code(e)), e.detail),
        alert=alert, bold_cells=(OUTCOME_COLUMN,) if alert else ())


def _entry_tables(entries: Sequence[LoggedEntry], cover: Sequence[Flowable]) -> list[Flowable]:
    header = ENTRY_GRID.header(HEADERS)
    if not entries:
        nothing = EMPTY_GRID.block_rows("No entries matched the selection.")
        return [ENTRY_GRID.flowable(header, []), EMPTY_GRID.flowable(None, nothing)]
    cover_height = sum(f.wrap(BODY_WIDTH, BODY_HEIGHT)[1] for f in cover)
    pages = ENTRY_GRID.paginate(header, [entry_row(e) for e in entries],
                                first_space=BODY_HEIGHT - cover_height, page_space=BODY_HEIGHT)
    story: list[Flowable] = []
    for index, rows in enumerate(pages):
        if index:
            story.append(PageBreak())
        if rows:  # the first page is empty when the cover left no room for a single row
            story.append(ENTRY_GRID.flowable(header, rows))
    return story
