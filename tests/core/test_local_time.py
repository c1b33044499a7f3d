"""Times shown to a user: the workstation's zone, named; the vault's UTC read correctly whatever its form."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone

import pytest

from gvm_desktop.core.local_time import local_clock_text, local_text
from tests.support.zones import set_zone, workstation_zone


@pytest.fixture
def zone() -> Iterator[None]:
    """Run the test in another zone, and restore the workstation's after."""
    with workstation_zone():
        yield


_set_zone = set_zone


def test_london_in_winter_is_gmt_and_in_summer_bst(zone: None) -> None:
    _set_zone("Europe/London")
    assert local_text(datetime(2026, 11, 29, 22, 30, tzinfo=UTC)) == "29 Nov 2026 22:30 GMT"
    assert local_text(datetime(2026, 7, 1, 9, 5, tzinfo=UTC)) == "1 Jul 2026 10:05 BST"


def test_the_vaults_iso_text_is_read_as_utc(zone: None) -> None:
    _set_zone("Europe/London")
    assert local_text("2026-07-01T09:05:00Z") == "1 Jul 2026 10:05 BST"
    assert local_text("2026-07-01T09:05:00+00:00") == "1 Jul 2026 10:05 BST"
    # Naive text is UTC by the vault's rule, not the workstation's local time.
    assert local_text("2026-07-01T09:05:00") == "1 Jul 2026 10:05 BST"


def test_another_zone_crosses_the_date_line(zone: None) -> None:
    _set_zone("America/New_York")
    assert local_text(datetime(2026, 11, 30, 2, 15, tzinfo=UTC)) == "29 Nov 2026 21:15 EST"


def test_an_aware_time_in_another_offset_is_converted(zone: None) -> None:
    _set_zone("UTC")
    plus_two = timezone(timedelta(hours=2))
    assert local_text(datetime(2026, 11, 29, 12, 0, tzinfo=plus_two)) == "29 Nov 2026 10:00 UTC"
    assert local_clock_text(datetime(2026, 11, 29, 12, 0, tzinfo=plus_two)) == "10:00"
