"""`review_pdf_400_s` and `review_pdf_4000_s`: a signed, encrypted review sheet, against bare ReportLab.

The product figure is the whole export path after the data is read: lay the
sheet out (9-point type, bands in colour, both scores and the classification on
every row, the cover's list of removals, rescores and overrides), encrypt it
(AES-256, R6), sign and certify it (PAdES, DocMDP no changes) with a
certificate from a vault CA, and write it atomically. The baseline is ReportLab building the same
sheet, unsigned and unencrypted, in memory, in the same run.
"""

from __future__ import annotations

import io
import random
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO

from gvm_desktop.bench.measure import Metric, median_s, metric
from gvm_desktop.core.review import FocusFlag, Recommendation, ReviewSheet, SheetPerson, Verdict
from gvm_desktop.core.review_views import risk_order
from gvm_desktop.reports import pdf_signing
from gvm_desktop.reports.pdf_base import write_pdf_atomically
from gvm_desktop.reports.review_sheet import build_review_sheet
from gvm_desktop.store import pki

_SYLLABLES = ("zor", "vel", "quin", "dax", "mir", "tul", "bex", "nor", "kai", "lum", "sab", "fen")
# Every tenth person also has a name in another script, so the figure includes shaping Arabic and drawing
# with the fonts behind DejaVu (Noto Sans Arabic, Droid Sans Fallback), as a London matrix would need.
_OTHER_SCRIPTS = ("合成 試験", "김합성 시험", "تجربة اختبار", "ٹیکہ آزمائش", "בדיקה סינתטית")
_RATIONALES = (
    "Retained: harm score reflects two violent offences in the last year; corroborating intelligence from two "
    "independent sources is inside the policy window; green band and custody considered and not applicable.",
    "Remove: no scored events for over a year, intelligence older than the window, the criteria are no longer met.",
    "Rescore: new evidence was added this quarter and the policy version changed; the band may move.",
)


def synthetic_sheet(people: int, seed: int = 7) -> ReviewSheet:
    """A sheet of invented people: names built from syllables, refs in the SYN range."""
    rng = random.Random(seed)
    rows = []
    for i in range(people):
        name = (f"{rng.choice(_SYLLABLES).title()}{rng.choice(_SYLLABLES)} "
                f"{rng.choice(_SYLLABLES).title()}{rng.choice(_SYLLABLES)}-Synthetic")
        if i % 10 == 0:
            name = f"{name} ({_OTHER_SCRIPTS[(i // 10) % len(_OTHER_SCRIPTS)]})"
        rec = Recommendation(("retain", "remove", "rescore")[i % 3])
        override = i % 17 == 0
        harm, victim = rng.randint(0, 80), rng.choice((0, 0, rng.randint(1, 60)))
        rows.append(SheetPerson(
            ref=f"SYN-{i + 1:06d}", name=name, age=rng.randint(14, 40), harm_band=rng.choice(("Red", "Amber", "Green")),
            harm_score=harm, victim_band=rng.choice(("Red", "Amber", "Green")) if victim else "Green",
            flags=(FocusFlag.GREEN_BAND,) if i % 4 == 0 else (),
            recommendation=rec, rationale=f"{_RATIONALES[i % 3]} (case note {i})", recommended_by="bench.officer",
            verdict=Verdict.OVERRIDE if override else Verdict.AGREE,
            override_reason="The SPOC weighed the intelligence differently; see the case file." if override else "",
            outcome=Recommendation.RETAIN if override else rec, victim_score=victim,
            classification=("offender and victim" if victim else "offender") if harm else
            ("victim" if victim else "no scored events")))
    rows.sort(key=risk_order)  # as the services hand the sheet over: highest risk first
    return ReviewSheet(
        review_id=1, bcu="CE", bcu_name="Central East", quarter="2026Q4", opened_at="2026-10-01T08:00:00Z",
        signed_at="2026-11-02T09:00:00Z", signed_by_name="Bench Spoc", signed_by_username="bench.spoc",
        counts_by_band={b: sum(1 for r in rows if r.harm_band == b) for b in ("Red", "Amber", "Green")},
        flag_counts={f: sum(1 for r in rows if f in r.flags) for f in FocusFlag},
        added_since_last=(), removed_since_last=(), people=tuple(rows))


def review_pdf_metrics(runs: int = 3, sizes: tuple[int, ...] = (400, 4000)) -> dict[str, Metric]:
    now = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
    ca = pki.create_ca("bench-vault", "Bench CA", now)
    signer = pki.issue_signing_certificate(ca, full_name="Bench Spoc", username="bench.spoc", role="spoc", bcu="CE",
                                           now=now)
    head = (123456, "ab" * 32)
    out: dict[str, Metric] = {}
    pdf_signing.check_password("bench-sheet-password-1")  # warm the imports once, as the first export of a session does
    with tempfile.TemporaryDirectory(prefix="gvm-bench-pdf-") as tmp:
        for people in sizes:
            sheet = synthetic_sheet(people)

            def bare(sheet: ReviewSheet = sheet) -> None:
                build_review_sheet(io.BytesIO(), sheet, exported_by="bench.spoc", exported_at="2026-11-02T09:00:00Z",
                                   log_head=head, vault_label="bench")

            def product(sheet: ReviewSheet = sheet, path: Path = Path(tmp) / f"sheet-{people}.pdf") -> None:
                buffer = io.BytesIO()
                build_review_sheet(buffer, sheet, exported_by="bench.spoc", exported_at="2026-11-02T09:00:00Z",
                                   log_head=head, vault_label="bench")
                signed = pdf_signing.protect_and_sign(
                    buffer.getvalue(), signer_key_der=signer.key_der, signer_cert_der=signer.cert_der,
                    ca_cert_der=ca.cert_der, password="bench-sheet-password-1", reason="bench", location="bench",
                    signer_name="Bench Spoc", signed_at=now)

                def write(fh: BinaryIO) -> None:
                    fh.write(signed)

                write_pdf_atomically(path, write)

            product()  # warm-up: fonts registered, pyHanko's first-use costs paid
            out[f"review_pdf_{people}_s"] = metric(
                median_s(product, runs), "s", median_s(bare, runs),
                "ReportLab building the same sheet, unsigned and unencrypted, in memory", runs)
    return out
