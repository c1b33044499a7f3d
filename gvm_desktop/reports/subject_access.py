"""The subject access PDF: everything held about one person, and every use and disclosure of it.

A cover says, in plain words, what the person is recorded as, why it is held,
who receives it, where it came from, how long it is kept and what their rights
are (Data Protection Act 2018, Part 3, section 45). Numbered sections follow:
personal details, scores, intelligence entries, interventions, police activity,
version history, disclosures and accesses. Every field is printed in full (text
wraps; nothing is cut), and each table repeats its header on every page it
runs over. An empty section says so: a blank would read as "left out".
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from itertools import accumulate
from typing import BinaryIO

from reportlab.lib.pagesizes import A4
from reportlab.platypus import CondPageBreak, Flowable, Spacer

from gvm_desktop.core.audit import Action, LoggedEntry
from gvm_desktop.core.evidence import (
    HANDLING_CODE,
    INTELLIGENCE_ASSESSMENT,
    SOURCE_EVALUATION,
    EvidenceType,
    Grading,
    SourceType,
)
from gvm_desktop.core.labels import outcome_label, reason_label, role_label
from gvm_desktop.core.people import DISABILITY, ETHNICITY_2021, GENDERS, OBSERVED_ETHNICITY
from gvm_desktop.core.policy import Role
from gvm_desktop.core.records import (
    ActivityRecord,
    EvidenceRecord,
    InterventionRecord,
    NominalRecord,
    ScoreLine,
    VersionRecord,
)
from gvm_desktop.core.subject_access import EXEMPTIONS, SubjectAccessPack, exemption_label, summarise_accesses
from gvm_desktop.reports.entries import MONTHS, action_code, bcu_label, is_alert, outcome_code
from gvm_desktop.reports.fonts import BOLD
from gvm_desktop.reports.grid import Grid, GridTable, Row
from gvm_desktop.reports.pdf_base import PageFurniture, body_size, build_pdf, utc_seconds
from gvm_desktop.reports.text import forget

PAGE = A4
BODY_WIDTH, BODY_HEIGHT = body_size(PAGE)
LABEL_WIDTH = 140
# At a page end a row of more lines than this is cut there and continued, rather than moved whole to the next page
# (which could leave most of a page empty); a shorter row moves whole. A cut leaves at least MIN_PIECE_LINES behind.
CUT_LINES = 10
MIN_PIECE_LINES = 4
# A table starts on a new page unless it fits where it is, or this much of it (a third of a page) does.
KEEP_HEIGHT = BODY_HEIGHT / 3

TITLE = Grid(widths=(BODY_WIDTH,), size=15, leading=19, pad_x=0, pad_y=1, fonts=(BOLD,))
HEADING = Grid(widths=(BODY_WIDTH,), size=11, leading=14, pad_x=0, pad_y=2, fonts=(BOLD,))
SUBHEADING = Grid(widths=(BODY_WIDTH,), size=9.5, leading=12, pad_x=0, pad_y=1, fonts=(BOLD,))
PROSE = Grid(widths=(BODY_WIDTH,), size=9, leading=12, pad_x=0, pad_y=1)
FACTS = Grid(widths=(LABEL_WIDTH, BODY_WIDTH - LABEL_WIDTH), size=8.5, leading=11, pad_x=4, pad_y=2.4, fonts=(BOLD,))


def _columns(*spec: tuple[str, float | None]) -> tuple[tuple[str, ...], Grid]:
    """Headers and a grid whose one None-width column takes the width the others leave."""
    free = BODY_WIDTH - sum(w for _, w in spec if w is not None)
    return tuple(h for h, _ in spec), Grid(widths=tuple(free if w is None else w for _, w in spec), size=7.5,
                                           leading=9.2)


SCORE_HEADERS, SCORE_GRID = _columns(("Date", 70), ("Event", None), ("Counts towards", 170), ("Points", 50))
INTERVENTION_HEADERS, INTERVENTION_GRID = _columns(("Offered on", 58), ("Referral", 112), ("Provider", 92),
                                                   ("Taken up", 42), ("Runs", 70), ("Outcome", None))
ACTIVITY_HEADERS, ACTIVITY_GRID = _columns(("Date", 58), ("Kind", 90), ("Note", None))
VERSION_HEADERS, VERSION_GRID = _columns(("Change", 52), ("When (UTC)", 62), ("By", 70), ("Reason given", 130),
                                         ("What it changed", None))
ENTRY_HEADERS, ENTRY_GRID = _columns(("Seq", 36), ("When (UTC)", 60), ("Who", 100), ("What", 128), ("Why", None),
                                     ("Outcome", 46))
OUTCOME_COLUMN = ENTRY_HEADERS.index("Outcome")
USER_HEADERS, USER_GRID = _columns(("User", None), ("Role", 120), ("Accesses", 70), ("Refused or failed", 80))
REASON_HEADERS, REASON_GRID = _columns(("Reason given", None), ("Accesses", 70), ("Refused or failed", 80))
MONTH_HEADERS, MONTH_GRID = _columns(("Month (UTC)", None), ("Accesses", 70), ("Refused or failed", 80))

ICO = ("Information Commissioner's Office, Wycliffe House, Water Lane, Wilmslow, Cheshire SK9 5AF; "
       "telephone 0303 123 1113; ico.org.uk/make-a-complaint")
RIGHTS = (
    "This document answers your right of access (Data Protection Act 2018, section 45). You also have the right to "
    "have personal data about you that is inaccurate corrected, and incomplete data completed (section 46); to have "
    "it erased where keeping or using it breaks the data protection principles or the law requires its erasure, or "
    "to have its use restricted instead, for example while its accuracy is in dispute (section 47). To use these "
    "rights, write to the contact below, quoting the request reference. If anything has been withheld from you "
    "under section 45(4), you may ask the Information Commissioner to check that the withholding was lawful "
    "(section 51). You may complain to the Information Commissioner at any time (section 165): "
    f"{ICO}. You may also apply to a court (section 167)."
)

_ACTION_WORDS: dict[str, str] = {
    Action.RECORD_OPEN: "Full record opened", Action.RECORD_HISTORY: "Earlier versions read",
    Action.STATUS_CHECK: "Status check: is this person on the matrix?", Action.PROPOSE_ADD: "Proposed for the matrix",
    Action.APPROVE_ADD: "Addition to the matrix approved", Action.REJECT_ADD: "Proposal to add rejected",
    Action.EVIDENCE_ADD: "Intelligence entry added", Action.RECORD_EDIT: "Details changed",
    Action.PROPOSE_REMOVE: "Removal proposed", Action.APPROVE_REMOVE: "Removed from the matrix",
    Action.INTERVENTION_ADD: "Intervention recorded", Action.ACTIVITY_ADD: "Police activity recorded",
    Action.RESCORE: "Scores recalculated", Action.MATRIX_PREVIEW: "Partner preview of the matrix",
    Action.MATRIX_ROWS: "Matrix rows shown", Action.MATRIX_LIST: "Matrix list shown",
    Action.MATRIX_REFERENCES: "Record references listed", Action.LOG_EXPORT: "Access-log export",
    Action.AUDIT_FORM_ISSUE: "Audit form issued about an access", Action.AUDIT_FORM_ANSWER: "Audit form answered",
    # Codes of newer actions, by value: a code this table lacks still prints, as itself.
    "review.open": "Review opened", "review.read": "Review read", "review.recommend": "Review recommendation made",
    "review.verdict": "Review decision recorded", "review.sign": "Review signed", "review.export": "Review exported",
    "report.subject_access": "Subject access pack prepared",
}
# A page of rows fetched by a partner is their preview: the organisation and agreement are in the entry's detail.
_PARTNER_WORDS: dict[str, str] = {Action.MATRIX_ROWS: "Shown in a partner's preview of the matrix"}
_STATUS_WORDS = {"active": "on the matrix", "proposed": "proposed for the matrix, awaiting a decision"}
_CLASSIFICATION_WORDS = {
    "offender": "scored as someone at risk of causing harm (as a possible offender)",
    "victim": "scored as someone at risk of being harmed (as a possible victim); being a victim is never counted "
              "as evidence of gang involvement",
    "offender and victim": "scored both as someone at risk of causing harm and as someone at risk of being harmed; "
                           "the two scores are kept apart and never added together",
    "no scored events": "not scored: no event on the record currently counts towards either score",
}
_SIDE_WORDS = {"harm": "Harm (as a possible offender)", "victim": "Victim risk (as a possible victim)"}
# Labels for the fields a version snapshot keeps (store/records.py SNAPSHOT_FIELDS); an unknown key prints as itself.
_FIELD_LABELS = {
    "given_name": "Given name", "family_name": "Family name", "aliases": "Other names", "date_of_birth": "Date of birth",
    "gender": "Gender", "ethnicity": "Ethnicity (self-defined)", "observed_ethnicity": "Ethnicity (observed)",
    "disability": "Disability", "address": "Address", "postcode": "Postcode", "borough": "Borough", "bcu": "BCU",
    "gangs": "Gang names", "status": "Status", "in_custody": "In custody", "custody_from": "Custody from",
    "custody_to": "Custody to", "date_added": "Date added", "last_reviewed": "Last reviewed",
}


def build_subject_access(out: BinaryIO, pack: SubjectAccessPack, *, exported_by: str, exported_at: str,
                         log_head: tuple[int, str], vault_label: str, demo: bool = False) -> None:
    """Write the subject access PDF for `pack` as a portrait A4 PDF to `out`."""
    # The title is also the PDF's metadata, which file browsers show: the reference, never the name.
    title = f"Subject access {pack.prepared_for_request}: record {pack.record.ref}"
    furniture = PageFurniture(title=title, exported_by=exported_by, exported_at=exported_at, log_head=log_head,
                              subtitle=vault_label, demo=demo)
    try:
        story = [*_cover(pack, exported_by=exported_by, exported_at=exported_at, log_head=log_head,
                         vault_label=vault_label), Spacer(1, 6), *_sections(pack)]
        build_pdf(out, furniture, story, pagesize=PAGE)
    finally:
        forget()


# -- building blocks --------------------------------------------------------------------------------------------


def _block(grid: Grid, text: str) -> Flowable:
    return grid.flowable(None, grid.block_rows(text), stripes=False, rules="none")


@dataclass(frozen=True)
class Measured:
    """A table's rows with their heights, measured once, and running totals so any tail's height is one step."""

    rows: Sequence[Row]
    heights: list[float]
    before: list[float]  # before[i]: the height of rows[:i]

    @classmethod
    def of(cls, grid: Grid, rows: Sequence[Row]) -> Measured:
        heights = [grid.height(r) for r in rows]
        return cls(rows, heights, [0.0, *accumulate(heights)])

    def below(self, start: int) -> float:
        return self.before[-1] - self.before[start]


class FlowingTable(Flowable):
    """Rows that flow on from wherever the table starts, cutting a tall row where the page ends, continuing it
    (marked "(cont.)") on the next.

    The audit pack plans its pages before layout (Grid.paginate); here tables follow one another on a page, so
    where one starts is only known during layout, and each page's rows are chosen then. Every row is measured
    once, here, and each split walks only the rows it takes: the rest shares the measured rows from an offset,
    so a pack of n entries is laid out in time linear in n (re-measuring the remainder at every page made it
    quadratic). Any row, even one taller than a page, is laid out: on an empty page either it fits or at least
    MIN_PIECE_LINES of it do.
    """

    def __init__(self, grid: Grid, header: Row | None, rows: Sequence[Row], *, stripes: bool = True,
                 rules: str = "grid", measured: Measured | None = None, start: int = 0,
                 first: Row | None = None) -> None:
        """`measured`, `start` and `first` continue a table after a page: its rows from `start`, the one at
        `start` replaced by `first` (the rest of a cut row) when given."""
        super().__init__()
        self.grid, self.header, self.stripes, self.rules = grid, header, stripes, rules
        self._measured = Measured.of(grid, rows) if measured is None else measured
        self._start, self._first = start, first
        rest = self._measured.below(start)
        if first is not None:
            rest += grid.height(first) - self._measured.heights[start]
        self.width = sum(grid.widths)
        self.height = (grid.height(header) if header else 0.0) + rest

    @property
    def rows(self) -> list[Row]:
        all_rows = self._measured.rows
        if self._first is None:
            return list(all_rows[self._start:])
        return [self._first, *all_rows[self._start + 1:]]

    def _row(self, index: int) -> tuple[Row, float]:
        if index == self._start and self._first is not None:
            return self._first, self.grid.height(self._first)
        return self._measured.rows[index], self._measured.heights[index]

    def wrap(self, aw: float, ah: float) -> tuple[float, float]:
        return self.width, self.height

    def split(self, aw: float, ah: float) -> list[Flowable]:
        grid, count = self.grid, len(self._measured.rows)
        left = ah - 1.0 - (grid.height(self.header) if self.header else 0.0)  # slack against rounding
        taken: list[Row] = []
        index = self._start
        while index < count:
            row, h = self._row(index)
            if h > left:
                break
            left -= h
            taken.append(row)
            index += 1
        if index == count:
            return []
        row, _ = self._row(index)
        first: Row | None = row if index == self._start and self._first is not None else None
        fit = grid.max_lines(left) if left > 2 * grid.pad_y + grid.leading else 0
        if max(len(c) for c in row.cells) > CUT_LINES and fit >= MIN_PIECE_LINES:
            piece, first = grid.cut(row, fit)
            taken.append(piece)
            if first is None:
                index += 1
        if not taken:
            return []
        page = GridTable(grid, self.header, taken, stripes=self.stripes, rules=self.rules)
        return [page, FlowingTable(grid, self.header, (), stripes=self.stripes, rules=self.rules,
                                   measured=self._measured, start=index, first=first)]

    def draw(self) -> None:
        page = GridTable(self.grid, self.header, self.rows, stripes=self.stripes, rules=self.rules)
        page.canv = self.canv
        page.draw()


def _table(grid: Grid, headers: Sequence[str], rows: Iterable[Row]) -> FlowingTable:
    return FlowingTable(grid, grid.header(headers), list(rows))


def _facts(rows: Iterable[tuple[str, str | None]], headers: tuple[str, str] = ("", "")) -> FlowingTable:
    return FlowingTable(FACTS, FACTS.header(headers) if any(headers) else None, [FACTS.row(r) for r in rows],
                        stripes=False)


def _height(flowables: Sequence[Flowable]) -> float:
    return sum(f.wrap(BODY_WIDTH, BODY_HEIGHT)[1] for f in flowables)


def _lead(flowables: Sequence[Flowable]) -> float:
    """How much of what follows a heading must share its page: a table whole, or a third of a page of it."""
    first = next(f for f in flowables if not isinstance(f, Spacer))  # CondPageBreak is a Spacer too
    return min(first.wrap(BODY_WIDTH, BODY_HEIGHT)[1], KEEP_HEIGHT)


def _section(title: str, intro: str | None, body: Sequence[Flowable], *, empty: str) -> list[Flowable]:
    """A heading, an optional line saying what the section is, then its tables, or `empty` when there is nothing."""
    head = [_block(HEADING, title)] + ([_block(PROSE, intro)] if intro else [])
    content = list(body) if body else [_block(PROSE, empty)]
    return [_keep_with(head, content), *head, Spacer(1, 3), *content, Spacer(1, 12)]


def _keep_with(head: Sequence[Flowable], content: Sequence[Flowable]) -> CondPageBreak:
    """Never a heading alone at a page foot: it moves on with the start of what it introduces.

    The cap keeps the break from asking for more than an empty page has, which would turn page after page.
    """
    return CondPageBreak(min(_height(head) + 3 + _lead(content) + 2, BODY_HEIGHT - 1))


def _plural(count: int, one: str, many: str | None = None) -> str:
    return f"{count} {one if count == 1 else many or one + 's'}"


def _day(value: date | str | None) -> str:
    if value is None or value == "":
        return "-"
    return value.isoformat() if isinstance(value, date) else str(value)


# -- wording of coded values ------------------------------------------------------------------------------------


def gender_label(code: str | None) -> str:
    return f"{GENDERS[code]} ({code})" if code is not None and code in GENDERS else (code or "-")


def ethnicity_label(code: str | None) -> str:
    if code is None or code not in ETHNICITY_2021:
        return code or "-"
    group, name = ETHNICITY_2021[code]
    return f"{name} ({code})" if group == name else f"{group}: {name} ({code})"


def observed_label(code: str | None) -> str:
    if not code:
        return "Not recorded"
    return f"{OBSERVED_ETHNICITY[code]} ({code})" if code in OBSERVED_ETHNICITY else code


def disability_label(code: str | None) -> str:
    return f"{DISABILITY[code]} ({code})" if code is not None and code in DISABILITY else (code or "-")


def status_label(record: NominalRecord) -> str:
    words = _STATUS_WORDS.get(record.status, record.status)
    pending = f"; pending: {', '.join(record.pending)}" if record.pending else ""
    return f"{words.capitalize()} ({record.status}){pending}"


def custody_label(record: NominalRecord) -> str:
    if not record.in_custody:
        return "No"
    return f"Yes, from {_day(record.custody_from)} to {_day(record.custody_to)}"


def grading_label(grading: Grading) -> str:
    """'1B P' with what each of the three codes means (the UK 3x5x2 grading)."""
    se, ia, hc = grading.source_evaluation, grading.assessment, grading.handling
    return (f"{se}{ia} {hc}: source {SOURCE_EVALUATION.get(se, se)} ({se}); information "
            f"{INTELLIGENCE_ASSESSMENT.get(ia, ia).lower()} ({ia}); {HANDLING_CODE.get(hc, hc).lower()} ({hc})")


def _kind_label(kind: object) -> str:
    if isinstance(kind, EvidenceType | SourceType):
        return kind.label
    return str(kind).replace("_", " ").capitalize()


def action_words(logged: LoggedEntry) -> str:
    code = action_code(logged.entry)
    words = (_PARTNER_WORDS.get(code) if logged.entry.role == Role.PARTNER.value else None) or _ACTION_WORDS.get(code)
    return f"{words}\n({code})" if words else code


def linked_label(operation_ref: str) -> str:
    """What an entry's operation_ref links it to, in words: the services write "dsa:N" for a partner's agreement
    and "review:N" for a quarterly review; a typed operation reference cannot hold a colon."""
    kind, _, number = operation_ref.partition(":")
    if number.isdigit() and kind == "dsa":
        return f"Under data sharing agreement #{number}"
    if number.isdigit() and kind == "review":
        return f"Quarterly review {number}"
    return f"Operation {operation_ref}"


# -- the cover ----------------------------------------------------------------------------------------------------


def _cover(pack: SubjectAccessPack, *, exported_by: str, exported_at: str, log_head: tuple[int, str],
           vault_label: str) -> list[Flowable]:
    r = pack.record
    facts = (
        ("Request reference", pack.prepared_for_request),
        ("Person", r.full_name),
        ("Date of birth", _day(r.date_of_birth)),
        ("Record reference", r.ref),
        ("Prepared by", exported_by),
        ("Prepared at", utc_seconds(exported_at)),
        ("Vault", vault_label),
        ("Access-log head", f"{log_head[0]}:{log_head[1]} (its first 16 digits are at the foot of every page)"),
    )
    parts: list[tuple[str, str]] = [
        ("What you are recorded as", summary(pack)),
        ("Why it is held (purposes and legal basis)", pack.purposes),
        ("Who receives it (recipients)", f"{pack.recipients} {_disclosure_count(pack)}"),
        ("Where it came from (sources)", sources(r)),
        ("How long it is kept (retention)", pack.retention),
        ("Your rights", RIGHTS),
        ("Contact (the data controller)", pack.controller_contact),
        ("What follows", "1. Personal details\n2. Scores\n3. Intelligence entries\n4. Interventions offered\n"
                         "5. Police activity\n6. Version history: what changed, when and why\n7. Disclosures: "
                         "partner previews and exports that included this record\n8. Accesses: a summary by "
                         "user, reason and month, then every recorded use of this record, with the reason given"),
    ]
    story: list[Flowable] = [_block(TITLE, f"Information held about {r.full_name}"),
                             _block(PROSE, "A response to a subject access request under the Data Protection Act "
                                           "2018, Part 3 (law enforcement processing).")]
    if pack.withheld:
        story += [Spacer(1, 4), _block(SUBHEADING, "Some information has been withheld"),
                  _block(PROSE, withheld_statement(pack))]
    story += [Spacer(1, 6), _facts(facts), Spacer(1, 8)]
    for heading, text in parts:
        story += [CondPageBreak(SUBHEADING.height(SUBHEADING.row([heading])) + 4 * PROSE.leading),
                  _block(SUBHEADING, heading), _block(PROSE, text), Spacer(1, 6)]
    return story


def withheld_statement(pack: SubjectAccessPack) -> str:
    """The first page's account of what was withheld: how much, under which exemptions, and what they mean."""
    entries, fields = pack.withheld_entries(), pack.withheld_fields()
    codes = sorted({w.exemption for w in pack.withheld})
    grounds = "; ".join(f"{exemption_label(c)}: {EXEMPTIONS[c]}" for c in codes)
    under = " and ".join(exemption_label(c) for c in codes)
    return (f"{_plural(len(entries), 'access-log entry', 'access-log entries')} and "
            f"{_plural(len(fields), 'field')} of your personal details were withheld under {under} ({grounds}). "
            "Each place where something was withheld says so, and under which exemption. Counts in the summary of accesses leave "
            "withheld entries out. See 'Your rights' on asking the Information Commissioner to check this.")


def _withheld(code: str) -> str:
    return f"Withheld under {exemption_label(code)}"


def summary(pack: SubjectAccessPack) -> str:
    """What the person is recorded as, in plain words, from the record itself."""
    r = pack.record
    status = _STATUS_WORDS.get(r.status, f"recorded with the status '{r.status}'")
    scored = _CLASSIFICATION_WORDS.get(r.classification, f"classified as '{r.classification}'")
    pending = f" Pending: {', '.join(r.pending)}." if r.pending else ""
    gang_code = pack.withheld_fields().get("gangs")
    gangs = (f"with gang names withheld under {exemption_label(gang_code)}" if gang_code
             else f"linked to {', '.join(r.gangs)}" if r.gangs else "linked to no named gang")
    added = f"added on {r.date_added}" if r.date_added else "not (yet) approved for the matrix"
    reviewed = f"last reviewed on {r.last_reviewed}" if r.last_reviewed else "not yet reviewed"
    return (f"{r.full_name} (record {r.ref}) is {status} in the {bcu_label(r.bcu)} Basic Command Unit, {gangs}.{pending} "
            f"The person is {scored}. Harm score {r.harm_score} ({r.harm_band}), victim-risk score {r.victim_score} "
            f"({r.victim_band}), under scoring policy {r.policy_version}. The record holds "
            f"{_plural(len(r.evidence), 'intelligence entry', 'intelligence entries')}, "
            f"{_plural(len(r.interventions), 'intervention')} offered and "
            f"{_plural(len(r.activity), 'police activity entry', 'police activity entries')}; it is at version "
            f"{r.version}, {added} and {reviewed}.")


def sources(r: NominalRecord) -> str:
    counts = Counter(_kind_label(e.source_type) for e in r.evidence)
    by_type = "; ".join(f"{name}: {_plural(n, 'entry', 'entries')}" for name, n in sorted(counts.items()))
    evidence = (f"The intelligence entries (section 3) came from these types of source: {by_type}. Each entry "
                "names its source type and reference." if counts else "The record holds no intelligence entries.")
    return (f"{evidence} Personal details, interventions and police activity were entered by police users of this "
            "system; who entered or changed what, and when, is in sections 6 and 8.")


def _disclosure_count(pack: SubjectAccessPack) -> str:
    if not pack.disclosures:
        return "No disclosure of this record is recorded."
    verb = "is" if len(pack.disclosures) == 1 else "are"
    return f"{_plural(len(pack.disclosures), 'disclosure')} of this record {verb} listed in section 7."


# -- the sections -------------------------------------------------------------------------------------------------


def _sections(pack: SubjectAccessPack) -> list[Flowable]:
    r = pack.record
    hidden = pack.withheld_fields()
    story = _section("1. Personal details", None, [_facts(_details(r, hidden), ("Field", "As held"))], empty="")
    story += _scores(r)
    story += _section("3. Intelligence entries",
                      f"{_plural(len(r.evidence), 'entry', 'entries')}, newest first, each with its grading "
                      "(source reliability, how the information is known, handling) and its summary in full."
                      if r.evidence else None,
                      _evidence(r.evidence), empty="No intelligence entries recorded.")
    story += _section("4. Interventions offered", None,
                      [_table(INTERVENTION_GRID, INTERVENTION_HEADERS, map(intervention_row, r.interventions))]
                      if r.interventions else [], empty="No interventions recorded.")
    story += _section("5. Police activity", None,
                      [_table(ACTIVITY_GRID, ACTIVITY_HEADERS, map(activity_row, r.activity))] if r.activity else [],
                      empty="No police activity recorded.")
    story += _section("6. Version history",
                      "Each change to the personal details kept the record as it was before, with the reason given. "
                      "'What it changed' compares that earlier state with the next one (or with the record now).",
                      [_table(VERSION_GRID, VERSION_HEADERS, version_rows(pack.versions, r, hidden))]
                      if pack.versions else [],
                      empty="No earlier versions: the record has not been changed since it was created.")
    story += _section("7. Disclosures",
                      "Partner previews of the matrix and exports that included this record: who, when, which "
                      "organisation or role, and why. A partner's preview is listed once a day for each data "
                      "sharing agreement, however often that day it showed this record.",
                      [_table(ENTRY_GRID, ENTRY_HEADERS, _entry_rows(pack.disclosures, pack))]
                      if pack.disclosures else [],
                      empty="No disclosures recorded: no partner preview or export that included this record is in "
                            "the access log.")
    story += _section("8. Accesses",
                      "Every access-log entry about this record: who, when, what they did, and the reason they gave. "
                      "First a summary, then each entry. Shaded rows were refused or failed.",
                      [*_access_summary(pack), *_access_detail(pack)] if pack.accesses else [],
                      empty="No accesses recorded.")
    return story


def _details(r: NominalRecord, hidden: dict[str, str]) -> list[tuple[str, str | None]]:
    def held(key: str, value: str | None) -> str | None:
        return _withheld(hidden[key]) if key in hidden else value

    return [
        ("Record reference", r.ref),
        ("Given name", r.given_name),
        ("Family name", r.family_name),
        ("Other names (aliases)", held("aliases", "\n".join(r.aliases) or "None recorded")),
        ("Date of birth", f"{_day(r.date_of_birth)} (age {r.age})"),
        ("Gender", gender_label(r.gender)),
        ("Ethnicity (self-defined)", ethnicity_label(r.ethnicity)),
        ("Ethnicity (observed by an officer)", observed_label(r.observed_ethnicity)),
        ("Disability", disability_label(r.disability)),
        ("Address", held("address", r.address)),
        ("Postcode", held("postcode", r.postcode)),
        ("Borough", r.borough),
        ("Basic Command Unit", bcu_label(r.bcu)),
        ("Gang names recorded", held("gangs", "\n".join(r.gangs) or "None recorded")),
        ("Status", status_label(r)),
        ("Date added to the matrix", _day(r.date_added)),
        ("Last reviewed", _day(r.last_reviewed)),
        ("In custody", custody_label(r)),
        ("Record version", str(r.version)),
    ]


def _scores(r: NominalRecord) -> list[Flowable]:
    facts = _facts((
        ("Classification", r.classification.capitalize()),
        ("What this means", f"The person is {_CLASSIFICATION_WORDS.get(r.classification, 'classified as shown')}."),
        ("Harm score", f"{r.harm_score} ({r.harm_band} band)"),
        ("Victim-risk score", f"{r.victim_score} ({r.victim_band} band)"),
        ("Scoring policy version", r.policy_version),
    ))
    subheading = _block(SUBHEADING, "What the scores are made of")
    made_of = (_table(SCORE_GRID, SCORE_HEADERS, map(score_row, r.score_lines)) if r.score_lines
               else _block(PROSE, "No event currently counts towards either score."))
    return _section("2. Scores", "Scores are worked out from dated events under the scoring policy named below; an "
                                 "older event counts less, then not at all. The two scores are never added together.",
                    [facts, Spacer(1, 6), _keep_with([subheading], [made_of]), subheading, Spacer(1, 3), made_of],
                    empty="")


def score_row(line: ScoreLine) -> Row:
    return SCORE_GRID.row((_day(line.on), _kind_label(line.event), _SIDE_WORDS.get(line.side, line.side),
                           str(line.points)))


def _evidence(entries: Sequence[EvidenceRecord]) -> list[Flowable]:
    out: list[Flowable] = []
    for number, e in enumerate(entries, start=1):
        header = (f"Entry {number} of {len(entries)}", f"{_kind_label(e.kind)}, {_day(e.on)}")
        block = _facts(evidence_fields(e), header)
        # A usual entry is kept whole on one page; a very long one starts only where a third of a page is free.
        out += [CondPageBreak(min(block.height, KEEP_HEIGHT)), block, Spacer(1, 6)]
    return out


def evidence_fields(e: EvidenceRecord) -> list[tuple[str, str | None]]:
    fields: list[tuple[str, str | None]] = [
        ("Date of the information", _day(e.on)),
        ("Type", _kind_label(e.kind)),
        ("Source type", _kind_label(e.source_type)),
        ("Source reference", e.source_ref),
        ("Grading", grading_label(e.grading)),
        ("Summary", e.summary),
    ]
    if e.social_media_note:
        fields.append(("Social-media note", e.social_media_note))
    fields.append(("Added to the record", utc_seconds(e.added_at)))
    return fields


def intervention_row(i: InterventionRecord) -> Row:
    runs = f"from {_day(i.starts_on)}\nto {_day(i.ends_on)}" if i.starts_on or i.ends_on else "-"
    return INTERVENTION_GRID.row((_day(i.offered_on), i.referral, i.provider, "Yes" if i.taken_up else "No", runs,
                                  i.outcome))


def activity_row(a: ActivityRecord) -> Row:
    return ACTIVITY_GRID.row((_day(a.on), _kind_label(a.kind), a.note))


# -- version history -----------------------------------------------------------------------------------------------


def _items(key: str, value: object) -> list[str] | None:
    """A list-valued snapshot field (aliases, gang names) as its items; None for a single value."""
    if key == "gangs" and isinstance(value, str):
        return [g for g in value.split("\n") if g]  # the store keeps gang names one per line
    if isinstance(value, list | tuple):
        return [str(v) for v in value]
    return None


def _comparable(key: str, value: object) -> object:
    items = _items(key, value)
    return tuple(items) if items is not None else _shown(key, value)


def _shown(key: str, value: object) -> str:
    """A single snapshot value as printed: codes with their labels, nothing as '(none)'."""
    if value is None or value == "":
        return "(none)"
    if key == "in_custody":
        return "Yes" if value in (True, 1, "1") else "No"
    labels = {"gender": gender_label, "ethnicity": ethnicity_label, "observed_ethnicity": observed_label,
              "disability": disability_label, "bcu": bcu_label}
    return labels[key](str(value)) if key in labels else _day(value) if isinstance(value, date) else str(value)


def changes(before: dict[str, object], after: dict[str, object], hidden: dict[str, str] | None = None) -> list[str]:
    """Each altered field as lines of its own: 'Address was: ...', 'Address became: ...', 'Other names added: ...'.

    Old and new values are never joined on one line by an arrow: between two right-to-left names the bidi
    algorithm would reverse the pair, and the reader would take the new name for the old one.
    """
    out: list[str] = []
    for key in before:
        if key not in after:
            continue
        label = _FIELD_LABELS.get(key, key)
        if hidden and key in hidden:
            if _comparable(key, before[key]) != _comparable(key, after[key]):
                out.append(f"{label} changed: withheld under {exemption_label(hidden[key])}")
            continue
        old_items, new_items = _items(key, before[key]), _items(key, after[key])
        if old_items is not None or new_items is not None:
            old_list, new_list = old_items or [], new_items or []
            out += [f"{label} removed: {v}" for v in old_list if v not in new_list]
            out += [f"{label} added: {v}" for v in new_list if v not in old_list]
            continue
        old, new = _shown(key, before[key]), _shown(key, after[key])
        if old != new:
            out += [f"{label} was: {old}", f"{label} became: {new}"]
    return out


def version_rows(versions: Sequence[VersionRecord], record: NominalRecord,
                 hidden: dict[str, str] | None = None) -> list[Row]:
    """One row per change: version v is the state kept just before the change that made the next version."""
    ordered = sorted(versions, key=lambda v: v.version)
    rows = []
    for index, v in enumerate(ordered):
        if index + 1 < len(ordered):
            nxt, after = ordered[index + 1].version, ordered[index + 1].snapshot
        else:  # the last kept state is compared with the record as it is now
            nxt, after = record.version, {k: getattr(record, k) for k in v.snapshot if hasattr(record, k)}
        altered = changes(v.snapshot, after, hidden)
        what = "\n".join(altered) if altered else "No change to the personal details (see the reason given)."
        rows.append(VERSION_GRID.row((f"{v.version} to {nxt}", utc_seconds(v.changed_at), v.changed_by or "-",
                                      v.reason, what)))
    return rows


# -- log entries (disclosures and accesses) -------------------------------------------------------------------------


def entry_texts(logged: LoggedEntry) -> tuple[str, ...]:
    """An entry's cells as text, before wrapping: seq, when, who, what, why, outcome."""
    e = logged.entry
    moment = utc_seconds(e.at_utc)
    when = moment.removesuffix(" UTC").replace(" ", "\n", 1) if moment != e.at_utc else e.at_utc
    who = "\n".join((e.username or "(no user named)", role_label(e.role), bcu_label(e.bcu),
                     f"workstation {e.workstation or '-'}"))
    what = "\n".join(p for p in (action_words(logged), f"Record {e.record_ref}" if e.record_ref else "", e.detail or "")
                     if p)
    why = "\n".join(p for p in (reason_label(e.reason_category, missing=""),
                                linked_label(e.operation_ref) if e.operation_ref else "", e.justification or "") if p)
    return (str(logged.seq), when, who, what, why or "No reason recorded", outcome_label(outcome_code(e)))


def entry_row(logged: LoggedEntry) -> Row:
    alert = is_alert(logged.entry)
    return ENTRY_GRID.row(entry_texts(logged), alert=alert, bold_cells=(OUTCOME_COLUMN,) if alert else ())


def _access_detail(pack: SubjectAccessPack) -> list[Flowable]:
    head = _block(SUBHEADING, "Every access, oldest first")
    table = _table(ENTRY_GRID, ENTRY_HEADERS, _entry_rows(pack.accesses, pack))
    return [_keep_with([head], [table]), head, Spacer(1, 3), table]


def _entry_rows(entries: Sequence[LoggedEntry], pack: SubjectAccessPack) -> list[Row]:
    hidden = pack.withheld_entries()
    return [withheld_row(e.seq, hidden[e.seq]) if e.seq in hidden else entry_row(e) for e in entries]


def withheld_row(seq: int, code: str) -> Row:
    """A withheld entry keeps its place and number, and says why it is not shown: nothing else of it is printed."""
    return ENTRY_GRID.row((str(seq), "withheld", "withheld", _withheld(code), "withheld", "withheld"))


# -- the summary of accesses -------------------------------------------------------------------------------------



def _month(key: str) -> str:
    year, _, month = key.partition("-")
    return f"{MONTHS[int(month) - 1]} {year}" if month.isdigit() and 1 <= int(month) <= 12 else key or "-"


def _access_summary(pack: SubjectAccessPack) -> list[Flowable]:
    counts = summarise_accesses(pack.accesses, pack.withheld_entries())
    left_out = len(pack.accesses) - counts.counted
    note = (f"{_plural(counts.counted, 'access is', 'accesses are')} counted below"
            + (f"; {_plural(left_out, 'withheld entry is', 'withheld entries are')} not." if left_out else "."))
    tables = (
        ("Accesses by user", USER_GRID, USER_HEADERS,
         [(user or "(no user named)", role_label(role), str(n), str(bad)) for (user, role), (n, bad)
          in counts.by_user.items()]),
        ("Accesses by reason given", REASON_GRID, REASON_HEADERS,
         [(reason_label(reason, missing="No reason recorded"), str(n), str(bad)) for reason, (n, bad)
          in counts.by_reason.items()]),
        ("Accesses by month", MONTH_GRID, MONTH_HEADERS,
         [(_month(month), str(n), str(bad)) for month, (n, bad) in counts.by_month.items()]),
    )
    story: list[Flowable] = [_block(PROSE, note), Spacer(1, 4)]
    for heading, grid, headers, rows in tables:
        head, table = _block(SUBHEADING, heading), _table(grid, headers, map(grid.row, rows))
        story += [_keep_with([head], [table]), head, Spacer(1, 3), table, Spacer(1, 8)]
    return story
