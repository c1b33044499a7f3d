"""The monthly system audit on paper: how many records each user viewed, downloaded and edited, per local matrix.

A cover says which BCU (or London, every BCU in the vault) and which month, the totals,
who exported it and the access-log head; then what each word counts; then one row per
BCU (with the London total under a roll-up) and one row per user and BCU. Counts only:
usernames and roles of staff, no person on the matrix.
"""

from __future__ import annotations

from typing import BinaryIO

from reportlab.lib.pagesizes import A4
from reportlab.platypus import Flowable, KeepTogether, Spacer

from gvm_desktop.core.labels import role_label
from gvm_desktop.core.record_use import DEFINITIONS, BcuUse, MonthlyAudit, UseCounts, UserUse, bcu_text
from gvm_desktop.reports.entries import bcu_label
from gvm_desktop.reports.fonts import BOLD
from gvm_desktop.reports.grid import Grid, Row
from gvm_desktop.reports.pdf_base import PageFurniture, body_size, build_pdf, utc_seconds
from gvm_desktop.reports.text import forget

PAGE = A4
BODY_WIDTH, BODY_HEIGHT = body_size(PAGE)
LABEL_WIDTH = 150
# Viewed, Downloaded, Edited, Total: each header on one line in bold at 8 points, with padding.
_COUNTS = (44.0, 62.0, 44.0, 44.0)

TITLE = Grid(widths=(BODY_WIDTH,), size=15, leading=19, pad_x=0, pad_y=1, fonts=(BOLD,))
HEADING = Grid(widths=(BODY_WIDTH,), size=11, leading=14, pad_x=0, pad_y=2, fonts=(BOLD,))
PROSE = Grid(widths=(BODY_WIDTH,), size=8.5, leading=11, pad_x=0, pad_y=1)
FACTS = Grid(widths=(LABEL_WIDTH, BODY_WIDTH - LABEL_WIDTH), size=9, leading=11.5, pad_x=4, pad_y=2.6, fonts=(BOLD,))
_BCU_FIXED = (50.0, *_COUNTS)
BCUS_GRID = Grid(widths=(BODY_WIDTH - sum(_BCU_FIXED), *_BCU_FIXED), size=8, leading=9.8, fonts=(BOLD,))
_USER_FIXED = (100.0, 95.0, *_COUNTS)  # "Partner (preview only)" on one line
USERS_GRID = Grid(widths=(BODY_WIDTH - sum(_USER_FIXED), *_USER_FIXED), size=8, leading=9.8, fonts=(BOLD,))
COUNT_HEADERS = ("Viewed", "Downloaded", "Edited", "Total")
_GAP = 10


def title_of(audit: MonthlyAudit) -> str:
    scope = "London (every BCU)" if audit.london else bcu_label(audit.bcu)
    return f"Monthly system audit: {scope}, {audit.month}"


def build_monthly_audit(out: BinaryIO, audit: MonthlyAudit, *, exported_by: str, exported_at: str,
                        log_head: tuple[int, str], vault_label: str, demo: bool = False) -> None:
    """Write the audit as a portrait A4 PDF to `out`; every page carries the marking, page number, log head and watermark."""
    title = title_of(audit)
    furniture = PageFurniture(title=title, exported_by=exported_by, exported_at=exported_at, log_head=log_head,
                              subtitle=vault_label, demo=demo)
    try:
        story = [*_cover(audit, title, exported_by, exported_at, log_head, vault_label), *_bcus(audit), *_users(audit)]
        build_pdf(out, furniture, story, pagesize=PAGE)
    finally:
        forget()


def _block(grid: Grid, text: str) -> Flowable:
    return grid.flowable(None, grid.block_rows(text), stripes=False, rules="none")


def _counts(c: UseCounts) -> tuple[str, ...]:
    return f"{c.viewed:,}", f"{c.downloaded:,}", f"{c.edited:,}", f"{c.total:,}"


def _cover(audit: MonthlyAudit, title: str, exported_by: str, exported_at: str, log_head: tuple[int, str],
           vault_label: str) -> list[Flowable]:
    t = audit.total
    facts = (
        ("Local matrix", "London: every BCU in the vault" if audit.london else bcu_label(audit.bcu)),
        ("Month", f"{audit.month} (UTC)"),
        ("People who used records", f"{t.users:,}"),
        ("Records viewed", f"{t.counts.viewed:,}"),
        ("Records downloaded", f"{t.counts.downloaded:,}"),
        ("Records edited", f"{t.counts.edited:,}"),
        ("Distinct records opened", f"{audit.records_opened:,}"),
        ("Log entries by every account" if audit.london else "Log entries by the BCU's own accounts",
         f"{sum(audit.by_action.values()):,}, of which {audit.refusals:,} refused"),
        ("Exported by", exported_by),
        ("Exported at", utc_seconds(exported_at)),
        ("Vault", vault_label),
        ("Access-log head at export", f"{log_head[0]}:{log_head[1]}"),
    )
    facts_table = FACTS.flowable(None, [row for f in facts for row in FACTS.field_rows(*f)], stripes=False)
    return [_block(TITLE, title), Spacer(1, 6), facts_table, Spacer(1, _GAP),
            _block(HEADING, "What is counted"), _block(PROSE, DEFINITIONS), Spacer(1, _GAP)]


def _bcu_row(row: BcuUse, *, bold: bool = False) -> Row:
    label = bcu_text(row.bcu) if row.bcu is None or bold else bcu_label(row.bcu)
    cells = (label, f"{row.users:,}", *_counts(row.counts))
    return BCUS_GRID.row(cells, bold_cells=tuple(range(len(cells))) if bold else ())


def _bcus(audit: MonthlyAudit) -> list[Flowable]:
    header = BCUS_GRID.header(("Local matrix (BCU)", "Users", *COUNT_HEADERS))
    rows = [_bcu_row(b) for b in audit.by_bcu]
    if audit.london:
        rows.append(_bcu_row(audit.total, bold=True))
    heading = "By local matrix, with the London total" if audit.london else "The local matrix"
    return [KeepTogether([_block(HEADING, heading), Spacer(1, 4), BCUS_GRID.flowable(header, rows)]), Spacer(1, _GAP)]


def _user_row(u: UserUse) -> Row:
    return USERS_GRID.row((u.username, role_label(u.role), bcu_label(u.bcu) if u.bcu else bcu_text(None),
                           *_counts(u.counts)))


def _users(audit: MonthlyAudit) -> list[Flowable]:
    heading = _block(HEADING, "By user and local matrix")
    if not audit.by_user:
        return [heading, _block(PROSE, "No record was viewed, downloaded or edited in this month.")]
    header = USERS_GRID.header(("User", "Role", "BCU of the records", *COUNT_HEADERS))
    return [heading, Spacer(1, 4), USERS_GRID.flowable(header, [_user_row(u) for u in audit.by_user])]
