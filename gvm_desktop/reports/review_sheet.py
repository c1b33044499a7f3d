"""The quarterly review sheet: a BCU's matrix review on paper, as the SPOC signed it.

A cover page says which review this is, whether it is signed, and what it
found (people per harm band, people per focus flag, how many people share
a rationale, who joined and who left the matrix since the last review, and every removal, rescore and override
with its reason: what the signing Detective Superintendent must not miss). The people follow in a landscape
table, highest risk first as the services order them, whose header row repeats on every page, with each
person's classification, harm score and band, and victim-risk score and band (bands in colour as well as in
words: a "zero harm" row may be a victim's), every decision and its reasons
printed in full (a long rationale wraps, a row taller than a page continues
on the next): a sheet that cut a rationale short could not show why a child
was kept on the matrix. Every rationale given for several people kept
follows the table, and the SPOC's signature block closes the sheet.

The PDF is signed (PAdES) after it is built, by the services; this module only
says so in the signature block, and marks every page of an unsigned draft.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import BinaryIO

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape
from reportlab.platypus import Flowable, KeepTogether, PageBreak, Spacer, Table, TableStyle

from gvm_desktop.core.errors import ValidationError
from gvm_desktop.core.labels import decision_label, verdict_label
from gvm_desktop.core.review import (
    FLAG_LABELS,
    REUSED_RATIONALE_PEOPLE,
    Quarter,
    Recommendation,
    ReusedRationale,
    ReviewSheet,
    SheetPerson,
    Verdict,
    kept_on_matrix,
    reused_rationales,
)
from gvm_desktop.reports.entries import MONTHS
from gvm_desktop.reports.fonts import BOLD
from gvm_desktop.reports.grid import Grid, Row
from gvm_desktop.reports.pdf_base import PageFurniture, body_size, build_pdf, utc_seconds
from gvm_desktop.reports.text import forget

PAGE = landscape(A4)
BODY_WIDTH, BODY_HEIGHT = body_size(PAGE)

NOT_SIGNED = "NOT SIGNED — draft"
BANDS = ("Red", "Amber", "Green")
SIGNATURE_TEXT = ("This document carries a digital signature (PAdES) that certifies it, no changes permitted, made with "
                  "a signing key issued by this vault's certificate authority; the PDF reader names whose key it was. "
                  "Any change to the document after signing invalidates the signature or breaks the certification, "
                  "and the reader says so.")
# What a reader must check before relying on the sheet: the same words as the README's.
CHECK_TEXT = ("Before relying on this sheet, check in the PDF reader (or with gvm-desktop verify-pdf): “Signature is "
              "Valid”; “Total document signed” (nothing added after signing); the document certified, no changes "
              "permitted; and the signer it names, as above. A copy that fails any of these is not this sheet.")
UNSIGNED_TEXT = ("This is a draft. It carries no digital signature, and the review it shows can still change: "
                 "it is not a record of the review's outcome.")

# (header, width in points); None marks the two free-text columns that share what is left. The recommendation
# and its rationale share one column, as do the verdict and its reason: the free text, not the one-word decision,
# sets a row's height, so it gets all the width there is (fewer lines per row, fewer pages for 4,000 people).
# The verdict column is the narrower because most verdicts are a plain "Agreed".
# The classification sits under the name: it says which of the two scores beside it matter for this person.
_COLUMNS: tuple[tuple[str, float | None], ...] = (
    ("Ref", 62), ("Name\nClassification", 104), ("Age", 26), ("Harm band and score", 46),
    ("Victim risk band and score", 50), ("Focus flags", 80), ("Officer's recommendation, by, rationale", None),
    ("SPOC verdict", None), ("Outcome", 52),
)
_FIXED = sum(w for _, w in _COLUMNS if w is not None)
_FREE_SHARES = iter((0.62 * (BODY_WIDTH - _FIXED), 0.38 * (BODY_WIDTH - _FIXED)))
# 9-point type at the least: the sheet is read on paper, at arm's length, by the officer who signs it.
PEOPLE_GRID = Grid(widths=tuple(w if w is not None else next(_FREE_SHARES) for _, w in _COLUMNS), size=9,
                   leading=11, pad_x=3, pad_y=2.4)
HEADERS = tuple(h for h, _ in _COLUMNS)
OUTCOME_COLUMN = HEADERS.index("Outcome")
HARM_COLUMN = 3
VICTIM_COLUMN = 4
# Light tints, so the black words on them stay legible on a greyscale copy too; the word is always printed.
BAND_FILLS = {"Red": colors.Color(0.96, 0.70, 0.70), "Amber": colors.Color(1.0, 0.84, 0.55),
              "Green": colors.Color(0.74, 0.89, 0.74)}
NOT_RECORDED = "not recorded"

TITLE = Grid(widths=(BODY_WIDTH,), size=15, leading=19, pad_x=0, pad_y=2, fonts=(BOLD,))
HEADING = Grid(widths=(BODY_WIDTH,), size=10.5, leading=13, pad_x=0, pad_y=2, fonts=(BOLD,))
PROSE = Grid(widths=(BODY_WIDTH,), size=9, leading=11.5, pad_x=0, pad_y=1)
FACTS = Grid(widths=(160, BODY_WIDTH - 160), size=9, leading=11.5, pad_x=4, pad_y=2.6, fonts=(BOLD,))
BAND_COUNTS = Grid(widths=(90, 56), size=9, leading=11.5, pad_x=4, pad_y=2.6)
FLAG_COUNTS = Grid(widths=(220, 56), size=9, leading=11.5, pad_x=4, pad_y=2.6)
CHANGES = Grid(widths=(80, 360), size=9, leading=11.5, pad_x=4, pad_y=2.6)
DECISIONS = Grid(widths=(120, 62, 150, BODY_WIDTH - 332), size=9, leading=11.5, pad_x=4, pad_y=2.6)
_COUNTS_GAP = 28
_GAP = 10


@dataclass(frozen=True)
class SheetSigning:
    """Whose key signs this file, and for a later copy, the signed original it reproduces (by its SHA-256)."""

    digital_signer: str  # 'Name (username)' of the key that signs this very file
    copy_by: str | None = None  # set on a later copy: who produced it
    copy_at: str | None = None
    original_sha256: str | None = None  # None on a copy of a review signed before originals were made
    original_signer: str | None = None
    original_signed_at: str | None = None

    @property
    def is_copy(self) -> bool:
        return self.copy_by is not None


def copy_note(signing: SheetSigning) -> str:
    """The first page's words on a later copy: who made it, when, and which signed original it reproduces."""
    made = f"Later copy produced by {signing.copy_by} on {utc_seconds(signing.copy_at or '')}"
    if signing.original_sha256 is None:
        return (f"{made}. The review was signed off before signed originals were made: this copy reproduces no "
                "signed original, and its digital signature is its producer's, not the SPOC's.")
    return (f"{made}; it reproduces the signed original {signing.original_sha256} signed by {signing.original_signer} "
            f"on {utc_seconds(signing.original_signed_at or '')}. Its digital signature is {signing.copy_by}'s, "
            "not the SPOC's.")


def build_review_sheet(out: BinaryIO, sheet: ReviewSheet, *, exported_by: str, exported_at: str,
                       log_head: tuple[int, str], vault_label: str, signing: SheetSigning | None = None,
                       demo: bool = False) -> None:
    """Write the review sheet as a landscape A4 PDF to `out`: cover, people table, SPOC signature block."""
    title = sheet_title(sheet)
    # A loose page of a draft must not pass for part of a signed sheet, so the page header says so too.
    page_title = title if is_signed(sheet) else f"{title} — DRAFT, NOT SIGNED"
    furniture = PageFurniture(title=page_title, exported_by=exported_by, exported_at=exported_at, log_head=log_head,
                              subtitle=vault_label, demo=demo)
    try:
        story = [*_copy_note(signing),
                 *_cover(sheet, title, exported_by=exported_by, exported_at=exported_at, log_head=log_head,
                         vault_label=vault_label),
                 PageBreak(), *_people_tables(sheet.people), Spacer(1, 14), *_reused(sheet.people), Spacer(1, 14),
                 _signature_block(sheet, signing)]
        build_pdf(out, furniture, story, pagesize=PAGE)
    finally:
        forget()


def sheet_title(sheet: ReviewSheet) -> str:
    return f"Quarterly matrix review — {sheet.bcu_name} ({sheet.bcu}), {sheet.quarter}"


def is_signed(sheet: ReviewSheet) -> bool:
    return bool(sheet.signed_at)


def signer(sheet: ReviewSheet) -> str:
    """'Name (username)', or whichever of the two the sheet has."""
    name, username = sheet.signed_by_name, sheet.signed_by_username
    if name and username:
        return f"{name} ({username})"
    return name or username or "(signer not recorded)"


def status(sheet: ReviewSheet) -> str:
    return f"Signed at {utc_seconds(sheet.signed_at)} by {signer(sheet)}" if is_signed(sheet) else NOT_SIGNED


def quarter_label(text: str) -> str:
    """'2026Q3 (1 July to 30 September 2026)'; a quarter the sheet spells some other way is printed as given."""
    try:
        quarter = Quarter.parse(text)
    except ValidationError:
        return text
    start, end = quarter.starts, quarter.ends
    return f"{quarter} ({start.day} {MONTHS[start.month - 1]} to {end.day} {MONTHS[end.month - 1]} {end.year})"


# --- the cover ---------------------------------------------------------------------------------------------------

def _cover(sheet: ReviewSheet, title: str, *, exported_by: str, exported_at: str, log_head: tuple[int, str],
           vault_label: str) -> list[Flowable]:
    facts = (
        ("Review", f"#{sheet.review_id}"),
        ("BCU", f"{sheet.bcu_name} ({sheet.bcu})"),
        ("Quarter", quarter_label(sheet.quarter)),
        ("Opened at", utc_seconds(sheet.opened_at)),
        ("Status", status(sheet)),
        ("People on this sheet", f"{len(sheet.people):,}"),
        ("Decisions", f"{decisions_summary(sheet.people)} {noted_summary(sheet.people)}"),
        ("Exported by", f"{exported_by} at {utc_seconds(exported_at)}"),
        ("Vault", vault_label),
        ("Access-log head at export", f"{log_head[0]}:{log_head[1]}"),
    )
    rows = [row for label, value in facts
            for row in FACTS.field_rows(label, value, alert=label == "Status" and not is_signed(sheet))]
    return [
        _block(TITLE, title), Spacer(1, 6), FACTS.flowable(None, rows, stripes=False), Spacer(1, _GAP),
        _counts(sheet), Spacer(1, _GAP),
        *_changes("Added to the matrix since the last review", sheet.added_since_last, sheet), Spacer(1, _GAP),
        *_changes("Removed from the matrix since the last review", sheet.removed_since_last, sheet),
        *_decisions(sheet.people),
    ]


def noted_summary(people: Sequence[SheetPerson]) -> str:
    """The Decisions fact's last words: whether the cover lists removals, rescores or overrides further down."""
    noted = len(noted_decisions(people))
    return f"Listed with their reasons below: {noted:,}." if noted else "To list with reasons: none."


def decisions_summary(people: Sequence[SheetPerson]) -> str:
    """'Outcomes: retain 310, remove 80, rescore 10. SPOC agreed 395, overrode 5.' (undecided ones counted too)."""
    outcomes = [p.outcome for p in people]
    verdicts = [p.verdict for p in people]
    parts = [f"{r.value} {outcomes.count(r):,}" for r in Recommendation]
    if None in outcomes:
        parts.append(f"undecided {outcomes.count(None):,}")
    spoc = [f"agreed {verdicts.count(Verdict.AGREE):,}", f"overrode {verdicts.count(Verdict.OVERRIDE):,}"]
    if None in verdicts:
        spoc.append(f"no verdict yet {verdicts.count(None):,}")
    return f"Outcomes: {', '.join(parts)}. SPOC {', '.join(spoc)}."


def band_rows(counts: dict[str, int]) -> list[tuple[str, int]]:
    """Red, Amber, Green always (0 when absent), then any other band the sheet counted, then the total."""
    others = sorted(band for band in counts if band not in BANDS)
    rows = [(band, counts.get(band, 0)) for band in (*BANDS, *others)]
    return [*rows, ("Total", sum(counts.values()))]


def _counts(sheet: ReviewSheet) -> Flowable:
    """The count tables side by side: they are short, and the cover has more width than height."""
    bands = BAND_COUNTS.flowable(BAND_COUNTS.header(("Harm band", "People")),
                                 [BAND_COUNTS.row((band, f"{n:,}"), bold_cells=(0, 1) if band == "Total" else (),
                                                  fills=band_fill(0, band))
                                  for band, n in band_rows(sheet.counts_by_band)])
    flags = FLAG_COUNTS.flowable(FLAG_COUNTS.header(("Focus flag", "People")),
                                 [FLAG_COUNTS.row((label, f"{sheet.flag_counts.get(flag, 0):,}"))
                                  for flag, label in FLAG_LABELS.items()])
    # Under the band counts, where the flag table is taller: the cover has no line to spare.
    shared = BAND_COUNTS.flowable(BAND_COUNTS.header(("Same rationale", "People")),
                                  [BAND_COUNTS.row(reused_row(shared_rationales(sheet.people)))])
    left = sum(BAND_COUNTS.widths) + _COUNTS_GAP
    table = Table([[[bands, Spacer(1, 6), shared], flags]], colWidths=[left, sum(FLAG_COUNTS.widths)], hAlign="LEFT")
    table.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("LEFTPADDING", (0, 0), (-1, -1), 0),
                               ("RIGHTPADDING", (0, 0), (-1, -1), 0), ("TOPPADDING", (0, 0), (-1, -1), 0),
                               ("BOTTOMPADDING", (0, 0), (-1, -1), 0)]))
    return table


def shared_rationales(people: Sequence[SheetPerson]) -> tuple[ReusedRationale, ...]:
    """The groups the SPOC was warned of before signing (services.reviews.rationale_warnings), from the sheet's rows."""
    return reused_rationales((p.ref, p.rationale) for p in people if kept_on_matrix(p.recommendation, p.outcome))


def reused_row(groups: Sequence[ReusedRationale]) -> tuple[str, str]:
    """The cover's count: how many rationales were each given for several people kept, and how many people in all.

    The texts and references follow the table of people ("The same rationale was given for N people: ...").
    """
    if not groups:
        return ("none", "0")
    return (f"{len(groups):,} rationale{'s' if len(groups) != 1 else ''}", f"{sum(len(g.refs) for g in groups):,}")


def _reused(people: Sequence[SheetPerson]) -> list[Flowable]:
    """Each rationale given for several people kept on the matrix, with their references (the SPOC saw the same
    warning before signing): a template copied from person to person is not a review of each one."""
    groups = shared_rationales(people)
    title = _block(HEADING, f"Rationales given for {REUSED_RATIONALE_PEOPLE} or more people: {len(groups):,}")
    if not groups:
        return [title, _block(PROSE, "none")]
    paragraphs = [_block(PROSE, f"{g.sentence} The rationale: “{g.text}”") for g in groups]
    return [KeepTogether([title, paragraphs[0]]), *paragraphs[1:]]


def _changes(heading: str, people: Sequence[tuple[str, str]], sheet: ReviewSheet | None = None) -> list[Flowable]:
    """A heading with the count, then Ref/Name rows (the table can run over a page end), or 'none'.

    With no earlier signed review there is nothing to compare with, and the sheet says so: "added: 0"
    would read as "nobody joined"."""
    if sheet is not None and sheet.previous_review is None:
        return [_block(HEADING, f"{heading}: none to compare with"),
                _block(PROSE, f"There is no earlier signed review of {sheet.bcu} to compare this one with.")]
    # Which review the lists compare with, in the heading: the cover has no line to spare.
    compared = (f" (compared with signed review #{sheet.previous_review}, {sheet.previous_quarter})"
                if sheet is not None and sheet.previous_quarter is not None else "")
    title = _block(HEADING, f"{heading}: {len(people):,}{compared}")
    if not people:
        return [title, _block(PROSE, "none")]
    table = CHANGES.flowable(CHANGES.header(("Ref", "Name")), [CHANGES.row((ref, name)) for ref, name in people])
    # Never a heading alone at a page foot; a list longer than a page starts where it is and splits between rows.
    return [KeepTogether([title, table])]


def noted_decisions(people: Sequence[SheetPerson]) -> list[SheetPerson]:
    """Those the cover lists: every removal, then every rescore, then every other override (each person once)."""
    def kind(p: SheetPerson) -> int:
        return (0 if p.outcome is Recommendation.REMOVE else 1 if p.outcome is Recommendation.RESCORE
                else 2 if p.verdict is Verdict.OVERRIDE else 3)
    return sorted((p for p in people if kind(p) < 3), key=kind)


def decision_text(p: SheetPerson) -> str:
    """'Remove', 'Rescore', or with the SPOC's override named: 'Retain (SPOC override of remove)'."""
    outcome = decision_label(p.outcome, missing="undecided")
    if p.verdict is Verdict.OVERRIDE:
        return f"{outcome} (SPOC override of {decision_label(p.recommendation, missing='no recommendation').lower()})"
    return outcome


def decision_reason(p: SheetPerson) -> str:
    """The reason that stands: the SPOC's on an override, else the officer's rationale, with who gave it."""
    # Someone who has left the matrix took their free texts with them (the removal rule): say so, not "none given".
    gone = "(not kept: the person has left the matrix)" if p.age is None else None
    if p.verdict is Verdict.OVERRIDE:
        return f"SPOC: {p.override_reason or gone or '(no reason recorded)'}"
    return f"{p.recommended_by or 'Officer'}: {p.rationale or gone or '(no rationale recorded)'}"


def _decisions(people: Sequence[SheetPerson]) -> list[Flowable]:
    """The removals, rescores and overrides with their reasons, on the cover: what the signer answers for.
    The decision comes first in each row, the reference second, so the cover reads by decision."""
    noted = noted_decisions(people)
    counts = [sum(1 for p in noted if p.outcome is Recommendation.REMOVE),
              sum(1 for p in noted if p.outcome is Recommendation.RESCORE),
              sum(1 for p in noted if p.verdict is Verdict.OVERRIDE)]
    if not noted:  # the Decisions fact says so: the cover of such a sheet has no line to spare
        return []
    title = _block(HEADING, f"Removals ({counts[0]:,}), rescores ({counts[1]:,}) and SPOC overrides ({counts[2]:,}), "
                            "with their reasons")
    rows = [DECISIONS.row((decision_text(p), p.ref, p.name, decision_reason(p)),
                          bold_cells=(0,) if p.verdict is Verdict.OVERRIDE else ()) for p in noted]
    table = DECISIONS.flowable(DECISIONS.header(("Decision", "Ref", "Name", "Reason")), rows)
    return [Spacer(1, _GAP), KeepTogether([title, table])]


# --- the people table --------------------------------------------------------------------------------------------

def person_row(p: SheetPerson) -> Row:
    overridden = p.verdict is Verdict.OVERRIDE
    flags = "\n".join(FLAG_LABELS.get(f, str(f)) for f in p.flags) or "none"
    victim_score, classification = victim_side(p)
    return PEOPLE_GRID.row(
        (p.ref, f"{p.name}\n{classification}", "-" if p.age is None else str(p.age),
         f"{p.harm_band or '-'}\n{p.harm_score}", f"{p.victim_band or '-'}\n{victim_score}", flags,
         recommendation_text(p), verdict_text(p), decision_label(p.outcome, missing="undecided")),
        # An outcome the SPOC imposed over the officer's recommendation is the one a reader should not miss.
        bold_cells=(OUTCOME_COLUMN,) if overridden else (),
        fills=band_fill(HARM_COLUMN, p.harm_band) + band_fill(VICTIM_COLUMN, p.victim_band))


def victim_side(p: SheetPerson) -> tuple[str, str]:
    """The victim-risk score and the classification as printed; 'not recorded' where the vault did not keep them."""
    score = NOT_RECORDED if p.victim_score is None else str(p.victim_score)
    if not p.classification:
        return score, f"classification {NOT_RECORDED}"
    return score, p.classification[:1].upper() + p.classification[1:]


def band_fill(column: int, band: str | None) -> tuple[tuple[int, colors.Color], ...]:
    tint = BAND_FILLS.get(band or "")
    return ((column, tint),) if tint is not None else ()


def recommendation_text(p: SheetPerson) -> str:
    """'Retain (by demo.officer3)' and the rationale below it, the way the officer wrote it."""
    return (f"{decision_label(p.recommendation, missing='No recommendation')} (by {p.recommended_by or '-'})\n"
            f"{p.rationale or '-'}")


def verdict_text(p: SheetPerson) -> str:
    """'Agreed', or 'Overridden' and the SPOC's reason below it (as the recommendation above its rationale),
    in the words the review tab shows."""
    label = verdict_label(p.verdict, missing="no verdict yet")
    if p.verdict is Verdict.OVERRIDE:
        return f"{label}\n{p.override_reason or '(no reason recorded)'}"
    return label


def _people_tables(people: Sequence[SheetPerson]) -> list[Flowable]:
    """The table planned page by page here (grid.paginate), so 4,000 rows lay out in linear time."""
    heading = _block(HEADING, f"People reviewed: {len(people):,}")
    header = PEOPLE_GRID.header(HEADERS)
    if not people:
        return [heading, PEOPLE_GRID.flowable(header, []), Spacer(1, 4), _block(PROSE, "No people on this sheet.")]
    first_space = BODY_HEIGHT - heading.wrap(BODY_WIDTH, BODY_HEIGHT)[1]
    pages = PEOPLE_GRID.paginate(header, [person_row(p) for p in people], first_space=first_space,
                                 page_space=BODY_HEIGHT)
    story: list[Flowable] = [heading]
    for index, rows in enumerate(pages):
        if index:
            story.append(PageBreak())
        if rows:  # empty only when a first row taller than a page could not start under the heading
            story.append(PEOPLE_GRID.flowable(header, rows))
    return story


# --- the signature block -----------------------------------------------------------------------------------------

def _copy_note(signing: SheetSigning | None) -> list[Flowable]:
    if signing is None or not signing.is_copy:
        return []
    return [_block(HEADING, copy_note(signing)), Spacer(1, 6)]


def _signature_block(sheet: ReviewSheet, signing: SheetSigning | None = None) -> Flowable:
    """Who signed off, and, truthfully, whose key signed this file: the SPOC's on the original, the exporter's on a copy."""
    if not is_signed(sheet):
        fields: tuple[tuple[str, str], ...] = (
            ("Signed by", "Not signed"), ("Signed at", "Not signed"), ("Digital signature", UNSIGNED_TEXT))
    elif signing is None:
        fields = (("Signed by", signer(sheet)), ("Signed at", utc_seconds(sheet.signed_at)),
                  ("Digital signature", SIGNATURE_TEXT), ("Check", CHECK_TEXT))
    elif signing.is_copy:
        original = (f"SHA-256 {signing.original_sha256}, signed by {signing.original_signer} on "
                    f"{utc_seconds(signing.original_signed_at or '')}. This copy is not that file."
                    if signing.original_sha256 else "None was made: the review was signed off before signed "
                    "originals were.")
        fields = (("Signed off by", signer(sheet)), ("Signed off at", utc_seconds(sheet.signed_at)),
                  ("Signed original", original),
                  ("Digital signature", f"This later copy was produced by {signing.copy_by} at "
                   f"{utc_seconds(signing.copy_at or '')} and carries {signing.digital_signer}'s digital signature "
                   "(PAdES, certified: no changes permitted), made at export with a key issued by this vault's "
                   "certificate authority. It is not the signing-off SPOC's signature: only the signed original "
                   "carries that."),
                  ("Check", CHECK_TEXT))
    else:
        fields = (("Signed by", signer(sheet)), ("Signed at", utc_seconds(sheet.signed_at)),
                  ("Digital signature", f"This is the signed original. Its digital signature (PAdES, certified: no "
                   f"changes permitted) was made at sign-off with {signing.digital_signer}'s own signing key, issued "
                   "by this vault's certificate authority."),
                  ("Check", CHECK_TEXT))
    rows = [row for label, value in fields for row in FACTS.field_rows(label, value, alert=not is_signed(sheet))]
    return KeepTogether([_block(HEADING, "SPOC signature"), Spacer(1, 4), FACTS.flowable(None, rows, stripes=False)])


def _block(grid: Grid, text: str) -> Flowable:
    return grid.flowable(None, grid.block_rows(text), stripes=False, rules="none")
