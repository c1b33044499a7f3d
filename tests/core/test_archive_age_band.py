"""The archive's age band is the disproportionality band, in the words archive rows have always kept."""

from __future__ import annotations

from gvm_desktop.core.changes import archive_age_band
from gvm_desktop.core.disproportionality import age_band


def test_each_age_gets_the_band_of_the_analysis_worded_as_the_archive_keeps_it() -> None:
    words = {"10-17": "under 18", "18-24": "18-24", "25-34": "25-34", "35+": "35 and over"}
    assert {age: archive_age_band(age) for age in (10, 17, 18, 24, 25, 34, 35, 99)} == {
        10: "under 18", 17: "under 18", 18: "18-24", 24: "18-24", 25: "25-34", 34: "25-34", 35: "35 and over",
        99: "35 and over"}
    assert all(archive_age_band(age) == words[age_band(age)] for age in range(10, 101))
