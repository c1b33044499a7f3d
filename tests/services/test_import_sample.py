"""The shipped sample imports into a demo vault as its SPOC: dry run, then one transaction, all logged without names."""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path
from typing import Any

import pytest

from gvm_desktop.app import App
from gvm_desktop.core.audit import Action
from gvm_desktop.core.demo_accounts import DEMO_ACCOUNTS
from gvm_desktop.core.errors import PermissionDenied, ValidationError
from gvm_desktop.core.import_mapping import ConvertedRow, ImportMapping, parse_mapping, plan
from gvm_desktop.core.justification import Justification
from gvm_desktop.core.policy import Role
from gvm_desktop.services.context import Workspace
from gvm_desktop.services.importing import ADDED, ImportRefused, write_report_csv
from gvm_desktop.store.records import RecordsRepository
from tests.support.vault_access import conn_of

SAMPLES = Path(__file__).resolve().parents[2] / "resources" / "samples"
XLSX, TOML = SAMPLES / "legacy-matrix.xlsx", SAMPLES / "legacy-matrix.toml"
ACCOUNT = {a.role: a for a in DEMO_ACCOUNTS}
WHY = Justification.make("quarterly_review", "Checking an imported record against a proposal by hand")


def sign_in(app: App, role: Role) -> Workspace:
    account = ACCOUNT[role]
    return app.auth.sign_in(account.username, account.password)


def mapping() -> ImportMapping:
    return parse_mapping(TOML.read_text(encoding="utf-8"), TOML.name)


def counts(ws: Workspace) -> tuple[int, int, int]:
    conn = conn_of(ws)

    def count(sql: str) -> int:
        return int(conn.execute(sql).fetchone()[0])

    return count("SELECT count(*) FROM nominals"), count("SELECT count(*) FROM evidence"), count("SELECT count(*) FROM access_log")


def last_entries(ws: Workspace, n: int) -> list[tuple[Any, ...]]:
    return list(conn_of(ws).execute("SELECT action, outcome, detail FROM access_log ORDER BY seq DESC LIMIT ?", (n,)))


def test_the_sample_dry_runs_then_commits_as_the_demo_spoc(demo_app: App) -> None:
    ws = sign_in(demo_app, Role.SPOC)
    people, evidence, entries = counts(ws)
    report = demo_app.importing.dry_run(ws, XLSX, mapping())
    assert report.counts == {"add": 40, "refused": 0, "duplicate": 0, "skipped": 0}, report.blocking
    assert report.warnings == () and report.kind == "xlsx" and len(report.sha256) == 64
    assert counts(ws) == (people, evidence, entries + 1)  # the dry run changes nothing but the log
    ((action, outcome, detail),) = last_entries(ws, 1)
    assert (action, outcome) == (Action.IMPORT_DRY_RUN.value, "allowed")
    assert detail == f"sha256={report.sha256} rows=40 add=40 refused=0 duplicate=0 skipped=0"

    done = demo_app.importing.commit(ws, XLSX, mapping(), expected_sha256=report.sha256)
    assert done.committed and all(r.fate == ADDED and r.ref for r in done.rows)
    refs = [r.ref for r in done.rows]
    now_people, now_evidence, now_entries = counts(ws)
    assert now_people == people + 40 and now_evidence > evidence + 40 and now_entries == entries + 2
    ((action, outcome, detail),) = last_entries(ws, 1)
    assert (action, outcome) == (Action.NOMINALS_IMPORT.value, "allowed")
    assert detail == f"40 people proposed from a legacy spreadsheet sha256={report.sha256}; refs {refs[0]}…{refs[-1]}"
    # Proposed, waiting for the SPOC, each with a proposal naming the file and the row.
    assert set(demo_app.changes.waiting(ws).additions) >= set(refs)
    reasons = [r for (r,) in conn_of(ws).execute("SELECT reason FROM proposals WHERE kind = 'add' ORDER BY id DESC "
                                                 "LIMIT 40")]
    assert f"(file sha256 {report.sha256[:12]}, row 41)" in reasons[0]
    # Importing again: every row is now a duplicate of the person the first import added, by reference.
    again = demo_app.importing.dry_run(ws, XLSX, mapping())
    assert again.counts["duplicate"] == 40 and again.rows[0].ref == refs[0]
    assert again.rows[0].reason == f"already held as {refs[0]}"
    demo_app.auth.sign_out(ws)


def test_an_imported_person_is_the_person_a_proposal_by_hand_gives(demo_app: App, tmp_path: Path) -> None:
    """Same fields, same evidence, same scores: the import is the propose path, in bulk."""
    by_hand = tmp_path / "by-hand"
    shutil.copytree(demo_app.vault_dir, by_hand)
    other = App(by_hand, demo_app.env)
    ws = sign_in(demo_app, Role.SPOC)
    ws_hand = sign_in(other, Role.SPOC)
    imported = demo_app.importing.commit(ws, XLSX, mapping())
    from gvm_desktop.ingest.read import read_table

    table = read_table(XLSX, sheet="Matrix")
    rows = plan(mapping(), table.headers)
    for fate, row in list(zip(imported.rows, table.rows, strict=True))[:6]:
        converted = rows.convert(row.cells, bcu="CE", today=demo_app.env.clock.now().date())
        assert isinstance(converted, ConvertedRow)
        ref = other.changes.propose(ws_hand, converted.person, evidence=converted.evidence,
                                    reason="Proposed by hand for the comparison", gangs=converted.gangs,
                                    observed_ethnicity=converted.observed_ethnicity)
        a = demo_app.records.open(ws, str(fate.ref), WHY)
        b = other.records.open(ws_hand, ref, WHY)
        assert ref == fate.ref  # both vaults number from the same counter
        ignore = {"id", "evidence"}
        assert {k: v for k, v in dataclasses.asdict(a).items() if k not in ignore} == {
            k: v for k, v in dataclasses.asdict(b).items() if k not in ignore}
        assert [(e.kind, e.source_type, str(e.grading), e.on, e.summary) for e in a.evidence] == [
            (e.kind, e.source_type, str(e.grading), e.on, e.summary) for e in b.evidence]
    demo_app.auth.sign_out(ws)
    other.auth.sign_out(ws_hand)


def test_a_failure_half_way_leaves_nothing(demo_app: App, monkeypatch: pytest.MonkeyPatch) -> None:
    ws = sign_in(demo_app, Role.SPOC)
    before = counts(ws)

    def fail(*_args: object, **_kw: object) -> None:
        raise RuntimeError("injected failure after the people were inserted")

    monkeypatch.setattr(RecordsRepository, "add_proposals", fail)
    with pytest.raises(RuntimeError, match="injected"):
        demo_app.importing.commit(ws, XLSX, mapping())
    assert counts(ws) == before  # people, evidence and the log entry: all rolled back
    monkeypatch.undo()
    assert demo_app.importing.commit(ws, XLSX, mapping()).committed
    demo_app.auth.sign_out(ws)


def test_a_file_changed_since_the_dry_run_is_refused_and_logged(demo_app: App, tmp_path: Path) -> None:
    ws = sign_in(demo_app, Role.SPOC)
    copy = tmp_path / "matrix.xlsx"
    shutil.copy(XLSX, copy)
    report = demo_app.importing.dry_run(ws, copy, mapping())
    copy.write_bytes(copy.read_bytes() + b"\0")  # any change at all
    before = counts(ws)
    with pytest.raises(ValidationError, match="changed since the dry run"):
        demo_app.importing.commit(ws, copy, mapping(), expected_sha256=report.sha256)
    assert counts(ws)[:2] == before[:2] and counts(ws)[2] == before[2] + 1
    ((action, outcome, detail),) = last_entries(ws, 1)
    assert (action, outcome) == (Action.NOMINALS_IMPORT.value, "refused") and not detail[:1].isdigit()
    demo_app.auth.sign_out(ws)


@pytest.mark.parametrize("role", [Role.OFFICER, Role.AUDITOR, Role.PARTNER, Role.ADMIN])
def test_only_a_spoc_imports(demo_app: App, role: Role) -> None:
    ws = sign_in(demo_app, role)
    for call in (lambda: demo_app.importing.dry_run(ws, XLSX, mapping()),
                 lambda: demo_app.importing.commit(ws, XLSX, mapping()),
                 lambda: demo_app.importing.preview(ws, XLSX, mapping())):
        with pytest.raises(PermissionDenied):
            call()
    demo_app.auth.sign_out(ws)
    spoc = sign_in(demo_app, Role.SPOC)
    refused = [r for r in last_entries(spoc, 10) if r[1] == "refused"]
    assert len(refused) >= 3 and {r[0] for r in refused} >= {Action.IMPORT_DRY_RUN.value, Action.NOMINALS_IMPORT.value}
    demo_app.auth.sign_out(spoc)


def test_the_preview_shows_the_file_and_how_the_mapping_fits(demo_app: App) -> None:
    ws = sign_in(demo_app, Role.SPOC)
    preview = demo_app.importing.preview(ws, XLSX, mapping(), rows=5)
    assert preview.sheets == ("Matrix", "Notes") and preview.total_rows == 40 and len(preview.rows) == 5
    assert preview.fields["family_name"] == "Surname" and preview.fields["bcu"] is None and preview.problems == ()
    assert preview.rows[0][0] == 2 and len(preview.rows[0][1]) == len(preview.headers)
    broken = mapping().with_column("postcode", "Post code")
    assert demo_app.importing.preview(ws, XLSX, broken).problems[0].startswith("columns.postcode: the file has no")
    ((action, _outcome, detail),) = last_entries(ws, 1)
    assert action == Action.IMPORT_DRY_RUN.value and detail.startswith("preview sha256=")
    demo_app.auth.sign_out(ws)


def test_the_report_csv_holds_no_personal_data(demo_app: App, tmp_path: Path) -> None:
    ws = sign_in(demo_app, Role.SPOC)
    report = demo_app.importing.commit(ws, XLSX, mapping())
    out = tmp_path / "report.csv"
    write_report_csv(report, out)
    lines = out.read_text(encoding="utf-8").splitlines()
    assert lines[0] == "row,fate,column,reason,ref" and len(lines) == 41
    from gvm_desktop.ingest.read import read_table

    text = out.read_text(encoding="utf-8")
    for row in read_table(XLSX, sheet="Matrix").rows:
        for cell in row.cells[1:4]:  # surname, forename, alias
            assert not (isinstance(cell, str) and len(cell) > 3 and cell in text)
    demo_app.auth.sign_out(ws)


def test_the_bulk_identity_check_answers_as_the_single_one(demo_app: App) -> None:
    from gvm_desktop.store import unit
    from tests.support.vault_access import vault_of

    ws = sign_in(demo_app, Role.SPOC)
    store = unit.reading(vault_of(ws))
    people = [(g, f, d) for g, f, d in conn_of(ws).execute(
        "SELECT given_name, family_name, date_of_birth FROM nominals ORDER BY id DESC")]
    asked = [*people, (" ZOË ", "nobody", "2001-01-01"), (people[0][0].upper(), people[0][1], people[0][2])]
    assert store.nominals.same_identities(asked) == [store.nominals.same_identity(*p) for p in asked]
    assert store.nominals.same_identities(asked)[-1][0].bcu == "CE"
    demo_app.auth.sign_out(ws)


def test_the_same_matrix_as_a_windows_1252_csv_imports_alike(demo_app: App, tmp_path: Path) -> None:
    import csv
    import io
    from datetime import date

    from gvm_desktop.ingest.read import read_table

    table = read_table(XLSX, sheet="Matrix")
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(table.headers)
    for row in table.rows:
        writer.writerow(["" if c is None else c.strftime("%d/%m/%Y") if isinstance(c, date) else c
                         for c in row.cells])
    path = tmp_path / "matrix.csv"
    path.write_bytes(buf.getvalue().replace(",Sade,", ",Zoë,", 1).encode("cp1252"))
    ws = sign_in(demo_app, Role.SPOC)
    report = demo_app.importing.commit(ws, path, mapping())
    assert report.kind == "csv" and report.counts["add"] == 40
    given = conn_of(ws).execute("SELECT given_name FROM nominals WHERE ref = ?", (report.rows[0].ref,)).fetchone()[0]
    assert given == "Zoë"
    demo_app.auth.sign_out(ws)


def test_a_commit_after_its_dry_run_still_finds_who_was_added_meanwhile(demo_app: App) -> None:
    """The commit takes over the dry run's conversion of the same bytes, never its check against the vault."""
    from gvm_desktop.ingest.read import read_table

    ws = sign_in(demo_app, Role.SPOC)
    assert demo_app.importing.dry_run(ws, XLSX, mapping()).counts["add"] == 40
    table = read_table(XLSX, sheet="Matrix")
    first = plan(mapping(), table.headers).convert(table.rows[0].cells, bcu="CE",
                                                   today=demo_app.env.clock.now().date())
    assert isinstance(first, ConvertedRow)
    ref = demo_app.changes.propose(ws, first.person, evidence=first.evidence,
                                   reason="Proposed by hand between the dry run and the commit")
    with pytest.raises(ImportRefused) as refused:
        demo_app.importing.commit(ws, XLSX, mapping())
    assert [(r.number, r.fate, r.ref) for r in refused.value.report.blocking] == [(2, "duplicate", ref)]
    demo_app.auth.sign_out(ws)


def test_a_commit_of_the_bytes_its_dry_run_read_does_not_convert_them_again(
        demo_app: App, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from gvm_desktop.ingest import read

    parsed: list[int] = []
    real = read.read_table_bytes

    def counting(data: bytes, **kw: Any) -> Any:
        parsed.append(len(data))
        return real(data, **kw)

    monkeypatch.setattr(read, "read_table_bytes", counting)
    ws = sign_in(demo_app, Role.SPOC)
    copy = tmp_path / "matrix.xlsx"
    shutil.copy(XLSX, copy)
    demo_app.importing.dry_run(ws, copy, mapping())
    copy.write_bytes(copy.read_bytes())  # rewritten, the same bytes: the same file
    assert demo_app.importing.commit(ws, copy, mapping()).committed
    assert len(parsed) == 1
    # Once taken, it is gone: another dry run and a changed mapping parse again.
    demo_app.importing.dry_run(ws, copy, mapping())
    with pytest.raises(ImportRefused):
        demo_app.importing.commit(ws, copy, mapping().with_column("aliases", None))
    assert len(parsed) == 3
    demo_app.auth.sign_out(ws)


def test_a_dry_run_is_no_unlogged_status_check_each_match_is_logged_with_its_record(demo_app: App) -> None:
    """A SPOC could otherwise put a list of names and dates of birth in a spreadsheet and learn, from a dry run that
    changes nothing, who is held in any BCU. Each match is logged with the held record's reference (never the name),
    as a refused proposal is; the refused commit names the records it matched."""
    ws = sign_in(demo_app, Role.SPOC)
    demo_app.importing.commit(ws, XLSX, mapping())  # the 40 are now held
    report = demo_app.importing.dry_run(ws, XLSX, mapping())
    assert report.counts["duplicate"] == 40
    matched = list(conn_of(ws).execute(
        "SELECT record_ref, detail FROM access_log WHERE action = ? AND record_ref IS NOT NULL ORDER BY seq",
        (Action.IMPORT_DRY_RUN.value,)))
    assert len(matched) == 40 and all(ref.startswith("N-") for ref, _ in matched)
    assert all("date of birth" in detail and report.sha256 in detail for _, detail in matched)
    with pytest.raises(ImportRefused):
        demo_app.importing.commit(ws, XLSX, mapping())
    (detail,) = conn_of(ws).execute("SELECT detail FROM access_log WHERE action = ? ORDER BY seq DESC LIMIT 1",
                                    (Action.NOMINALS_IMPORT.value,)).fetchone()
    assert "matches held records " + matched[0][0] in detail
    demo_app.auth.sign_out(ws)
