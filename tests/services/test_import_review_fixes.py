"""Review R's import defects, each pinned: what reaches the access log, which files are read and how, the report's
path, the mapping file's decoding and its repeated columns."""

from __future__ import annotations

import contextlib
import io
import os
import threading
from collections.abc import Callable
from pathlib import Path

import pytest
import xlsxwriter

from gvm_desktop.app import App
from gvm_desktop.cli import main
from gvm_desktop.cli.importing import read_mapping
from gvm_desktop.core.errors import ValidationError
from gvm_desktop.core.import_mapping import parse_mapping
from gvm_desktop.ingest.read import read_bytes
from gvm_desktop.ingest.table import ImportFileError
from tests.services.test_import_messy import SPOC, TOML, last_entry, mapping

NAMES = ("Sade Rhubarbspire", "Hamza Cobaltbrook")
Run = Callable[..., tuple[int, str, str]]


@pytest.fixture
def run(demo_app: App, make_app: Callable[..., App]) -> Run:
    def _run(*argv: str, stdin: str = f"{SPOC.password}\n") -> tuple[int, str, str]:
        out, err = io.StringIO(), io.StringIO()
        code = main([*argv, "--vault", str(demo_app.vault_dir), "--password-stdin"],
                    app_factory=lambda folder: make_app(folder), stdin=io.StringIO(stdin), stdout=out, stderr=err)
        return code, out.getvalue(), err.getvalue()

    return _run


def _finishes(call: Callable[[], object], seconds: float = 5.0) -> BaseException | None:
    """What `call` raised, run where a hang cannot stop the test run; fails the test if it does not return."""
    raised: list[BaseException] = []

    def target() -> None:
        try:
            call()
        except BaseException as exc:
            raised.append(exc)

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(seconds)
    assert not thread.is_alive(), "the read hung"
    return raised[0] if raised else None


def _person_tabs(path: Path) -> Path:
    book = xlsxwriter.Workbook(str(path))
    for name in NAMES:
        book.add_worksheet(name).write_row(0, 0, ("Surname", "Forename"))
    book.close()
    return path


# -- defect 1 and 13: the access log ----------------------------------------------------------------------------


def test_a_missing_sheet_names_no_sheet_on_screen_or_in_the_log(demo_app: App, tmp_path: Path) -> None:
    ws = demo_app.auth.sign_in(SPOC.username, SPOC.password)
    path = _person_tabs(tmp_path / "tabs.xlsx")
    with pytest.raises(ValidationError) as refused:
        demo_app.importing.dry_run(ws, path, mapping())
    assert "2 sheets" in refused.value.message and "sheet" in refused.value.message
    _action, outcome, detail = last_entry(ws)
    assert outcome == "refused"
    for name in NAMES:
        assert name not in refused.value.message and name not in detail
    assert "sha256=" in detail
    demo_app.auth.sign_out(ws)


def test_file_level_refusals_carry_the_sha256(demo_app: App, tmp_path: Path) -> None:
    ws = demo_app.auth.sign_in(SPOC.username, SPOC.password)
    path = tmp_path / "formula.csv"
    path.write_text("Surname,Forename\n=cmd,Kai\n", encoding="utf-8")
    import hashlib
    sha = hashlib.sha256(path.read_bytes()).hexdigest()
    for call in (lambda: demo_app.importing.dry_run(ws, path, mapping()),
                 lambda: demo_app.importing.commit(ws, path, mapping())):
        with pytest.raises(ValidationError):
            call()
        assert f"sha256={sha}" in last_entry(ws)[2]
    demo_app.auth.sign_out(ws)


def test_a_mapping_that_does_not_fit_logs_the_key_not_the_header(demo_app: App, tmp_path: Path) -> None:
    ws = demo_app.auth.sign_in(SPOC.username, SPOC.password)
    path = tmp_path / "names.csv"
    path.write_text("Sade Rhubarbspire,Forename\nx,y\n", encoding="utf-8")
    with pytest.raises(ValidationError):
        demo_app.importing.dry_run(ws, path, mapping().with_column("family_name", "Sade Rhubarbspire x"))
    detail = last_entry(ws)[2]
    assert "Rhubarbspire" not in detail and "sha256=" in detail
    demo_app.auth.sign_out(ws)


# -- defects 2 and 3: only regular files, at most the limit ------------------------------------------------------


def test_special_files_are_refused_without_a_hang(tmp_path: Path) -> None:
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    for path in (fifo, Path("/dev/zero"), tmp_path):
        raised = _finishes(lambda p=path: read_bytes(p))  # type: ignore[misc]
        assert isinstance(raised, ImportFileError), path
        raised = _finishes(lambda p=path: read_mapping(p))  # type: ignore[misc]
        assert isinstance(raised, ValidationError) and not isinstance(raised, OSError), path


def test_a_mapping_over_the_limit_is_refused(tmp_path: Path) -> None:
    big = tmp_path / "big.toml"
    big.write_text(TOML.read_text(encoding="utf-8") + "#" * (2 * 1024 * 1024) + "\n", encoding="utf-8")
    with pytest.raises(ValidationError, match="MB"):
        read_mapping(big)


def test_the_cli_refuses_a_fifo_quickly(run: Run, tmp_path: Path) -> None:
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    result: list[tuple[int, str, str]] = []
    assert _finishes(lambda: result.append(run("import", str(fifo), "--mapping", str(TOML), "--dry-run",
                                               "--as", SPOC.username))) is None
    code, _out, err = result[0]
    assert code == 1 and err.count("\n") == 1
    assert _finishes(lambda: result.append(run("import", str(fifo), "--mapping", str(fifo), "--dry-run",
                                               "--as", SPOC.username))) is None
    assert result[1][0] in (1, 2) and result[1][2].count("\n") == 1


# -- defect 4: the report never overwrites --------------------------------------------------------------------


def test_the_report_never_overwrites(run: Run, tmp_path: Path) -> None:
    xlsx = Path(TOML).with_suffix(".xlsx")
    kept = tmp_path / "kept.db"
    kept.write_bytes(b"the vault's own bytes")
    code, _out, err = run("import", str(xlsx), "--mapping", str(TOML), "--dry-run", "--report", str(kept),
                          "--as", SPOC.username)
    assert code == 1 and "exists" in err and kept.read_bytes() == b"the vault's own bytes"
    code, _out, err = run("import", str(xlsx), "--mapping", str(TOML), "--dry-run", "--report", str(tmp_path),
                          "--as", SPOC.username)
    assert code == 1 and err.count("\n") == 1
    code, _out, err = run("import", str(xlsx), "--mapping", str(TOML), "--dry-run", "--report", "/dev/null",
                          "--as", SPOC.username)
    assert code == 1 and err.count("\n") == 1


# -- defect 11: the mapping file's decoding -------------------------------------------------------------------


def test_a_mapping_with_a_bom_reads(tmp_path: Path) -> None:
    bom = tmp_path / "bom.toml"
    bom.write_bytes(b"\xef\xbb\xbf" + TOML.read_bytes())
    assert read_mapping(bom) == read_mapping(TOML)


def test_a_mapping_not_in_utf8_names_the_line(tmp_path: Path) -> None:
    ansi = tmp_path / "ansi.toml"
    ansi.write_bytes(b'[columns]\n\ngiven_name = "Pr\xe9nom"\n')
    with pytest.raises(ValidationError, match="line 3") as refused:
        read_mapping(ansi)
    assert "UTF-8" in refused.value.message


def test_a_deeply_nested_mapping_is_one_sentence() -> None:
    with pytest.raises(ValidationError) as refused:
        parse_mapping("x = " + "[" * 100_000 + "]" * 100_000 + "\n", "deep.toml")
    assert refused.value.message.startswith("deep.toml")


# -- defect 5: a column read twice -------------------------------------------------------------------------------


def _sample_with(extra: str, *, replace: tuple[str, str] | None = None) -> str:
    text = TOML.read_text(encoding="utf-8")
    if replace:
        text = text.replace(*replace)
    return text + extra


def test_a_header_read_by_two_person_fields_is_refused() -> None:
    with pytest.raises(ValidationError) as refused:
        parse_mapping(_sample_with("", replace=('family_name = "Surname"', 'family_name = "forename "')))
    assert "columns.given_name" in refused.value.message and "columns.family_name" in refused.value.message


def test_two_evidence_groups_reading_the_same_columns_are_refused() -> None:
    group = TOML.read_text(encoding="utf-8").split("\n[[evidence]]\n")[1]
    with pytest.raises(ValidationError, match="evidence #3"):
        parse_mapping(_sample_with("\n[[evidence]]\n" + group))


def test_too_many_evidence_groups_are_refused() -> None:
    groups = "".join(f'\n[[evidence]]\nkind = "K{n}"\nsource_type = "S{n}"\ngrading = "G{n}"\ndate = "D{n}"\n'
                     f'text = "T{n}"\nsource_ref = "R{n}"\n' for n in range(10))
    with pytest.raises(ValidationError, match="at most 10"):
        parse_mapping(_sample_with(groups))


# -- defect 7: no refusal quotes a cell -------------------------------------------------------------------------

PERSONAL = ("Sade", "Rhubarbspire", "119 Fictive Larch Cl", "ZZ7 4BL", "06/05/2004", "INT/26/77",
            "A synthetic report names Sade.")


def _legacy_row() -> list[str]:
    from tests.services.test_import_messy import HEADERS

    cells = dict.fromkeys(HEADERS, "")
    cells.update({"Surname": "Rhubarbspire", "Forename": "Sade", "DOB": "06/05/2004", "Sex": "Female", "SDE": "W1",
                  "Disability": "No", "Address": "119 Fictive Larch Cl", "Postcode": "ZZ7 4BL", "Borough": "Hackney",
                  "BCU": "CE", "Intel date": "01/04/2026", "Intel type": "Violence", "Intel source": "Police",
                  "Intel grading": "1B P", "Intel summary": "A synthetic report names Sade.", "Intel ref": "INT/26/77"})
    return [cells[h] for h in HEADERS]


def test_no_refusal_quotes_a_cell_wherever_the_cells_land(demo_app: App, tmp_path: Path) -> None:
    import csv

    from gvm_desktop.services.importing import write_report_csv
    from tests.services.test_import_messy import HEADERS

    base = _legacy_row()
    rows = [base]
    for i in range(len(HEADERS)):
        for value in PERSONAL:
            rows.append([*base[:i], value, *base[i + 1:]])  # a cell in the wrong column
        rows.append([*base[:i], "119 Fictive Larch Cl", *base[i:-1]])  # an unquoted comma shifts the rest right
        rows.append(base[:i] + base[i + 1:] + [""])  # a missing cell shifts the rest left
    path = tmp_path / "shifted.csv"
    with path.open("w", encoding="utf-8", newline="") as stream:
        csv.writer(stream).writerows([HEADERS, *rows])
    ws = demo_app.auth.sign_in(SPOC.username, SPOC.password)
    report = demo_app.importing.dry_run(ws, path, mapping())
    demo_app.auth.sign_out(ws)
    assert report.counts["refused"] > len(HEADERS)
    write_report_csv(report, tmp_path / "report.csv")
    text = (tmp_path / "report.csv").read_text(encoding="utf-8")
    for value in (*PERSONAL, "2004", "Fictive", "ZZ7", "INT/26"):
        assert value not in text, [r for r in report.rows if value in r.reason]


# -- defect 8: a file of two encodings ----------------------------------------------------------------------------


def test_a_utf8_file_with_a_stray_windows_byte_is_refused_naming_the_cell() -> None:
    from gvm_desktop.ingest.read import read_table_bytes

    data = "Surname,Forename\nZoë,Núñez\nKai,Tallow\n".encode() + b"Cobaltfen,Ren\xe9e\n"
    with pytest.raises(ImportFileError) as refused:
        read_table_bytes(data)
    assert refused.value.row == 4 and refused.value.column == 1
    assert "mixes" in refused.value.message
    # A file all in Windows-1252 still reads as it did.
    assert read_table_bytes("Surname,Forename\nZoë,Renée\n".encode("cp1252")).rows[0].cells == ("Zoë", "Renée")


# -- defect 14: the mapping's reason, checked as a typed one ----------------------------------------------------


@pytest.mark.parametrize("reason", ["Imported \x1b[31m from the legacy matrix",
                                    "Imported from the \u202e legacy matrix",
                                    "Imported from the legacy matrix " + "x" * 5000])
def test_the_mapping_reason_passes_the_typed_reason_checks(reason: str) -> None:
    escaped = reason.replace("\x1b", "\\u001b").replace("\u202e", "\\u202e")
    with pytest.raises(ValidationError, match=r"import\.reason"):
        parse_mapping(_sample_with("", replace=('reason = "Imported from the BCU\'s legacy matrix"',
                                                f'reason = "{escaped}"')))


# -- defect 16: usage and hints --------------------------------------------------------------------------------


def test_a_malformed_sha256_is_a_usage_error(run: Run) -> None:
    xlsx = Path(TOML).with_suffix(".xlsx")
    code, out, err = run("import", str(xlsx), "--mapping", str(TOML), "--sha256", "0000", "--as", SPOC.username)
    assert code == 2 and "SHA-256" in err and "changed" not in err and out == ""


@pytest.mark.parametrize("data", ["Surname;Forename;Address\nTallow;Kai;1, Placeholder Road\n",
                                  "Surname;Forename\nTallow;Kai\n", "Surname\tForename\nTallow\tKai\n"])
def test_a_csv_with_another_delimiter_gets_a_hint(data: str) -> None:
    from gvm_desktop.ingest.read import read_table_bytes

    with pytest.raises(ImportFileError) as refused:
        read_table_bytes(data.encode())
    shown = "\\t" if "\t" in data else ";"
    assert f"the file seems to use '{shown}' between cells: set delimiter in [source]" in refused.value.message


def test_the_file_is_read_before_the_vault_is_taken(demo_app: App, tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    import gvm_desktop.ingest.read as ingest_read
    from gvm_desktop.services.context import Workspace

    order: list[str] = []
    real_read, real_operation = ingest_read.read_bytes, Workspace.operation

    def read(path: Path) -> bytes:
        order.append("read")
        return real_read(path)

    def operation(self: Workspace, *args: object, **kwargs: object) -> object:
        order.append("vault")
        return real_operation(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(ingest_read, "read_bytes", read)
    monkeypatch.setattr(Workspace, "operation", operation)
    ws = demo_app.auth.sign_in(SPOC.username, SPOC.password)
    xlsx = Path(TOML).with_suffix(".xlsx")
    for call in (demo_app.importing.preview, demo_app.importing.dry_run, demo_app.importing.commit):
        order.clear()
        with contextlib.suppress(ValidationError):
            call(ws, xlsx, mapping())
        assert order[:2] == ["read", "vault"] and order.count("read") == 1, (call, order)
    demo_app.auth.sign_out(ws)
