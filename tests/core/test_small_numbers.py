"""Small numbers in a disproportionality report that leaves the vault: suppressed, and not given back by arithmetic.

A cell of 1 to 4 people prints "<5"; a lone suppressed cell takes the next smallest with it, so no
printed total minus the other cells gives it; "Not stated" suppressed withholds the stated total and
the shares; the comparison group suppressed withholds the RRIs; and the quarter-to-quarter identity
(end count = previous end count + added - removed) leaves a suppressed count bounded, never known.
"""

from __future__ import annotations

from datetime import date

from gvm_desktop.core.disproportionality import (
    ETHNIC_GROUPS,
    NOT_STATED,
    SMALL_NUMBER,
    SUPPRESSED,
    WITHHELD,
    Dimension,
    DisproportionalityReport,
    QuarterCounts,
    ReferencePopulation,
    build_report,
    shown_count,
    shown_movement,
    shown_net,
    shown_rri,
    shown_share,
    shown_stated_total,
    source_with_as_of,
    split_source,
    suppress_small_numbers,
)
from gvm_desktop.core.review import Quarter

Q2, Q3 = Quarter(2026, 2), Quarter(2026, 3)
BOROUGHS = ("Hackney", "Tower Hamlets")


def _reference() -> ReferencePopulation:
    rows = [(b, "ethnicity", g, 1000) for b in BOROUGHS for g in ETHNIC_GROUPS]
    rows += [(b, "age_band", g, 1000) for b in BOROUGHS for g in ("10-17", "18-24", "25-34", "35+")]
    return ReferencePopulation.from_rows(rows, source="test", as_of="2021-03-21")


def _report(ethnicity: dict[str, int], *, previous: dict[str, int] | None = None,
            added: dict[str, int] | None = None, removed: dict[str, int] | None = None) -> DisproportionalityReport:
    total = sum(ethnicity.values())
    ages = {"10-17": 0, "18-24": total // 2, "25-34": total - total // 2, "35+": 0}
    quarters = [QuarterCounts(Q3, {"ethnicity": ethnicity, "age_band": ages},
                              added={"ethnicity": added or {}}, removed={"ethnicity": removed or {}})]
    if previous is not None:
        p_total = sum(previous.values())
        quarters.insert(0, QuarterCounts(Q2, {"ethnicity": previous,
                                              "age_band": {"18-24": p_total // 2, "25-34": p_total - p_total // 2}}))
    return build_report(bcu="CE", reference=_reference(), quarters=quarters, counted_on=date(2026, 9, 30))


def test_a_cell_of_three_prints_below_five_and_the_next_smallest_goes_with_it() -> None:
    inside = _report({"Asian": 20, "Black": 30, "Mixed": 3, "White": 40, "Other": 12, NOT_STATED: 30})
    assert shown_count(inside.current.dimension(Dimension.ETHNICITY).row("Mixed")) == "3"  # the vault's own screen
    released = suppress_small_numbers(inside)
    table = released.current.dimension(Dimension.ETHNICITY)
    mixed, other = table.row("Mixed"), table.row("Other")
    assert shown_count(mixed) == SUPPRESSED == f"<{SMALL_NUMBER}" and mixed.matrix_count == 0
    assert shown_share(mixed) == WITHHELD and shown_rri(mixed) == WITHHELD
    # Secondary: with Mixed alone suppressed, the total (105 stated) less the others would give 3 back.
    assert shown_count(other) == SUPPRESSED
    shown = [r.matrix_count for r in table.stated_rows if not r.suppressed]
    assert shown_stated_total(table) == "105" and 105 - sum(shown) == 3 + 12  # only the sum of the two
    assert shown_count(table.row("White")) == "40" and shown_rri(table.row("Asian")) != WITHHELD


def test_not_stated_suppressed_withholds_the_stated_total_and_the_shares() -> None:
    released = suppress_small_numbers(_report({"Asian": 20, "Black": 30, "Mixed": 8, "White": 40, "Other": 12,
                                               NOT_STATED: 2}))
    table = released.current.dimension(Dimension.ETHNICITY)
    assert shown_count(table.row(NOT_STATED)) == SUPPRESSED and table.total_suppressed
    assert shown_stated_total(table) == WITHHELD and table.stated_total == 0
    assert all(shown_share(r) == WITHHELD for r in table.rows)
    # The cover's matrix total (112) is still printed: the stated total would have given Not stated back.
    assert released.current.matrix_total == 112


def test_the_comparison_group_suppressed_withholds_every_rri() -> None:
    released = suppress_small_numbers(_report({"Asian": 20, "Black": 30, "Mixed": 8, "White": 4, "Other": 12,
                                               NOT_STATED: 6}))
    table = released.current.dimension(Dimension.ETHNICITY)
    assert table.row("White").suppressed
    assert all(shown_rri(r) == WITHHELD for r in table.rows if r.stated)


def test_movements_are_suppressed_and_the_quarter_identity_gives_nothing_back() -> None:
    previous = {"Asian": 20, "Black": 30, "Mixed": 3, "White": 40, "Other": 12, NOT_STATED: 6}
    current = {"Asian": 20, "Black": 30, "Mixed": 8, "White": 40, "Other": 12, NOT_STATED: 6}
    released = suppress_small_numbers(_report(current, previous=previous, added={"Mixed": 5}))
    q2, q3 = (t.dimension(Dimension.ETHNICITY) for _q, t in released.trend)
    assert q2.row("Mixed").suppressed  # 3 at the end of Q2
    move = released.movements[-1]
    # Mixed: 3 + 5 added - 0 removed = 8, shown. With "+5 / -0" printed beside "8", the 3 would be known:
    # one more term of the identity is suppressed.
    cell = shown_movement(move, Dimension.ETHNICITY, "Mixed")
    assert SUPPRESSED in cell or q3.row("Mixed").suppressed
    assert shown_net(move, Dimension.ETHNICITY) == "+0"  # the age bands count everyone: the net is kept whole


def test_zeros_are_shown_and_a_report_without_small_numbers_is_unchanged() -> None:
    counts = {"Asian": 20, "Black": 30, "Mixed": 0, "White": 40, "Other": 12, NOT_STATED: 6}
    released = suppress_small_numbers(_report(counts))
    table = released.current.dimension(Dimension.ETHNICITY)
    assert shown_count(table.row("Mixed")) == "0" and not any(r.suppressed for r in table.rows)
    assert released.suppressed and suppress_small_numbers(released) is released


def test_the_date_the_figures_refer_to_travels_with_the_source() -> None:
    stored = source_with_as_of("ONS Census 2021, TS021", date(2021, 3, 21))
    assert stored == "ONS Census 2021, TS021; figures as of 2021-03-21"
    assert split_source(stored) == ("ONS Census 2021, TS021", "2021-03-21")
    assert split_source("a source loaded before the date was kept") == ("a source loaded before the date was kept", "")
