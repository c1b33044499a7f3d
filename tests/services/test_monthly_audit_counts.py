"""The monthly system audit says what the Met's audits say (issue 11, item 5).

Per user and per local matrix: how many records were viewed, downloaded and edited in the month,
counted under the BCU of the record whoever used it; the London-wide roll-up for auditors; a CSV
signed like a log export; and every query on an index.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import pytest

from gvm_desktop.app import App
from gvm_desktop.core.audit import Action, Outcome
from gvm_desktop.core.clock import ManualClock
from gvm_desktop.core.errors import NotFound, PermissionDenied, ValidationError
from gvm_desktop.core.evidence import EvidenceDraft, EvidenceType, Grading, SourceType
from gvm_desktop.core.justification import Justification
from gvm_desktop.core.log_filter import LogFilter
from gvm_desktop.core.policy import Role
from gvm_desktop.core.record_use import LONDON, UseCounts
from gvm_desktop.services.context import Workspace
from gvm_desktop.services.log_export import check_signed_export
from gvm_desktop.services.vaults import DEMO_ACCOUNTS
from tests.support.vault_access import conn_of, read_bcu

ACC = {a.role: a for a in DEMO_ACCOUNTS}
MONTH = "2026-11"
TODAY = date(2026, 11, 2)
WHY = Justification.make("safeguarding", "Checking a safeguarding referral from the school")
OFFICER, SPOC, AUDITOR, PARTNER, ADMIN = (ACC[r].username for r in (Role.OFFICER, Role.SPOC, Role.AUDITOR, Role.PARTNER,
                                                                     Role.ADMIN))


def _signed(role: Role) -> dict[str, str]:
    """The PDF leaves encrypted and signed with the exporter's own key (issue 15)."""
    return {"account_password": ACC[role].password, "pdf_password": "copper-kettle-review-2026"}


def sign_in(app: App, role: Role) -> Workspace:
    return app.auth.sign_in(ACC[role].username, ACC[role].password)


@dataclass(frozen=True)
class Activity:
    a: str  # a CE record: opened twice by the officer, once by the auditor, then removed
    b: str  # a CE record: opened, edited, put in a subject access pack and a log export
    ne: str  # an NE record: found by the officer's status check, its history read by the auditor


def _active(app: App, bcu: str) -> list[tuple[str, str, str, str]]:
    return read_bcu(app, bcu, "SELECT ref, given_name, family_name, date_of_birth FROM nominals WHERE bcu = ? "
                    "AND status = 'active' ORDER BY ref", (bcu,))


def _activity(app: App, tmp_path: Path) -> Activity:
    """The month's work in the demo vault, each step's expected count in its comment."""
    admin = sign_in(app, Role.ADMIN)
    agreement = app.dsa.register(admin, organisation="Synthetic Youth Offending Service", bcu="CE",
                                 fields=["ref", "name", "harm_band"], starts_on=TODAY - timedelta(days=30),
                                 ends_on=TODAY + timedelta(days=60))
    app.dsa.link_partner(admin, PARTNER, agreement.id)

    officer = sign_in(app, Role.OFFICER)
    a, b = (r[0] for r in _active(app, "CE")[:2])
    ne_ref, given, family, dob = _active(app, "NE")[0]
    for ref in (a, b, a):
        app.records.open(officer, ref, WHY)  # officer, CE: viewed 3
    view = app.matrix.list(officer)
    assert len(app.matrix.rows(officer, view, view.ids[:5])) == 5  # officer, CE: viewed 5 (rows on screen)
    app.changes.add_evidence(officer, a, EvidenceDraft(  # officer, CE: edited 1
        kind=EvidenceType.GANG_ASSOCIATION, source_type=SourceType.POLICE, source_ref="SYN/MONTHLY/1",
        grading=Grading.parse("1BP"), on=TODAY - timedelta(days=3), summary="Synthetic: seen with a demo crew."))
    app.changes.edit(officer, b, {"address": "12 Synthetic Row"}, "Address corrected after a home visit.")  # edited 1
    app.changes.propose_removal(officer, a, "No gang involvement recorded for over a year now.")  # edited 1
    found = app.matrix.status_check(officer, given, family, date.fromisoformat(dob), WHY)  # officer, NE: viewed 1
    assert found.on_matrix and found.ref == ne_ref
    with pytest.raises(NotFound):
        app.records.open(officer, ne_ref, WHY)  # refused: not a use, counted nowhere

    auditor = sign_in(app, Role.AUDITOR)
    app.records.open(auditor, a, WHY)  # auditor, CE: viewed 1 (under CE, though auditors have no BCU)
    app.records.history(auditor, ne_ref, WHY)  # auditor, NE: viewed 1

    spoc = sign_in(app, Role.SPOC)
    app.changes.approve_removal(spoc, a, "Agreed: the evidence has aged out of the window.")  # spoc, CE: edited 1
    app.reports.subject_access(spoc, b, WHY, tmp_path / "sar.pdf", request_ref="SAR-SYN-0001",
                               account_password=ACC[Role.SPOC].password, pdf_password=None,
                               unencrypted=True)  # spoc, CE: viewed 1 (the read) and downloaded 1 (the pack)

    partner = sign_in(app, Role.PARTNER)
    preview = app.matrix.preview(partner)
    assert len(app.matrix.rows(partner, preview, preview.ids[:3])) == 3  # partner, CE: downloaded 3

    # auditor, CE: downloaded 1 (the entries about b, in a signed CSV that leaves the vault)
    app.exports.export_csv(auditor, LogFilter(record_ref=b), tmp_path / "b.csv")
    return Activity(a, b, ne_ref)


CE_USES = {
    (OFFICER, "CE"): UseCounts(viewed=8, edited=3),
    (PARTNER, "CE"): UseCounts(downloaded=3),
    (SPOC, "CE"): UseCounts(viewed=1, downloaded=1, edited=1),
    (AUDITOR, "CE"): UseCounts(viewed=1, downloaded=1),
}
OTHER_USES = {
    (OFFICER, "NE"): UseCounts(viewed=1),
    (AUDITOR, "NE"): UseCounts(viewed=1),
    (ADMIN, None): UseCounts(edited=60),  # the demo's import of 60 people: their BCUs are not in its log entry
}


def _uses(audit) -> dict[tuple[str, str | None], UseCounts]:  # type: ignore[no-untyped-def]
    return {(u.username, u.bcu): u.counts for u in audit.by_user}


def test_a_bcus_month_counts_every_users_uses_of_its_records(demo_app: App, tmp_path: Path) -> None:
    _activity(demo_app, tmp_path)
    spoc = sign_in(demo_app, Role.SPOC)
    audit = demo_app.governance.monthly_audit(spoc, "CE", MONTH)
    assert _uses(audit) == CE_USES
    assert [u.counts.total for u in audit.by_user] == sorted((u.counts.total for u in audit.by_user), reverse=True)
    assert [(b.bcu, b.users, b.counts) for b in audit.by_bcu] == [("CE", 4, UseCounts(viewed=10, downloaded=5, edited=4))]
    assert audit.total.counts == UseCounts(viewed=10, downloaded=5, edited=4) and audit.total.users == 4
    assert audit.records_opened == 2  # a and b; the NE record was refused
    # The auditor reads the same figures for CE.
    auditor_view = demo_app.governance.monthly_audit(sign_in(demo_app, Role.AUDITOR), "ce", MONTH)
    assert _uses(auditor_view) == CE_USES and auditor_view.by_bcu == audit.by_bcu


def test_the_london_roll_up_covers_every_bcu_in_the_vault(demo_app: App, tmp_path: Path) -> None:
    _activity(demo_app, tmp_path)
    auditor = sign_in(demo_app, Role.AUDITOR)
    london = demo_app.governance.monthly_audit(auditor, "all", MONTH)
    assert london.london and london.bcu == LONDON
    assert _uses(london) == {**CE_USES, **OTHER_USES}
    vault_bcus = [r[0] for r in conn_of(auditor).execute("SELECT bcu FROM person_index UNION SELECT bcu FROM archive_index")]
    assert [b.bcu for b in london.by_bcu] == [*sorted(vault_bcus), None]
    rows = {b.bcu: (b.users, b.counts) for b in london.by_bcu}
    assert rows["CE"] == (4, UseCounts(viewed=10, downloaded=5, edited=4))
    assert rows["NE"] == (2, UseCounts(viewed=2))
    assert rows[None] == (1, UseCounts(edited=60))
    assert rows["SW"] == (0, UseCounts())
    assert (london.total.users, london.total.counts) == (5, UseCounts(viewed=12, downloaded=5, edited=64))
    assert demo_app.governance.monthly_audit(auditor, "LONDON", MONTH).by_bcu == london.by_bcu
    # Nothing happened in October.
    assert demo_app.governance.monthly_audit(auditor, LONDON, "2026-10").total.counts == UseCounts()


def test_a_spoc_sees_only_their_bcu_and_every_read_is_logged(demo_app: App) -> None:
    spoc = sign_in(demo_app, Role.SPOC)
    for scope in ("ALL", "NE"):
        with pytest.raises(PermissionDenied, match="BCU CE only"):
            demo_app.governance.monthly_audit(spoc, scope, MONTH)
    with pytest.raises(ValidationError, match="Unknown BCU 'XX'"):
        demo_app.governance.monthly_audit(spoc, "XX", MONTH)
    with pytest.raises(PermissionDenied):
        demo_app.governance.monthly_audit(sign_in(demo_app, Role.OFFICER), "CE", MONTH)
    demo_app.governance.monthly_audit(spoc, "CE", MONTH)
    logged = conn_of(spoc).execute("SELECT outcome, detail FROM access_log WHERE action = ? AND username = ? ORDER BY seq",
                               (Action.AUDIT_SUMMARY.value, SPOC)).fetchall()
    assert [o for o, _d in logged] == [Outcome.REFUSED.value, Outcome.REFUSED.value, Outcome.ALLOWED.value]
    assert logged[-1][1].startswith("CE 2026-11: ")


def test_a_removed_and_purged_record_still_counts_under_its_bcu(demo_app: App, tmp_path: Path,
                                                                clock: ManualClock) -> None:
    done = _activity(demo_app, tmp_path)
    clock.advance(timedelta(days=4 * 366 + 2))  # past the retention period of a's archive row
    admin = sign_in(demo_app, Role.ADMIN)
    assert demo_app.retention.purge_expired(admin) >= 1
    auditor = sign_in(demo_app, Role.AUDITOR)
    assert conn_of(auditor).execute("SELECT count(*) FROM archive WHERE ref = ?", (done.a,)).fetchone()[0] == 0
    assert conn_of(auditor).execute("SELECT count(*) FROM nominals WHERE ref = ?", (done.a,)).fetchone()[0] == 0
    # a's BCU now comes from the log entry of its removal, made by CE's SPOC.
    assert _uses(demo_app.governance.monthly_audit(auditor, "CE", MONTH)) == CE_USES


def test_the_signed_csv_verifies_and_holds_the_counts(demo_app: App, tmp_path: Path) -> None:
    _activity(demo_app, tmp_path)
    auditor = sign_in(demo_app, Role.AUDITOR)
    out = tmp_path / "monthly-london.csv"
    result = demo_app.governance.export_monthly_csv(auditor, LONDON, MONTH, out)
    ok, why = check_signed_export(out)
    assert ok, why
    assert why.startswith(f"signed by {AUDITOR} at ")
    rows = list(csv.DictReader(io.StringIO(out.read_text("utf-8"))))
    assert result.entries == len(rows)
    users = {(r["username"], r["bcu"]): (int(r["viewed"]), int(r["downloaded"]), int(r["edited"]))
             for r in rows if r["level"] == "user"}
    assert users == {(u, b or "not known"): (c.viewed, c.downloaded, c.edited)
                     for (u, b), c in {**CE_USES, **OTHER_USES}.items()}
    bcus = {r["bcu"]: (int(r["users"]), int(r["total"])) for r in rows if r["level"] == "bcu"}
    assert bcus["CE"] == (4, 19) and bcus["NE"] == (2, 2) and bcus["not known"] == (1, 60)
    (total,) = (r for r in rows if r["level"] == "london")
    assert (total["users"], total["viewed"], total["downloaded"], total["edited"]) == ("5", "12", "5", "64")
    assert {r["month"] for r in rows} == {MONTH}
    logged = conn_of(auditor).execute("SELECT detail FROM access_log WHERE action = ? ORDER BY seq DESC LIMIT 1",
                                  (Action.AUDIT_SUMMARY.value,)).fetchone()[0]
    assert logged.startswith("signed CSV of the monthly audit London (all BCUs) 2026-11 to monthly-london.csv")

    out.write_text(out.read_text("utf-8").replace(",60,", ",6,"), "utf-8")
    assert check_signed_export(out) == (False, "the CSV was changed after it was signed")


def test_a_spoc_cannot_sign_a_csv_and_is_told_to_take_the_pdf(demo_app: App, tmp_path: Path) -> None:
    spoc = sign_in(demo_app, Role.SPOC)
    with pytest.raises(PermissionDenied, match="only auditors hold; export the PDF instead"):
        demo_app.governance.export_monthly_csv(spoc, "CE", MONTH, tmp_path / "x.csv")
    assert not (tmp_path / "x.csv").exists()
    refused = conn_of(spoc).execute("SELECT count(*) FROM access_log WHERE action = ? AND outcome = 'refused'",
                                (Action.AUDIT_SUMMARY.value,)).fetchone()[0]
    assert refused == 1
    audit = demo_app.governance.export_monthly_pdf(spoc, "CE", MONTH, tmp_path / "ce.pdf", **_signed(Role.SPOC))
    assert audit.bcu == "CE" and (tmp_path / "ce.pdf").read_bytes().startswith(b"%PDF")


def test_a_failed_write_is_logged_and_leaves_no_file(demo_app: App, tmp_path: Path) -> None:
    auditor = sign_in(demo_app, Role.AUDITOR)
    missing = tmp_path / "no-such-folder" / "audit.pdf"
    with pytest.raises(Exception, match="Cannot write the PDF"):
        demo_app.governance.export_monthly_pdf(auditor, "CE", MONTH, missing, **_signed(Role.AUDITOR))
    last = conn_of(auditor).execute("SELECT outcome, detail FROM access_log ORDER BY seq DESC LIMIT 1").fetchone()
    assert last == ("failed", "export of the monthly audit CE 2026-11: report_write, not written")
    with pytest.raises(ValidationError, match=r"\.pdf"):
        demo_app.governance.export_monthly_pdf(auditor, "CE", MONTH, tmp_path / "audit.txt", **_signed(Role.AUDITOR))


def test_every_query_reads_the_log_through_an_index(demo_app: App, tmp_path: Path) -> None:
    _activity(demo_app, tmp_path)
    auditor = sign_in(demo_app, Role.AUDITOR)
    statements: list[str] = []
    conn_of(auditor).set_trace_callback(statements.append)
    try:
        demo_app.governance.monthly_audit(auditor, LONDON, MONTH)
    finally:
        conn_of(auditor).set_trace_callback(None)
    reads = [s for s in statements if s.lstrip().upper().startswith(("SELECT", "WITH")) and "access_log" in s]
    assert len(reads) >= 6
    for sql in reads:
        plan = [row[3] for row in conn_of(auditor).execute(f"EXPLAIN QUERY PLAN {sql}")]
        assert any(step.startswith(("SEARCH access_log", "SEARCH l ")) for step in plan), (sql[:120], plan)
        # The log (aliased l in the queries) is only ever searched, by its key or the time or action index, never
        # scanned, not even through an index. (The disclosure register is read whole: its key starts with the
        # person's reference, and it holds far fewer rows than the log.)
        scans = [step for step in plan if step.startswith(("SCAN access_log", "SCAN l ")) or step == "SCAN l"]
        assert not scans, (sql[:120], plan)
