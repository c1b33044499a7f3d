"""The review sheet counts a rationale given for several people kept, on the cover and in full after the table."""

from __future__ import annotations

import re
from pathlib import Path

from gvm_desktop.core.review import Recommendation
from tests.reports.pdftools import assert_every_page, text
from tests.reports.test_review_sheet import _sheet_pdf, person, sheet

SHARED = ("Seen with the group at two stops; still active.", "SEEN WITH THE GROUP AT TWO STOPS, STILL ACTIVE",
          "seen with the group at two stops -- still active!")


def test_the_sheet_prints_how_many_people_share_a_rationale(tmp_path: Path) -> None:
    people = [person(i, rationale=SHARED[i % 3]) for i in range(3)]
    # A fourth with the same words is being removed: a removal's rationale is not counted.
    people.append(person(3, rationale=SHARED[0], recommendation=Recommendation.REMOVE, outcome=Recommendation.REMOVE))
    people += [person(i) for i in range(4, 9)]  # their own rationales
    pdf = _sheet_pdf(tmp_path / "shared.pdf", sheet(people))
    assert_every_page(pdf)
    cover = text(pdf, page=1)
    assert re.search(r"^Same rationale\s+People$", cover, re.MULTILINE)
    assert re.search(r"^1 rationale\s+3$", cover, re.MULTILINE)
    flat = " ".join(text(pdf, layout=False).split())
    assert "Rationales given for 3 or more people: 1" in flat
    assert ("The same rationale was given for 3 people: SYN-00000, SYN-00001, SYN-00002. "
            f"The rationale: “{SHARED[0]}”") in flat


def test_no_shared_rationale_is_said_as_such(tmp_path: Path) -> None:
    pdf = _sheet_pdf(tmp_path / "own.pdf", sheet([person(i) for i in range(6)]))
    assert re.search(r"^none\s+0$", text(pdf, page=1), re.MULTILINE)
    assert "Rationales given for 3 or more people: 0 none" in " ".join(text(pdf, layout=False).split())
