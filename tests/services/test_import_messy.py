"""A newcomer imports a messy spreadsheet: the dry run explains every refused row, and the commit changes nothing."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Any

import xlsxwriter

from gvm_desktop.app import App
from gvm_desktop.core.audit import Action
from gvm_desktop.core.demo_accounts import DEMO_ACCOUNTS
from gvm_desktop.core.import_mapping import ImportMapping, parse_mapping
from gvm_desktop.core.policy import Role
from gvm_desktop.services.context import Workspace
from gvm_desktop.services.importing import ImportRefused, write_report_csv
from tests.support.vault_access import conn_of

TOML = Path(__file__).resolve().parents[2] / "resources" / "samples" / "legacy-matrix.toml"
SPOC = next(a for a in DEMO_ACCOUNTS if a.role is Role.SPOC)
HEADERS = ("Nominal", "Surname", "Forename", "AKA", "DOB", "Sex", "SDE", "IC code", "Disability", "Address",
           "Postcode", "Borough", "BCU", "Gang", "Harm score", "RAG", "Last reviewed",
           "Intel date", "Intel type", "Intel source", "Intel grading", "Intel summary", "Intel ref",
           "Intel 2 date", "Intel 2 type", "Intel 2 source", "Intel 2 grading", "Intel 2 summary", "Intel 2 ref",
           "Intel 2 verification")
LETTER = {h: chr(ord("A") + i) for i, h in enumerate(HEADERS)}


def mapping() -> ImportMapping:
    return parse_mapping(TOML.read_text(encoding="utf-8"), TOML.name).with_column("bcu", "BCU")


def person(surname: str, forename: str = "Kai", dob: object = date(2004, 5, 6), **cells: object) -> dict[str, object]:
    row: dict[str, object] = {
        "Nominal": "CE/X/1", "Surname": surname, "Forename": forename, "DOB": dob, "Sex": "Male", "SDE": "W1",
        "Disability": "No", "Address": "9 Placeholder Road", "Postcode": "ZZ2 3AB", "Borough": "Hackney", "BCU": "CE",
        "Gang": "Mess Crew (synthetic)", "Harm score": 55, "RAG": "RED", "Intel date": date(2026, 4, 1),
        "Intel type": "Violence", "Intel source": "Police", "Intel grading": "1B P",
        "Intel summary": "A synthetic report names the person.", "Intel ref": "INT/26/9",
    }
    row.update(cells)
    return row


def held_person(ws: Workspace) -> tuple[str, str, date, str]:
    """A person of the demo BCU already in the vault (test set-up, read straight from the store)."""
    given, family, dob, ref = conn_of(ws).execute(
        "SELECT given_name, family_name, date_of_birth, ref FROM nominals WHERE bcu = 'CE' ORDER BY id").fetchone()
    return given, family, date.fromisoformat(dob), ref


def messy_rows(held: tuple[str, str, date, str]) -> list[dict[str, object] | None]:
    """Row 2 onwards, in order; None is an empty row."""
    given, family, dob, _ref = held
    return [
        person("Tallowbrook"),  # 2: fine
        person("Cobaltfen", SDE="W7"),  # 3: unknown code
        person("Drizzlegill", Postcode=None),  # 4: required cell missing
        person("Mosaicdell", dob=date(2031, 1, 1)),  # 5: date of birth in the future
        person("Parsniphaven", dob="2004.05.06"),  # 6: a text date in no format of the mapping
        person("Quibbleholt", dob=38113.0),  # 7: an Excel serial date (2004-05-06): fine
        person("  Rhubarbmere  ", forename=" Kai ", Sex="Male  ", Borough=" Hackney"),  # 8: trailing spaces: fine
        None,  # 9: empty row in the middle: skipped
        person("Tallowbrook"),  # 10: the same person as row 2
        person(family, given, dob),  # 11: a person the vault holds already
        {**person("Tinselspire"), "Intel 2 date": date(2026, 5, 1), "Intel 2 type": "Association"},  # 12: part group
        person("Wafflewick", BCU="CN", Borough="Camden"),  # 13: another BCU's row
        {**person("Zephyrcombe"), "Intel date": date(2026, 12, 1)},  # 14: evidence dated in the future
        {**person("Tinselbrook"), "Intel 2 date": "03/06/2026", "Intel 2 type": "Social media",  # 15: fine, two
         "Intel 2 source": "Open source", "Intel 2 grading": "2B P", "Intel 2 summary": "A synthetic public post.",
         "Intel 2 ref": "OSINT/1", "Intel 2 verification": "Seen by the unit on a synthetic platform, link kept."},
    ]


def write_messy(path: Path, rows: list[dict[str, object] | None]) -> Path:
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet("Matrix")
    day = book.add_format({"num_format": "dd/mm/yyyy"})
    sheet.write_row(0, 0, HEADERS)
    for r, row in enumerate(rows, start=1):
        for header, value in (row or {}).items():
            c = HEADERS.index(header)
            if isinstance(value, date):
                sheet.write_datetime(r, c, datetime(value.year, value.month, value.day), day)
            elif isinstance(value, float):
                sheet.write_number(r, c, value)  # a bare number, as a date column typed wrongly shows one
            elif value is not None:
                sheet.write(r, c, value)
    book.close()
    return path


EXPECTED: dict[int, tuple[str, str | None, str]] = {  # row: fate, column header, words of the reason
    2: ("add", None, ""),
    3: ("refused", "SDE", "is not a known ethnicity code"),
    4: ("refused", "Postcode", "the postcode is empty; it is required"),
    5: ("refused", "DOB", "the date of birth is in the future"),
    6: ("refused", "DOB", "is not a date in the formats of [dates]"),
    7: ("add", None, ""),
    8: ("add", None, ""),
    9: ("skipped", None, "empty row"),
    10: ("duplicate", None, "same person as row 2"),
    11: ("duplicate", None, "already held as "),
    12: ("refused", "Intel 2 source", "evidence #2: the source type is empty"),
    13: ("refused", "BCU", "the row is for the CN BCU; you can import into your own BCU (CE) only"),
    14: ("refused", "Intel date", "in the future"),
    15: ("add", None, ""),
}


def counts(ws: Workspace) -> tuple[int, int, int]:
    conn = conn_of(ws)

    def count(sql: str) -> int:
        return int(conn.execute(sql).fetchone()[0])

    return count("SELECT count(*) FROM nominals"), count("SELECT count(*) FROM proposals"), count("SELECT count(*) FROM access_log")


def last_entry(ws: Workspace) -> tuple[Any, ...]:
    return tuple(conn_of(ws).execute("SELECT action, outcome, detail FROM access_log ORDER BY seq DESC LIMIT 1"
                                     ).fetchone())


def test_the_dry_run_explains_every_row_and_the_commit_changes_nothing(demo_app: App, tmp_path: Path) -> None:
    ws = demo_app.auth.sign_in(SPOC.username, SPOC.password)
    held = held_person(ws)
    path = write_messy(tmp_path / "messy.xlsx", messy_rows(held))
    before = counts(ws)

    report = demo_app.importing.dry_run(ws, path, mapping())
    fates = {r.number: r for r in report.rows}
    assert sorted(fates) == sorted(EXPECTED)
    for number, (fate, header, words) in EXPECTED.items():
        row = fates[number]
        assert row.fate == fate, (number, row)
        assert row.column == (f"{header} ({LETTER[header]})" if header else None), (number, row)
        assert words in row.reason, (number, row)
    assert fates[11].ref == held[3] and fates[11].reason == f"already held as {held[3]}"
    assert report.counts == {"add": 4, "refused": 7, "duplicate": 2, "skipped": 1}
    assert report.warnings == ()
    # Nobody's details in any reason, not even the held person's.
    text = " ".join(r.reason for r in report.rows)
    for personal in ("Tallowbrook", "Cobaltfen", "Placeholder", "ZZ2", "2004", "2031", held[0], held[1]):
        assert personal not in text
    # Two entries: row 11's match with the held record (by reference), then the dry run's own counts.
    assert counts(ws) == (before[0], before[1], before[2] + 2)
    assert last_entry(ws) == (Action.IMPORT_DRY_RUN.value, "allowed",
                              f"sha256={report.sha256} rows=14 add=4 refused=7 duplicate=2 skipped=1")
    write_report_csv(report, tmp_path / "report.csv")
    assert "Row" not in (tmp_path / "report.csv").read_text(encoding="utf-8").splitlines()[0]

    try:
        demo_app.importing.commit(ws, path, mapping(), expected_sha256=report.sha256)
    except ImportRefused as refused:
        assert refused.message == "9 rows cannot be imported; nothing was imported; run a dry run for the report."
        assert refused.report.counts == report.counts
    else:
        raise AssertionError("a messy file was imported")
    # Nothing changed but one entry: the refusal itself, naming the held record the file matched.
    assert counts(ws) == (before[0], before[1], before[2] + 3)
    action, outcome, detail = last_entry(ws)
    assert (action, outcome) == (Action.NOMINALS_IMPORT.value, "refused")
    assert detail == (f"refused: sha256={report.sha256} rows=14 add=4 refused=7 duplicate=2 skipped=1; "
                      f"matches held records {held[3]}")
    demo_app.auth.sign_out(ws)


def test_once_the_faults_are_fixed_the_file_commits(demo_app: App, tmp_path: Path) -> None:
    ws = demo_app.auth.sign_in(SPOC.username, SPOC.password)
    rows = messy_rows(held_person(ws))
    keep = [row for number, row in enumerate(rows, start=2) if EXPECTED[number][0] in ("add", "skipped")]
    path = write_messy(tmp_path / "fixed.xlsx", keep)
    people = counts(ws)[0]
    report = demo_app.importing.commit(ws, path, mapping())
    assert report.committed and report.counts == {"add": 4, "refused": 0, "duplicate": 0, "skipped": 1}
    assert counts(ws)[0] == people + 4
    demo_app.auth.sign_out(ws)
