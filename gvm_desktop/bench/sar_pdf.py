"""`sar_pdf_10000_s` (with 2,500 and 5,000 beside it, to show it is linear): a subject access pack for one person
with that many access-log entries, against bare ReportLab laying out the same rows.

The product figure is the export path after the data is read: lay the pack out (cover, sections, the summary of
accesses, every entry) and encrypt it (AES-256, R6), as the services do. The baseline is ReportLab's canvas
drawing the same entries' cells as a ruled table with a repeated header, wrapped by ReportLab's own
`simpleSplit`, unencrypted, in memory, in the same run: no cover, no summary, no other section.
"""

from __future__ import annotations

import io
import random
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta

from gvm_desktop.bench.measure import Metric, median_s, metric
from gvm_desktop.core.audit import Action, LogEntry, LoggedEntry, Outcome
from gvm_desktop.core.records import NominalRecord
from gvm_desktop.core.subject_access import SubjectAccessPack
from gvm_desktop.reports import pdf_signing
from gvm_desktop.reports.subject_access import ENTRY_GRID, ENTRY_HEADERS, build_subject_access, entry_texts

SIZES = (2500, 5000, 10000)
REF = "SYN-000001"
_USERS = (*(f"bench.officer{i}" for i in range(12)), "bench.spoc", "bench.auditor")
_ACTIONS = (Action.RECORD_OPEN, Action.RECORD_OPEN, Action.STATUS_CHECK, Action.RECORD_EDIT, Action.RECORD_HISTORY,
            Action.EVIDENCE_ADD)
_REASONS = ("safeguarding", "linked_operation", "quarterly_review", "intelligence_development")
_WHY = ("Checked before a safeguarding visit planned for this week with the youth service.",
        "Briefing for the evening patrol: current bands and custody status only.",
        "Quarterly review of the matrix: evidence within the policy window re-read and the score confirmed, with "
        "the intervention offered last quarter followed up and its outcome noted for the panel.")
PASSWORD = "bench-sar-password-1"
HEAD = (123456, "cd" * 32)


def synthetic_entries(count: int, seed: int = 5) -> tuple[LoggedEntry, ...]:
    """`count` invented entries about one record, about three hours apart, by 14 users; one in 19 refused."""
    rng = random.Random(seed)
    start = datetime(2024, 1, 2, 8, 0, tzinfo=UTC)
    out = []
    for i in range(count):
        action = _ACTIONS[i % len(_ACTIONS)]
        out.append(LoggedEntry(10_000 + i, LogEntry(
            at_utc=(start + timedelta(minutes=170 * i + rng.randint(0, 60))).strftime("%Y-%m-%dT%H:%M:%SZ"),
            tz="Europe/London", workstation=f"ws-ce-{i % 7:02d}", action=action,
            outcome=Outcome.REFUSED if i % 19 == 7 else Outcome.ALLOWED, user_id=100 + i % len(_USERS),
            username=_USERS[i % len(_USERS)], role="spoc" if _USERS[i % len(_USERS)] == "bench.spoc" else "officer",
            bcu="CE", record_ref=REF, reason_category=_REASONS[i % len(_REASONS)],
            justification=f"{rng.choice(_WHY)} (case {i})", detail="status and band only" if i % 9 == 4 else None)))
    return tuple(out)


def synthetic_pack(entries: int) -> SubjectAccessPack:
    record = NominalRecord(
        id=1, ref=REF, given_name="Benchia", family_name="Synthetic-Person", aliases=("Bench Alias",),
        date_of_birth=date(2006, 3, 4), age=20, gender="F", ethnicity="W1", observed_ethnicity="IC1", disability="N",
        address="Flat 0, 1 Bench Street, Synthetic Town", postcode="ZZ1 1ZZ", borough="Hackney", bcu="CE",
        gangs=("Bench Crew (synthetic)",), status="active", date_added="2024-01-02", last_reviewed="2026-10-01",
        in_custody=False, custody_from=None, custody_to=None, version=1, harm_score=30, victim_score=10,
        harm_band="Amber", victim_band="Green", classification="offender", policy_version="bench",
        score_lines=(), evidence=(), interventions=(), activity=())
    return SubjectAccessPack(record=record, versions=(), accesses=synthetic_entries(entries), disclosures=(),
                             retention="Reviewed every quarter.", controller_contact="Bench controller.",
                             prepared_for_request="SAR-BENCH-1")


def bare_reportlab(out: io.BytesIO, entries: Sequence[LoggedEntry]) -> None:
    """The same entries' cells as a ruled table, pages broken by hand: ReportLab's canvas and nothing more."""
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.utils import simpleSplit
    from reportlab.pdfgen.canvas import Canvas

    widths, size, leading, pad = ENTRY_GRID.widths, 7.5, 9.2, 3.0
    margin, page_h = 40.0, A4[1]
    canvas = Canvas(out, pagesize=A4, invariant=1)

    def lines(texts: Sequence[str]) -> list[list[str]]:
        return [[piece for para in t.split("\n") for piece in simpleSplit(para, "Helvetica", size, w - 2 * pad)]
                for t, w in zip(texts, widths, strict=True)]

    def draw(cells: list[list[str]], top: float) -> float:
        height = max(len(c) for c in cells) * leading + 2 * pad
        x = margin
        canvas.rect(margin, top - height, sum(widths), height)
        for cell, w in zip(cells, widths, strict=True):
            y = top - pad - size
            for line in cell:
                canvas.drawString(x + pad, y, line)
                y -= leading
            x += w
        return top - height

    canvas.setFont("Helvetica", size)
    header = lines(ENTRY_HEADERS)
    top = draw(header, page_h - margin)
    for logged in entries:
        cells = lines(entry_texts(logged))
        height = max(len(c) for c in cells) * leading + 2 * pad
        if top - height < margin:
            canvas.showPage()
            canvas.setFont("Helvetica", size)
            top = draw(header, page_h - margin)
        top = draw(cells, top)
    canvas.save()


def sar_pdf_metrics(runs: int = 3, sizes: tuple[int, ...] = SIZES) -> dict[str, Metric]:
    out: dict[str, Metric] = {}
    pdf_signing.check_password(PASSWORD)  # warm the imports once, as the first export of a session does
    for entries in sizes:
        pack = synthetic_pack(entries)

        def product(pack: SubjectAccessPack = pack) -> None:
            buffer = io.BytesIO()
            build_subject_access(buffer, pack, exported_by="bench.spoc", exported_at="2026-11-02T09:00:00Z",
                                 log_head=HEAD, vault_label="bench")
            pdf_signing.encrypt_only(buffer.getvalue(), PASSWORD)

        def bare(pack: SubjectAccessPack = pack) -> None:
            bare_reportlab(io.BytesIO(), pack.accesses)

        product()  # warm-up: fonts registered, first-use costs paid
        out[f"sar_pdf_{entries}_s"] = metric(
            median_s(product, runs), "s", median_s(bare, runs),
            "ReportLab's canvas drawing the same entries as a ruled table, unencrypted, in memory", runs)
    return out
