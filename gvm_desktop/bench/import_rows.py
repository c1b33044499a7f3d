"""`import_10000_rows_s`: a 10,000-row legacy spreadsheet imported (dry run, then commit) as the SPOC of a fresh
vault, against python_calamine alone loading every row of the same file.

The product figure is what a SPOC waits for: the file read and checked twice (the commit re-reads it, so a
file changed since the dry run is refused), every row converted by the hand-entry rules and checked for
duplicates, then every person, evidence entry and proposal written in one transaction with its log entry.
The workbook is written here with the standard library (a minimal valid XLSX of inline strings, as many
exporters write): xlsxwriter is a test dependency and the bench must run on an installed application.
"""

from __future__ import annotations

import random
import tempfile
import time
import zipfile
from datetime import date, timedelta
from pathlib import Path
from xml.sax.saxutils import escape

from gvm_desktop.app import App, build_app
from gvm_desktop.bench.measure import Metric, median_s, metric
from gvm_desktop.core.demo_accounts import DEMO_ACCOUNTS
from gvm_desktop.core.import_mapping import parse_mapping
from gvm_desktop.core.import_report import column_letter
from gvm_desktop.core.policy import Role

ROWS = 10_000
TEST_ROWS = 200  # a bench run smaller than the demo tests the bench itself
DEMO_PEOPLE = 60  # the fresh vault's own people: the import's duplicate check has someone to look at

HEADERS = ("Ref", "Surname", "Forename", "DOB", "Sex", "SDE", "Disability", "Address", "Postcode", "Borough", "Gang",
           "Harm score", "Intel date", "Intel type", "Intel source", "Intel grading", "Intel summary", "Intel ref")
MAPPING = """
[columns]
given_name = "Forename"
family_name = "Surname"
date_of_birth = "DOB"
gender = "Sex"
ethnicity = "SDE"
disability = "Disability"
address = "Address"
postcode = "Postcode"
borough = "Borough"
gangs = "Gang"

[[evidence]]
kind = "Intel type"
source_type = "Intel source"
grading = "Intel grading"
date = "Intel date"
text = "Intel summary"
source_ref = "Intel ref"

[values.gender]
"Male" = "M"
"Female" = "F"

[values.source_type]
"Police" = "police"
"Partner" = "partner_agency"

[ignore]
columns = ["Ref", "Harm score"]
"""
_HEADS = ("Ledger", "Tallow", "Cobalt", "Drizzle", "Mosaic", "Parsnip", "Quibble", "Rhubarb", "Tinsel", "Waffle")
_GIVEN = ("Kai", "Remi", "Sasha", "Jordan", "Quinn", "Eden", "Ari", "Nico", "Robin", "Rowan")
_KINDS = ("violent_offence", "weapons_offence", "gang_association", "weapons_access")
# The package parts every one-sheet workbook has (tests/support/workbooks.py builds its files on them too).
CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>')
ROOT_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
    'Target="xl/workbook.xml"/></Relationships>')
_WORKBOOK = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    '<sheets><sheet name="Matrix" sheetId="1" r:id="rId1"/></sheets></workbook>')
WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" '
    'Target="worksheets/sheet1.xml"/></Relationships>')


def _cell(ref: str, value: object) -> str:
    if isinstance(value, int | float):
        return f'<c r="{ref}"><v>{value}</v></c>'
    return f'<c r="{ref}" t="inlineStr"><is><t>{escape(str(value))}</t></is></c>'


def legacy_rows(count: int, seed: int = 16) -> list[tuple[object, ...]]:
    """`count` synthetic people, each a different name (no two rows are the same person), one entry each."""
    rng = random.Random(seed)
    out: list[tuple[object, ...]] = []
    for n in range(count):
        # An invented family name per row ("Ledger" + letters of the row number): never a demo person's.
        family = _HEADS[n % len(_HEADS)] + column_letter(n // len(_HEADS)).lower()
        dob_serial = 36526 + rng.randrange(4000)  # 2000-01-01 plus up to 11 years, as an Excel serial number
        intel = date(2025, 1, 6) + timedelta(days=rng.randrange(300))
        out.append((
            f"L{n:05d}", family, _GIVEN[rng.randrange(len(_GIVEN))], dob_serial, rng.choice(("Male", "Female")),
            rng.choice(("W1", "B1", "A3", "M4", "O2")), rng.choice(("N", "Y", "U")),
            f"{rng.randint(1, 200)} Specimen Way", f"ZZ{rng.randint(1, 9)} {rng.randint(1, 9)}AB",
            rng.choice(("Hackney", "Tower Hamlets")), "Bench Crew (synthetic)", rng.randint(0, 90),
            intel.strftime("%d/%m/%Y"), rng.choice(_KINDS), rng.choice(("Police", "Partner")), "1B P",
            "A synthetic report names the person.", f"INT/25/{n:05d}",
        ))
    return out


def write_xlsx(path: Path, headers: tuple[str, ...], rows: list[tuple[object, ...]]) -> None:
    """A minimal valid workbook: one sheet of inline strings and numbers, no styles, no shared strings."""
    parts = ['<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
             '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
             f'<dimension ref="A1:{column_letter(len(headers) - 1)}{len(rows) + 1}"/><sheetData>']
    letters = [column_letter(c) for c in range(len(headers))]
    for r, row in enumerate([headers, *rows], start=1):
        parts.append(f'<row r="{r}">' + "".join(_cell(f"{letters[c]}{r}", v) for c, v in enumerate(row)) + "</row>")
    parts.append("</sheetData></worksheet>")
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", CONTENT_TYPES)
        z.writestr("_rels/.rels", ROOT_RELS)
        z.writestr("xl/workbook.xml", _WORKBOOK)
        z.writestr("xl/_rels/workbook.xml.rels", WORKBOOK_RELS)
        z.writestr("xl/worksheets/sheet1.xml", "".join(parts))


def _bare_read(path: Path) -> int:
    import python_calamine  # the baseline: the reader library alone, no checks, no conversion

    return len(python_calamine.CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0).to_python())


def import_rows_metric(app: App, rows: int = ROWS) -> dict[str, Metric]:
    """Dry run then commit of `rows` rows on a fresh demo vault (the app's Argon2id cost) as its SPOC; once,
    since a commit changes the vault; the baseline is the median of three bare reads of the same file."""
    spoc = next(a for a in DEMO_ACCOUNTS if a.role is Role.SPOC)
    mapping = parse_mapping(MAPPING, "bench mapping")
    with tempfile.TemporaryDirectory(prefix="gvm-bench-import-") as tmp:
        path = Path(tmp) / "legacy.xlsx"
        write_xlsx(path, HEADERS, legacy_rows(rows))
        fresh = build_app(Path(tmp) / "vault", kdf=app.env.kdf, keyring_backend=None, workstation="bench",
                          clock=app.env.clock)
        fresh.auth.sign_out(fresh.create_demo(DEMO_PEOPLE).workspace)
        ws = fresh.auth.sign_in(spoc.username, spoc.password)
        try:
            start = time.perf_counter()
            checked = fresh.importing.dry_run(ws, path, mapping)
            done = fresh.importing.commit(ws, path, mapping, expected_sha256=checked.sha256)
            took = time.perf_counter() - start
        finally:
            fresh.auth.sign_out(ws)
        if done.counts["add"] != rows:
            raise RuntimeError(f"the bench import added {done.counts['add']} of {rows} rows")
        bare = median_s(lambda: _bare_read(path), 3)
    return {f"import_{rows}_rows_s": metric(took, "s", bare,
                                            "python_calamine alone loading every row of the same XLSX", 1)}
