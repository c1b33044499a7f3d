"""The audit form: asks one user why they opened a record at a given date and time.

The form quotes the access-log entry in full, with its sequence number and
hash, so the question is pinned to one entry and cannot be quietly re-pointed
at another; it leaves a large box for the answer (or prints the answer once
recorded) and has signature lines for the user and the verifying officer.
"""

from __future__ import annotations

from typing import BinaryIO

from reportlab.lib.pagesizes import A4
from reportlab.platypus import Flowable, KeepTogether, Spacer, Table, TableStyle

from gvm_desktop.core.audit import Action, LogEntry, LoggedEntry
from gvm_desktop.core.labels import outcome_label, reason_label, role_label
from gvm_desktop.reports.entries import MONTHS, action_code, bcu_label, is_alert, outcome_code
from gvm_desktop.reports.fonts import BOLD, REGULAR
from gvm_desktop.reports.grid import RULE, Grid, Row
from gvm_desktop.reports.pdf_base import PageFurniture, body_size, build_pdf, parse_utc, utc_seconds
from gvm_desktop.reports.text import cell, forget

PAGE = A4
BODY_WIDTH, BODY_HEIGHT = body_size(PAGE)
LABEL_WIDTH = 132

TITLE = Grid(widths=(BODY_WIDTH,), size=15, leading=19, pad_x=0, pad_y=1, fonts=(BOLD,))
HEADING = Grid(widths=(BODY_WIDTH,), size=10.5, leading=13, pad_x=0, pad_y=2, fonts=(BOLD,))
PROSE = Grid(widths=(BODY_WIDTH,), size=9.5, leading=12.5, pad_x=0, pad_y=1)
FACTS = Grid(widths=(LABEL_WIDTH, BODY_WIDTH - LABEL_WIDTH), size=9, leading=11.5, pad_x=4, pad_y=2.6, fonts=(BOLD,))
ANSWER = Grid(widths=(BODY_WIDTH,), size=10, leading=13, pad_x=8, pad_y=6)

MIN_BOX_HEIGHT = 140  # about ten handwritten lines
MAX_BOX_HEIGHT = 360
FILLED_BOX_HEIGHT = 90
MAX_FIELD_LINES = 40  # a longer value continues in a further row, so the table can break across pages


def build_audit_form(out: BinaryIO, *, entry: LoggedEntry, entry_hash_hex: str, form_id: int, issued_by: str,
                     issued_at: str, log_head: tuple[int, str], answer: str | None = None,
                     answered_at: str | None = None, demo: bool = False) -> None:
    """Write the audit form about `entry` as a portrait A4 PDF to `out`."""
    title = f"Audit form #{form_id}: explain an access to a record"
    furniture = PageFurniture(title=title, exported_by=issued_by, exported_at=issued_at, log_head=log_head,
                              subtitle=f"Form #{form_id}, access-log entry {entry.seq}", demo=demo)
    try:
        build_pdf(out, furniture, _story(entry, entry_hash_hex, title, issued_by, issued_at, answer, answered_at),
                  pagesize=PAGE)
    finally:
        forget()


def _story(entry: LoggedEntry, entry_hash_hex: str, title: str, issued_by: str, issued_at: str, answer: str | None,
           answered_at: str | None) -> list[Flowable]:
    before: list[Flowable] = [
        _block(TITLE, title),
        _block(PROSE, f"Issued by {issued_by} at {utc_seconds(issued_at)}, about access-log entry {entry.seq}. "
                      "Return the completed and signed form to the auditor who issued it."),
        Spacer(1, 8),
        _block(HEADING, "1. The access recorded in the log"),
        FACTS.flowable(None, _facts(entry, entry_hash_hex), stripes=False),
        Spacer(1, 10),
        _block(HEADING, "2. The question"),
        _block(PROSE, question(entry.entry)),
        Spacer(1, 10),
    ]
    signatures: list[Flowable] = [_block(HEADING, "4. Signatures"), Spacer(1, 4), _signatures(entry.entry)]
    # An empty box takes the room left on the first page, so that a usual form is one sheet, signatures included;
    # when it cannot share the first page (a long justification), it opens the next page at full size.
    spare = BODY_HEIGHT - _height(before) - _height(signatures) - _height(_answer(None, None, 0)) - 14
    box_height = min(MAX_BOX_HEIGHT, spare) if spare >= MIN_BOX_HEIGHT else MAX_BOX_HEIGHT
    return [*before, *_answer(answer, answered_at, box_height), Spacer(1, 12), KeepTogether(signatures)]


def _block(grid: Grid, text: str) -> Flowable:
    return grid.flowable(None, grid.block_rows(text), stripes=False, rules="none")


def _facts(logged: LoggedEntry, entry_hash_hex: str) -> list[Row]:
    e = logged.entry
    fields = (
        ("User", e.username),
        ("Role", role_label(e.role)),
        ("BCU", bcu_label(e.bcu)),
        ("Date and time (UTC)", utc_seconds(e.at_utc)),
        ("Workstation", f"{e.workstation or '-'} (its time zone: {e.tz})" if e.tz else e.workstation),
        ("Action", action_code(e)),
        ("Outcome", outcome_label(outcome_code(e))),
        ("Record reference", e.record_ref),
        ("Reason category given", reason_label(e.reason_category)),
        ("Justification given", e.justification),
        ("Operation reference", e.operation_ref),
        ("Access-log entry", f"sequence number {logged.seq}"),
        ("Entry hash", entry_hash_hex),
    )
    # A very long value (a pasted document) becomes several rows, so it can run over a page end.
    return [row for label, value in fields
            for row in FACTS.field_rows(label, value, alert=label == "Outcome" and is_alert(e), max_lines=MAX_FIELD_LINES)]


def question(e: LogEntry) -> str:
    """The question, in plain words, about exactly this entry."""
    moment = parse_utc(e.at_utc)
    when = (f"On {moment:%A} {moment.day} {MONTHS[moment.month - 1]} {moment.year} at {moment:%H:%M:%S} UTC"
            if moment else f"On {e.at_utc}")
    ref = e.record_ref or "(no record reference)"
    allowed = not is_alert(e)
    attempt = f"(the attempt was {outcome_label(outcome_code(e))})"
    if action_code(e) == Action.RECORD_OPEN.value:
        what = f"opened record {ref}" if allowed else f"tried to open record {ref} {attempt}"
    else:
        what = f"used '{action_code(e)}'" + (f" on record {e.record_ref}" if e.record_ref else "")
        what += "" if allowed else f" {attempt}"
    where = f"from workstation {e.workstation}" if e.workstation else "from a workstation the log does not name"
    return (f"{when} you {what} {where}. Please explain, in your own words, why you needed to do this at that time: "
            "the task, case or operation it was for, what you did with what you saw, and whether you shared it with "
            "anyone. The reason you gave at the time is shown above; say whether it was complete and correct.")


def _height(flowables: list[Flowable]) -> float:
    total = 0.0
    for f in flowables:  # KeepTogether can only be measured on a canvas: measure what it holds
        total += _height(f._content) if isinstance(f, KeepTogether) else f.wrap(BODY_WIDTH, BODY_HEIGHT)[1]
    return total


def _answer(answer: str | None, answered_at: str | None, box_height: float) -> list[Flowable]:
    if answer is None:
        label = "3. Your answer (in the box; if you need more room, continue on a signed sheet)"
        box = ANSWER.flowable(None, [ANSWER.row([""], empty="")], stripes=False, rules="box", min_height=box_height)
        return [KeepTogether([_block(HEADING, label), Spacer(1, 4), box])]  # never a heading alone at a page foot
    when = f", recorded at {utc_seconds(answered_at)}" if answered_at else ""
    rows = ANSWER.block_rows(answer, max_lines=10, empty="(an empty answer was recorded)")  # it can break across pages
    box = ANSWER.flowable(None, rows, stripes=False, rules="box", min_height=FILLED_BOX_HEIGHT)
    return [KeepTogether([_block(HEADING, f"3. The answer given{when}"), Spacer(1, 4), box])]


def _signatures(e: LogEntry) -> Table:
    """Two columns of blank lines to sign on paper: the person asked, and the officer who verifies the answer."""
    half = BODY_WIDTH / 2
    label_w, line_w = 62, half - 62 - 14
    person = cell(f"The person who made the access ({e.username or 'unnamed in the log'})", BOLD, 9, half - 14)
    data = [[person, "", "", "The verifying officer", "", ""]]
    data += [[label, "", "", label, "", ""] for label in ("Name", "Rank", "Signature", "Date")]
    table = Table(data, colWidths=[label_w, line_w, 14, label_w, line_w, 14],
                  rowHeights=[max(20, 11 * (person.count("\n") + 1) + 6)] + [23] * 4, hAlign="LEFT")
    table.setStyle(TableStyle([
        ("FONTNAME", (0, 0), (-1, -1), REGULAR),
        ("FONTNAME", (0, 0), (-1, 0), BOLD),
        ("FONTSIZE", (0, 0), (-1, -1), 9),
        ("LEADING", (0, 0), (-1, -1), 11),
        ("SPAN", (0, 0), (2, 0)),
        ("SPAN", (3, 0), (5, 0)),
        ("VALIGN", (0, 0), (-1, -1), "BOTTOM"),
        ("VALIGN", (0, 0), (-1, 0), "TOP"),  # the two column titles level, however the username wraps
        ("LEFTPADDING", (0, 0), (-1, -1), 0),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
        ("LINEBELOW", (1, 1), (1, -1), 0.6, RULE),
        ("LINEBELOW", (4, 1), (4, -1), 0.6, RULE),
    ]))
    return table
