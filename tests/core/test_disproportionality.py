"""The disproportionality figures against a hand computation on a small fixed data set, and the reference CSV's checks.

The data set: 12 people on the Central East BCU's matrix (Hackney and Tower Hamlets), and a reference population
of 4,000 for the BCU (2,000 per borough) for ethnicity, age band and gender, none for disability. Every expected
value below is worked out by hand in the comment beside it, as fractions, so the assertions are exact.
"""

from __future__ import annotations

from datetime import date
from fractions import Fraction

import pytest

from gvm_desktop.core.disproportionality import (
    AGE_BANDS,
    MAX_CSV_BYTES,
    NOT_STATED,
    Demographics,
    Dimension,
    DisproportionalityReport,
    QuarterCounts,
    ReferencePopulation,
    age_band,
    build_report,
    comparison_group,
    compute,
    ethnic_group,
    format_rate,
    format_ratio,
    format_share,
    parse_reference_csv,
    tally,
    trend,
)
from gvm_desktop.core.errors import ValidationError
from gvm_desktop.core.review import Quarter

COUNTED_ON = date(2026, 9, 30)  # the last day of 2026Q3

REFERENCE_CSV = """borough,dimension,group,population
Hackney,ethnicity,Asian,300
Hackney,ethnicity,Black,400
Hackney,ethnicity,Mixed,100
Hackney,ethnicity,White,1000
Hackney,ethnicity,Other,200
Tower Hamlets,ethnicity,Asian,500
Tower Hamlets,ethnicity,Black,200
Tower Hamlets,ethnicity,Mixed,100
Tower Hamlets,ethnicity,White,1000
Tower Hamlets,ethnicity,Other,200
Hackney,age_band,10-17,200
Hackney,age_band,18-24,200
Hackney,age_band,25-34,400
Hackney,age_band,35+,1200
Tower Hamlets,age_band,10-17,200
Tower Hamlets,age_band,18-24,200
Tower Hamlets,age_band,25-34,400
Tower Hamlets,age_band,35+,1200
Hackney,gender,Female,1050
Hackney,gender,Male,950
Hackney,gender,Non-binary or other,0
Tower Hamlets,gender,Female,1050
Tower Hamlets,gender,Male,950
Tower Hamlets,gender,Non-binary or other,0
Camden,ethnicity,Asian,9000
Camden,ethnicity,Black,9000
Camden,ethnicity,Mixed,9000
Camden,ethnicity,White,9000
Camden,ethnicity,Other,9000
"""
# Central East's sums: ethnicity Asian 800, Black 600, Mixed 200, White 2000, Other 400 (4,000);
# age 400, 400, 800, 2,400 (4,000); gender F 2,100, M 1,900, X 0. Camden is in Central North and must not count.


def _person(ethnicity: str, born: date, gender: str, disability: str) -> Demographics:
    return Demographics(ethnicity=ethnicity, date_of_birth=born, gender=gender, disability=disability)


# Ages on 30 September 2026, with the birthdays either side of each band's edge.
PEOPLE = (
    _person("B1", date(2012, 1, 1), "M", "Y"),     # 14: 10-17
    _person("B2", date(2010, 6, 1), "M", "Y"),     # 16: 10-17
    _person("B3", date(2008, 10, 1), "M", "Y"),    # 17 (18 tomorrow): 10-17
    _person("B1", date(2008, 9, 30), "M", "N"),    # 18 today: 18-24
    _person("B2", date(2005, 1, 1), "M", "N"),     # 21: 18-24
    _person("W1", date(2003, 5, 5), "M", "N"),     # 23: 18-24
    _person("W5", date(2001, 10, 1), "M", "N"),    # 24 (25 tomorrow): 18-24
    _person("A1", date(2001, 9, 30), "M", "N"),    # 25 today: 25-34
    _person("A4", date(1995, 1, 1), "M", "N"),     # 31: 25-34
    _person("M3", date(1991, 10, 1), "M", "U"),    # 34: 25-34
    _person("NS", date(1991, 9, 30), "F", "U"),    # 35 today: 35+
    _person("NS", date(1970, 1, 1), "U", "N"),     # 56: 35+
)


def reference() -> ReferencePopulation:
    return parse_reference_csv(REFERENCE_CSV, source="Synthetic census (test)", as_of="2021-03-21")


def current_counts() -> dict[str, dict[str, int]]:
    return tally(PEOPLE, on=COUNTED_ON)


def sample_quarters() -> list[QuarterCounts]:
    """Three quarters: two earlier counts typed in, and the current one tallied from PEOPLE."""
    q1 = {"ethnicity": {"Asian": 2, "Black": 4, "White": 4, NOT_STATED: 2},
          "age_band": {"10-17": 2, "18-24": 5, "25-34": 3, "35+": 2},
          "gender": {"Male": 10, "Female": 1, NOT_STATED: 1}, "disability": {"Disabled": 3, "Not disabled": 7, NOT_STATED: 2}}
    q2 = {"ethnicity": {"Asian": 2, "Black": 4, "Mixed": 1, "White": 3, NOT_STATED: 2},
          "age_band": {"10-17": 3, "18-24": 4, "25-34": 3, "35+": 2},
          "gender": {"Male": 10, "Female": 1, NOT_STATED: 1}, "disability": {"Disabled": 3, "Not disabled": 7, NOT_STATED: 2}}
    return [
        QuarterCounts(Quarter(2026, 3), current_counts(),
                      added={"ethnicity": {"Black": 1}, "age_band": {"10-17": 1}},
                      removed={"ethnicity": {"White": 1}, "age_band": {"35+": 1}}),
        QuarterCounts(Quarter(2026, 1), q1),
        QuarterCounts(Quarter(2026, 2), q2, added={"ethnicity": {"Mixed": 1}, "gender": {"Male": 1}},
                      removed={"ethnicity": {"White": 1}, "gender": {"Male": 1}}),
    ]


def sample_report() -> DisproportionalityReport:
    """The fixed data set as a whole report (the PDF and GUI tests use it too)."""
    return build_report(bcu="CE", reference=reference(), quarters=sample_quarters(), counted_on=COUNTED_ON)


def f(numerator: int, denominator: int = 1) -> float:
    """A hand-computed fraction as the one float it rounds to: the code computes exactly, then rounds once."""
    return float(Fraction(numerator, denominator))


# -- counting ---------------------------------------------------------------------------------------------------------


def test_tally_maps_codes_to_groups_and_ages_to_bands_on_the_day() -> None:
    counts = current_counts()
    assert counts["ethnicity"] == {"Black": 5, "White": 2, "Asian": 2, "Mixed": 1, NOT_STATED: 2}
    assert counts["age_band"] == {"10-17": 3, "18-24": 4, "25-34": 3, "35+": 2}
    assert counts["gender"] == {"Male": 10, "Female": 1, NOT_STATED: 1}
    assert counts["disability"] == {"Disabled": 3, "Not disabled": 7, NOT_STATED: 2}
    # A day later three people have had a birthday that moves them up a band.
    later = tally(PEOPLE, on=date(2026, 10, 1))
    assert later["age_band"] == {"10-17": 2, "18-24": 4, "25-34": 3, "35+": 3}


def test_every_detailed_ethnicity_code_has_a_high_level_group() -> None:
    assert [ethnic_group(c) for c in ("A2", "B3", "M1", "W4", "O1", "NS")] == \
        ["Asian", "Black", "Mixed", "White", "Other", NOT_STATED]
    with pytest.raises(ValueError):
        ethnic_group("ZZ")
    assert [age_band(a) for a in (10, 17, 18, 24, 25, 34, 35, 99)] == \
        ["10-17", "10-17", "18-24", "18-24", "25-34", "25-34", "35+", "35+"]


# -- the figures against the hand computation -------------------------------------------------------------------------


def test_reference_for_a_bcu_is_the_sum_over_its_boroughs() -> None:
    by_dimension = reference().for_bcu("CE")
    assert by_dimension[Dimension.ETHNICITY] == {"Asian": 800, "Black": 600, "Mixed": 200, "White": 2000, "Other": 400}
    assert by_dimension[Dimension.AGE_BAND] == {"10-17": 400, "18-24": 400, "25-34": 800, "35+": 2400}
    assert by_dimension[Dimension.GENDER] == {"Female": 2100, "Male": 1900, "Non-binary or other": 0}
    assert by_dimension[Dimension.DISABILITY] is None


def test_ethnicity_shares_ratios_rates_and_rri_match_the_hand_computation() -> None:
    table = compute(current_counts(), reference(), bcu="CE").dimension(Dimension.ETHNICITY)
    assert table.comparison_group == "White"
    assert (table.stated_total, table.not_stated, table.reference_total) == (10, 2, 4000)
    expected = {
        # group: (count, matrix share, reference share, share ratio, rate per 1,000, RRI = rate / White's 1.0)
        "Asian": (2, f(2, 10), f(800, 4000), f(1), f(2000, 800), f(2000, 800)),          # 0.2 / 0.2; 2/800*1000 = 2.5
        "Black": (5, f(5, 10), f(600, 4000), f(10, 3), f(5000, 600), f(5000, 600)),      # 0.5 / 0.15; 5/600*1000 = 8.33
        "Mixed": (1, f(1, 10), f(200, 4000), f(2), f(5), f(5)),                          # 0.1 / 0.05; 1/200*1000 = 5
        "White": (2, f(2, 10), f(2000, 4000), f(2, 5), f(1), f(1)),                      # 0.2 / 0.5; 2/2000*1000 = 1
        "Other": (0, f(0), f(400, 4000), f(0), f(0), f(0)),                              # nobody on the matrix
    }
    for group, (count, share, ref_share, ratio, rate, rri) in expected.items():
        row = table.row(group)
        assert (row.matrix_count, row.matrix_share, row.reference_share, row.share_ratio, row.rate_per_1000, row.rri) == \
            (count, share, ref_share, ratio, rate, rri), group
    assert table.row("Black").share_ratio == 3.3333333333333335 and table.row("Black").rri == 8.333333333333334
    assert table.row("White").is_comparison and not table.row("Black").is_comparison
    not_stated = table.row(NOT_STATED)
    assert not_stated.matrix_count == 2
    assert (not_stated.matrix_share, not_stated.rate_per_1000, not_stated.rri, not_stated.small_count) == (None, None, None, False)
    assert [r.group for r in table.rows] == ["Asian", "Black", "Mixed", "White", "Other", NOT_STATED]


def test_age_band_compares_with_the_largest_reference_group() -> None:
    table = compute(current_counts(), reference(), bcu="CE").dimension(Dimension.AGE_BAND)
    assert table.comparison_group == "35+"  # 2,400 of 4,000
    assert (table.stated_total, table.not_stated) == (12, 0)
    assert [r.group for r in table.rows] == list(AGE_BANDS)  # no "Not stated": a date of birth is always known
    expected = {
        # group: (matrix share, reference share, share ratio, rate per 1,000, RRI against 35+'s 2/2400*1000 = 5/6)
        "10-17": (f(3, 12), f(1, 10), f(5, 2), f(15, 2), f(9)),        # 0.25/0.1; 3/400*1000 = 7.5; 7.5/(5/6) = 9
        "18-24": (f(4, 12), f(1, 10), f(10, 3), f(10), f(12)),         # (1/3)/0.1; 4/400*1000 = 10; 10/(5/6) = 12
        "25-34": (f(3, 12), f(2, 10), f(5, 4), f(15, 4), f(9, 2)),     # 0.25/0.2; 3/800*1000 = 3.75; 4.5
        "35+": (f(2, 12), f(6, 10), f(5, 18), f(5, 6), f(1)),          # (1/6)/0.6 = 5/18; 2/2400*1000 = 5/6; 1
    }
    for group, (share, ref_share, ratio, rate, rri) in expected.items():
        row = table.row(group)
        assert (row.matrix_share, row.reference_share, row.share_ratio, row.rate_per_1000, row.rri) == \
            (share, ref_share, ratio, rate, rri), group


def test_gender_division_by_zero_gives_none_not_a_crash() -> None:
    table = compute(current_counts(), reference(), bcu="CE").dimension(Dimension.GENDER)
    assert table.comparison_group == "Female"  # 2,100 against 1,900 and 0
    assert (table.stated_total, table.not_stated) == (11, 1)
    male, female, other = table.row("Male"), table.row("Female"), table.row("Non-binary or other")
    assert male.matrix_share == f(10, 11) and female.matrix_share == f(1, 11)
    assert male.reference_share == f(1900, 4000) and female.reference_share == f(2100, 4000)
    assert male.share_ratio == f(400, 209)   # (10/11) / (19/40) = 400/209
    assert female.share_ratio == f(40, 231)  # (1/11) / (21/40) = 40/231
    assert male.rate_per_1000 == f(100, 19) and female.rate_per_1000 == f(10, 21)
    assert male.rri == f(210, 19)            # (100/19) / (10/21) = 2100/190 = 11.05...
    assert female.rri == 1.0
    # Nobody on the matrix and nobody in the reference: 0/0 everywhere it divides by the group's population.
    assert other.matrix_count == 0 and other.matrix_share == 0.0 and other.reference_share == 0.0
    assert (other.share_ratio, other.rate_per_1000, other.rri) == (None, None, None)
    assert format_ratio(other.share_ratio) == "n/a"


def test_a_dimension_without_a_reference_shows_counts_and_shares_only() -> None:
    table = compute(current_counts(), reference(), bcu="CE").dimension(Dimension.DISABILITY)
    assert table.comparison_group is None and table.reference_total is None
    disabled = table.row("Disabled")
    assert disabled.matrix_count == 3 and disabled.matrix_share == f(3, 10)
    assert (disabled.reference_population, disabled.reference_share, disabled.share_ratio, disabled.rate_per_1000,
            disabled.rri) == (None, None, None, None, None)
    assert table.row(NOT_STATED).matrix_count == 2


def test_a_comparison_group_with_nobody_on_the_matrix_gives_no_rri() -> None:
    counts = {"ethnicity": {"Black": 3, "Asian": 1}}
    table = compute(counts, reference(), bcu="CE").dimension(Dimension.ETHNICITY)
    assert table.row("White").rate_per_1000 == 0.0
    assert [table.row(g).rri for g in ("Asian", "Black", "White")] == [None, None, None]
    assert table.row("Black").share_ratio == f(3 * 4000, 4 * 600)  # shares still work: (3/4) / (600/4000) = 5


def test_an_empty_matrix_has_no_shares_and_every_group_is_small() -> None:
    table = compute({}, reference(), bcu="CE")
    assert table.matrix_total == 0
    ethnicity = table.dimension("ethnicity")
    assert all(r.matrix_share is None and r.share_ratio is None and r.small_count for r in ethnicity.stated_rows)
    assert ethnicity.row("White").reference_share == 0.5  # the reference still shows


def test_a_reference_group_of_zero_population_with_people_on_the_matrix_gives_none() -> None:
    text = REFERENCE_CSV.replace("Hackney,ethnicity,Mixed,100", "Hackney,ethnicity,Mixed,0") \
                        .replace("Tower Hamlets,ethnicity,Mixed,100", "Tower Hamlets,ethnicity,Mixed,0")
    row = compute(current_counts(), parse_reference_csv(text), bcu="CE").dimension("ethnicity").row("Mixed")
    assert row.matrix_count == 1 and row.reference_share == 0.0
    assert (row.share_ratio, row.rate_per_1000, row.rri) == (None, None, None)


def test_small_counts_are_flagged_below_five() -> None:
    table = compute(current_counts(), reference(), bcu="CE").dimension(Dimension.ETHNICITY)
    assert {r.group: r.small_count for r in table.stated_rows} == \
        {"Asian": True, "Black": False, "Mixed": True, "White": True, "Other": True}  # 5 is not small; 4 and under are
    four = compute({"ethnicity": {"Black": 4}}, reference(), bcu="CE").dimension("ethnicity").row("Black")
    assert four.small_count


def test_ties_for_the_largest_reference_group_go_to_the_first_listed() -> None:
    assert comparison_group(Dimension.GENDER, {"Female": 1000, "Male": 1000, "Non-binary or other": 5}) == "Female"
    assert comparison_group(Dimension.AGE_BAND, {"10-17": 9, "18-24": 9, "25-34": 1, "35+": 2}) == "10-17"
    assert comparison_group(Dimension.ETHNICITY, {"Asian": 9000, "Black": 1, "Mixed": 1, "White": 1, "Other": 1}) == "White"
    assert comparison_group(Dimension.DISABILITY, None) is None


def test_the_numbers_are_formatted_the_same_everywhere() -> None:
    assert (format_share(0.5), format_share(f(1, 3)), format_share(None)) == ("50.0%", "33.3%", "n/a")
    assert (format_ratio(f(10, 3)), format_ratio(0.0), format_ratio(None)) == ("3.33", "0.00", "n/a")
    assert format_rate(f(5000, 600)) == "8.33"


def test_bad_matrix_counts_are_a_programming_error() -> None:
    for counts in ({"shoe size": {"9": 1}}, {"ethnicity": {"Purple": 1}}, {"age_band": {NOT_STATED: 1}},
                   {"ethnicity": {"White": -1}}, {"ethnicity": {"White": 1.5}}):
        with pytest.raises(ValueError):
            compute(counts, reference(), bcu="CE")  # type: ignore[arg-type]


# -- over time -----------------------------------------------------------------------------------------------------------


def test_the_report_orders_the_quarters_and_ends_with_the_current_one() -> None:
    report = sample_report()
    assert report.bcu == "CE" and report.bcu_name == "Central East" and report.quarter == Quarter(2026, 3)
    assert [q for q, _t in report.trend] == [Quarter(2026, 1), Quarter(2026, 2), Quarter(2026, 3)]
    assert report.current is report.trend[-1][1]
    assert report.reference_source == "Synthetic census (test)" and report.reference_as_of == "2021-03-21"
    assert report.current.matrix_total == 12


def test_the_rri_trend_matches_the_hand_computation() -> None:
    black = sample_report().series(Dimension.ETHNICITY)["Black"]
    # Q1: (4/600) / (4/2000) = 10/3; Q2: (4/600) / (3/2000) = 40/9; Q3: (5/600) / (2/2000) = 25/3.
    assert black == [(Quarter(2026, 1), f(10, 3)), (Quarter(2026, 2), f(40, 9)), (Quarter(2026, 3), f(25, 3))]
    mixed = sample_report().series(Dimension.ETHNICITY)["Mixed"]
    assert [v for _q, v in mixed] == [f(0), f(1 * 2000, 200 * 3), f(5)]  # Q2: (1/200) / (3/2000) = 10/3
    shares = sample_report().series("ethnicity", "matrix_share")["White"]
    assert [v for _q, v in shares] == [f(4, 10), f(3, 10), f(2, 10)]


def test_additions_and_removals_are_kept_per_quarter_and_group() -> None:
    report = sample_report()
    assert [m.quarter for m in report.movements] == [Quarter(2026, 1), Quarter(2026, 2), Quarter(2026, 3)]
    q2, q3 = report.movements[1], report.movements[2]
    assert (q2.added_to("ethnicity", "Mixed"), q2.removed_from("ethnicity", "White")) == (1, 1)
    assert (q3.added_to(Dimension.ETHNICITY, "Black"), q3.removed_from(Dimension.AGE_BAND, "35+")) == (1, 1)
    assert report.movements[0].added_to("ethnicity", "Black") == 0  # nothing given: nothing moved


def test_a_quarter_given_twice_or_no_quarter_is_refused() -> None:
    with pytest.raises(ValueError):
        trend([(Quarter(2026, 1), {}), (Quarter(2026, 1), {})], reference(), bcu="CE")
    with pytest.raises(ValueError):
        build_report(bcu="CE", reference=reference(), quarters=[], counted_on=COUNTED_ON)
    with pytest.raises(ValueError):
        build_report(bcu="CE", reference=reference(), counted_on=COUNTED_ON,
                     quarters=[QuarterCounts(Quarter(2026, 1), {}, added={"ethnicity": {"Purple": 1}})])


# -- the reference CSV ---------------------------------------------------------------------------------------------------


def test_the_csv_is_read_forgivingly_where_that_is_safe() -> None:
    # A byte-order mark, Windows line ends, shuffled columns, odd case and spacing, codes for groups, blank lines.
    text = ("\ufeffPopulation,Group,Borough,Dimension\r\n"
            "1050, f ,hackney,Gender\r\n\r\n"
            '950,M,"HACKNEY",gender\r\n'
            "0,x,Hackney, GENDER \r\n"
            "7,10 - 17,Hackney,age band\r\n7,18-24,Hackney,age\r\n7,25–34,Hackney,Age band\r\n7,35+,Hackney,age_band\r\n\r\n")
    ref = parse_reference_csv(text)
    assert ref.counts[("Hackney", "gender", "Female")] == 1050
    assert ref.counts[("Hackney", "gender", "Male")] == 950
    assert ref.counts[("Hackney", "gender", "Non-binary or other")] == 0
    assert ref.counts[("Hackney", "age_band", "25-34")] == 7
    assert ref.boroughs() == ("Hackney",)


def test_the_csv_round_trips() -> None:
    ref = reference()
    again = parse_reference_csv(ref.to_csv())
    assert again.counts == ref.counts


def test_rows_typed_in_are_checked_like_the_csv() -> None:
    ref = ReferencePopulation.from_rows([("Hackney", "disability", "Disabled", 300), ("Hackney", "disability", "N", 1700)],
                                        source="typed", as_of="2026")
    assert ref.counts[("Hackney", "disability", "Not disabled")] == 1700 and ref.source == "typed"
    with pytest.raises(ValidationError, match=r"^Row 2: the population -1 is negative"):
        ReferencePopulation.from_rows([("Hackney", "disability", "Disabled", 300), ("Hackney", "disability", "N", -1)])


def _error(text: str) -> str:
    with pytest.raises(ValidationError) as caught:
        parse_reference_csv(text)
    return caught.value.message


HEADER = "borough,dimension,group,population\n"
GOOD = "Hackney,disability,Disabled,300\nHackney,disability,Not disabled,1700\n"


@pytest.mark.parametrize(("text", "message"), [
    ("", "The reference file is empty."),
    ("  \n\n \r\n", "The reference file is empty."),
    ("\ufeff", "The reference file is empty."),
    (HEADER, "The reference file has a header but no rows."),
    (HEADER + "\n\n", "The reference file has a header but no rows."),
    (GOOD, "Line 1 must be the header naming the columns borough,dimension,group,population "
           "(found 'Hackney,disability,Disabled,300')."),
    ("borough,dimension,group\n" + GOOD, "Line 1 must be the header naming the columns"),
    ("borough,dimension,group,population,notes\n" + GOOD, "Line 1 must be the header naming the columns"),
    (HEADER + "Hackny,disability,Disabled,300\n", "Line 2: unknown borough 'Hackny'"),
    (HEADER + GOOD + "Gotham,disability,Disabled,300\n", "Line 4: unknown borough 'Gotham'"),
    (HEADER + "Hack\x00ney\x1b[2J,disability,Disabled,300\n", "Line 2: unknown borough 'Hack?ney?[2J'"),  # no control codes
    (HEADER + "Hackney,religion,None,300\n", "Line 2: unknown dimension 'religion' (one of ethnicity, age_band, gender, "
                                             "disability)."),
    (HEADER + "Hackney,ethnicity,Purple,300\n", "Line 2: 'Purple' is not one of the ethnicity groups "
                                                "(Asian, Black, Mixed, White, Other)."),
    (HEADER + "Hackney,ethnicity,Not stated,300\n", "A reference population has no 'Not stated' group."),
    (HEADER + "Hackney,age_band,0-9,300\n", "Line 2: '0-9' is not one of the age_band groups (10-17, 18-24, 25-34, 35+)."),
    (HEADER + "Hackney,disability,Disabled,12.5\n", "Line 2: the population '12.5' is not a whole number."),
    (HEADER + "Hackney,disability,Disabled,many\n", "Line 2: the population 'many' is not a whole number."),
    (HEADER + "Hackney,disability,Disabled,\n", "Line 2: the population '' is not a whole number."),
    (HEADER + "Hackney,disability,Disabled,1e3\n", "Line 2: the population '1e3' is not a whole number."),
    (HEADER + "Hackney,disability,Disabled,-5\n", "Line 2: the population -5 is negative."),
    (HEADER + "Hackney,disability,Disabled,20000001\n", "Line 2: the population 20000001 is more than 20,000,000"),
    (HEADER + "Hackney,disability,Disabled," + "9" * 5000 + "\n", "Line 2: the population 99999999999999999999 is more"),
    (HEADER + GOOD + "hackney, Disability ,disabled,301\n",
     "Line 4 repeats Hackney, disability, Disabled (first given at line 2)."),
    (HEADER + "Hackney,disability,Disabled,300\n", "Hackney has disability figures but none for Not disabled: "
                                                   "give every group (0 where there are none)."),
    (HEADER + "Hackney,disability,300\n", "Line 2 has 3 values; expected 4 (borough,dimension,group,population)."),
    (HEADER + GOOD + "Hackney,disability,Disabled,300,extra\n", "Line 4 has 5 values; expected 4"),
    (HEADER + 'Hackney,"disability,Disabled,300\n', "is not valid CSV"),
])
def test_every_csv_error_is_named_and_placed(text: str, message: str) -> None:
    assert message in _error(text)


def test_a_population_of_exactly_twenty_million_is_accepted() -> None:
    ref = parse_reference_csv(HEADER + "Hackney,disability,Disabled,20000000\nHackney,disability,Not disabled,0\n")
    assert ref.counts[("Hackney", "disability", "Disabled")] == 20_000_000


def test_a_file_over_one_megabyte_is_refused_before_it_is_read() -> None:
    big = HEADER + GOOD + "#" * MAX_CSV_BYTES
    assert "larger than 1 MB" in _error(big)
    wide = HEADER + GOOD + "é" * (MAX_CSV_BYTES // 2 + 1)  # under a million characters, over a megabyte of UTF-8
    assert "larger than 1 MB" in _error(wide)


def test_a_bcu_with_figures_for_only_some_of_its_boroughs_is_refused() -> None:
    partial = parse_reference_csv(HEADER + GOOD)  # Hackney only: Tower Hamlets has no disability figures
    with pytest.raises(ValidationError, match="Central East BCU has disability figures for some of its boroughs "
                                              "but not for Tower Hamlets"):
        compute({}, partial, bcu="CE")
    with pytest.raises(ValidationError, match="Unknown BCU"):
        compute({}, partial, bcu="ZZ")
