"""The import mapping: the file a SPOC edits, checked whole, and one row converted by the hand-entry rules."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import pytest

from gvm_desktop.core.errors import ValidationError
from gvm_desktop.core.evidence import EvidenceType, SourceType
from gvm_desktop.core.import_mapping import (
    EVIDENCE_FIELDS,
    PERSON_FIELDS,
    Cell,
    ConvertedRow,
    ImportMapping,
    RowRefusal,
    convert_row,
    excel_serial_date,
    mapping_problems,
    mapping_to_toml,
    parse_mapping,
    plan,
    unmapped_headers,
)

SAMPLE = Path(__file__).resolve().parents[2] / "resources" / "samples" / "legacy-matrix.toml"
TODAY = date(2026, 11, 2)

SMALL = """
[columns]
given_name = "Forename"
family_name = "Surname"
date_of_birth = "DOB"
gender = "Sex"
ethnicity = "SDE"
disability_value = "U"
address = "Address"
postcode = "Postcode"
borough = "Borough"
gangs = "Gang"
bcu = "BCU"

[[evidence]]
kind = "Intel type"
source_type_value = "police"
grading = "Grading"
date = "Intel date"
text = "Summary"
source_ref = "Ref"

[values.gender]
"Male" = "M"
"Female" = "F"

[values.ethnicity]
"W9" = "W5"
"B1" = "B2"

[ignore]
columns = ["Harm score"]
"""
HEADERS = ("Forename", "Surname", "DOB", "Sex", "SDE", "Address", "Postcode", "Borough", "Gang", "BCU", "Intel type",
           "Grading", "Intel date", "Summary", "Ref", "Harm score", "Notes")
GOOD: list[Cell] = ["Quinnet", "Tallowmere", "14/03/2004", "Male", "W9", "1 Fictive Road", "ZZ4 7QX", "Hackney",
        "Synthetic Crew; Other Crew (synthetic)", "CE", "violent_offence", "1B P", "02-Mar-2026",
        "A synthetic robbery report names the person.", "INT/26/1", 40, "free text"]


def small() -> ImportMapping:
    return parse_mapping(SMALL, "small.toml")


def convert(cells: list[Cell], *, date1904: bool = False) -> ConvertedRow | RowRefusal:
    return convert_row(small(), HEADERS, cells, bcu="CE", today=TODAY, date1904=date1904)


def refusal(cells: list[Cell]) -> RowRefusal:
    result = convert(cells)
    assert isinstance(result, RowRefusal), result
    return result


def with_cell(header: str, value: Cell) -> list[Cell]:
    cells = list(GOOD)
    cells[HEADERS.index(header)] = value
    return cells


def test_the_shipped_sample_mapping_parses_and_round_trips() -> None:
    mapping = parse_mapping(SAMPLE.read_text(encoding="utf-8"), SAMPLE.name)
    assert mapping.sheet == "Matrix" and len(mapping.evidence) == 2 and "harm score" in {h.casefold()
                                                                                          for h in mapping.ignore}
    assert parse_mapping(mapping_to_toml(mapping)) == mapping
    assert parse_mapping(mapping_to_toml(small())) == small()


def test_fields_are_listed_for_the_mapping_screen() -> None:
    assert {f.name for f in PERSON_FIELDS if f.required} == {
        "given_name", "family_name", "date_of_birth", "gender", "ethnicity", "disability", "address", "postcode",
        "borough"}
    assert [f.name for f in EVIDENCE_FIELDS][:5] == ["kind", "source_type", "grading", "date", "text"]
    changed = small().with_column("disability", "Disabled?")
    assert changed.columns["disability"] == "Disabled?" and "disability" not in changed.fixed
    assert "Disabled?" not in small().columns.values()  # frozen: the original is unchanged
    with pytest.raises(ValidationError, match="not a field"):
        small().with_column("shoe_size", "Shoes")


@pytest.mark.parametrize(("text", "key"), [
    ("[colums]\n", "[colums]"),
    ("[columns]\nshoe_size = \"Shoes\"\n", "columns.shoe_size"),
    ("[values.ethnicity]\n\"W9\" = \"W7\"\n", "values.ethnicity.W9"),
    ("[values.gender]\n\"Male\" = \"\"\n", "values.gender.Male"),
    ("[values.address]\n\"x\" = \"y\"\n", "values.address"),
    ("[dates]\nformats = [\"%d/%m\"]\n", "dates.formats"),
    ("[dates]\nformats = [\"%Q\"]\n", "dates.formats"),
    ("[source]\nheader_row = 0\n", "source.header_row"),
    ("[source]\nencoding = \"latin-9\"\n", "source.encoding"),
    ("[source]\nsheets = \"Matrix\"\n", "source.sheets"),
    ("[columns]\ngender_value = \"Q\"\n", "gender_value"),
    ("[columns]\ndate_of_birth_value = \"01/01/2000\"\n", "columns.date_of_birth_value"),
    ("[import]\nreason = \"short\"\n", "import.reason"),
    ("not toml = = 1\n", "not valid TOML"),
])
def test_a_wrong_mapping_names_the_key(text: str, key: str) -> None:
    with pytest.raises(ValidationError) as caught:
        parse_mapping(text, "map.toml")
    assert key in caught.value.message and "map.toml" in caught.value.message


def test_the_mapping_is_checked_against_the_headers_before_any_row() -> None:
    assert mapping_problems(small(), HEADERS) == []
    missing = tuple(h for h in HEADERS if h != "Postcode")
    with pytest.raises(ValidationError, match=r"columns\.postcode: the file has no column headed 'Postcode'"):
        plan(small(), missing)
    twice = (*HEADERS, "postcode ")
    with pytest.raises(ValidationError, match="2 columns headed"):
        plan(small(), twice)
    unmapped = small().with_column("address", None)
    assert any(p.startswith("columns.address: no column") for p in mapping_problems(unmapped, HEADERS))
    # Matched trimmed and case-insensitive; unmapped, unignored columns are warnings only.
    assert mapping_problems(small(), tuple(f"  {h.upper()} " for h in HEADERS)) == []
    assert unmapped_headers(small(), HEADERS) == ["Notes"]


def test_a_good_row_becomes_drafts_checked_by_the_hand_entry_rules() -> None:
    result = convert(GOOD)
    assert isinstance(result, ConvertedRow)
    assert result.person.given_name == "Quinnet" and result.person.date_of_birth == date(2004, 3, 14)
    assert (result.person.gender, result.person.ethnicity, result.person.disability) == ("M", "W5", "U")
    assert result.person.bcu == "CE" and result.gangs == ("Synthetic Crew", "Other Crew (synthetic)")
    (entry,) = result.evidence
    assert entry.kind is EvidenceType.VIOLENT_OFFENCE and entry.source_type is SourceType.POLICE
    assert entry.on == date(2026, 3, 2) and str(entry.grading) == "1BP"
    assert result.identity == ("quinnet tallowmere", "2004-03-14")


def test_dates_real_text_and_excel_serials() -> None:
    assert excel_serial_date(45000, date1904=False) == date(2023, 3, 15)
    assert excel_serial_date(59, date1904=False) == date(1900, 2, 28)
    assert excel_serial_date(61, date1904=False) == date(1900, 3, 1)
    assert excel_serial_date(45000 - 1462, date1904=True) == date(2023, 3, 15)
    with pytest.raises(ValueError):
        excel_serial_date(60, date1904=False)  # Excel's 29 February 1900, which never was
    dobs: tuple[Cell, ...] = (date(2004, 3, 14), datetime(2004, 3, 14, 0, 0), 38060.0, "2004-03-14", " 14/03/2004 ")
    for dob in dobs:
        result = convert(with_cell("DOB", dob))
        assert isinstance(result, ConvertedRow) and result.person.date_of_birth == date(2004, 3, 14), dob
    serial_1904 = convert(with_cell("DOB", 38060.0 - 1462), date1904=True)
    assert isinstance(serial_1904, ConvertedRow) and serial_1904.person.date_of_birth == date(2004, 3, 14)
    wrong = refusal(with_cell("DOB", "14.03.2004"))
    assert (wrong.header, wrong.letter) == ("DOB", "C") and "formats" in wrong.reason and "14.03" not in wrong.reason


def test_trailing_spaces_and_case_are_fine() -> None:
    cells = [f"  {c}  " if isinstance(c, str) else c for c in GOOD]
    cells[HEADERS.index("Sex")] = "MALE "
    result = convert(cells)
    assert isinstance(result, ConvertedRow) and result.person.family_name == "Tallowmere"


@pytest.mark.parametrize(("header", "value", "words"), [
    ("SDE", "W7", "is not a known ethnicity code"),
    ("SDE", "W3", "is not a known ethnicity code"),  # our code, but the legacy list maps only W9 and B1
    ("Sex", "", "the gender is empty"),
    ("Forename", None, "the given name is empty"),
    ("DOB", "14/03/2031", "the date of birth is in the future"),
    ("DOB", "14/03/2020", "an age outside"),
    ("Postcode", "SW1", "not a UK postcode"),
    ("Borough", "Camden", "Camden is not a borough of the CE BCU"),
    ("BCU", "CN", "the row is for the CN BCU; you can import into your own BCU (CE) only"),
    ("Intel date", "02-Mar-2027", "in the future"),
    ("Grading", "9Z", "3x5x2"),
    ("Intel type", "Shoplifting", "is not a known kind code"),
    ("Summary", None, "the summary is empty, but the group's other cells are filled"),
])
def test_a_bad_cell_is_refused_naming_its_column_never_the_person(header: str, value: Cell, words: str) -> None:
    result = refusal(with_cell(header, value))
    assert (result.header, result.letter) == (header, "ABCDEFGHIJKLMNOPQ"[HEADERS.index(header)])
    assert words in result.reason
    assert result.column == f"{header} ({result.letter})"
    for personal in ("Quinnet", "Tallowmere", "Fictive", "2004", "14/03", "ZZ4"):
        assert personal not in result.reason


def test_evidence_groups_empty_or_partly_filled() -> None:
    empty = list(GOOD)
    for header in ("Intel type", "Grading", "Intel date", "Summary", "Ref"):
        empty[HEADERS.index(header)] = None
    no_evidence = refusal(empty)
    assert no_evidence.header is None and "no evidence entry" in no_evidence.reason
    partly = with_cell("Ref", "   ")
    assert refusal(partly).header == "Ref"


def test_a_long_name_is_refused_without_quoting_it() -> None:
    result = refusal(with_cell("Surname", "Q" * 150))
    assert result.header == "Surname" and "QQQ" not in result.reason
