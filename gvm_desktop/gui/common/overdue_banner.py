"""A red banner on the SPOC's and the administrator's home: quarterly reviews that are overdue.

The service (ReviewService.overdue) names reviews whose quarter ended unsigned,
and BCUs with nobody reviewing last quarter at all. It returns BCUs, quarters
and counts, never people, so the administrator may see it too. Hidden when
nothing is overdue, so it costs no room on a good day. A change to the reviews
(Change.REVIEW: one opened or signed) has it asked again.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import groupby
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent
from PySide6.QtWidgets import QFrame, QLabel, QVBoxLayout, QWidget

from gvm_desktop.core.labels import people_text
from gvm_desktop.core.policy import Role
from gvm_desktop.core.review import Quarter
from gvm_desktop.core.review_views import OverdueReview
from gvm_desktop.gui.common.home_base import bcu_text
from gvm_desktop.gui.common.operations import Change
from gvm_desktop.gui.common.palette import current_scheme

if TYPE_CHECKING:
    from gvm_desktop.gui.common.home_base import HomePage
    from gvm_desktop.gui.common.operations import Result, SessionOps

def banner_style(text: str, background: str) -> str:
    return (f"QFrame#overdueBanner {{ background: {background}; border-radius: 4px; }}\n"
            f"QFrame#overdueBanner QLabel {{ color: {text}; background: transparent; }}\n"
            "QLabel#overdueTitle { font-size: 12pt; font-weight: bold; }\n")


def overdue_line(item: OverdueReview) -> str:
    """One BCU's overdue review in a sentence (the SPOC's banner has only their own BCU)."""
    ended = Quarter.parse(item.quarter).ends.isoformat()
    if item.review_id is None:
        return f"{bcu_text(item.bcu)}, {item.quarter}: no review was opened; {people_text(item.people)} active (ended {ended})."
    return f"{bcu_text(item.bcu)}, {item.quarter}: review {item.review_id} is not signed; {people_text(item.people)} " \
           f"(ended {ended})."


def grouped_lines(items: Sequence[OverdueReview]) -> list[str]:
    """For many BCUs (the administrator's view): one line per quarter and state, listing the BCUs."""
    lines = []
    ordered = sorted(items, key=lambda o: (o.quarter, o.review_id is None, o.bcu))
    for (quarter, never_opened), group in groupby(ordered, key=lambda o: (o.quarter, o.review_id is None)):
        members = list(group)
        state = "no review was opened" if never_opened else "opened, not signed"
        bcus = ", ".join(f"{o.bcu} ({o.people:,})" for o in members)
        lines.append(f"{quarter} (ended {Quarter.parse(quarter).ends.isoformat()}), {state}: {bcus}.")
    return lines


class OverdueBanner(QFrame):
    """load() asks the service; show_overdue() shows a list (empty: hidden); wipe() forgets it."""

    def __init__(self, ops: SessionOps, page: HomePage, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ops, self._page = ops, page
        self.items: list[OverdueReview] = []
        self.setObjectName("overdueBanner")
        self._follow_palette()
        self.setAccessibleName("Overdue quarterly reviews")
        self.title = QLabel(self)
        self.title.setObjectName("overdueTitle")
        self.text = QLabel(self)
        self.text.setWordWrap(True)
        self.text.setAccessibleName("Overdue reviews")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 8, 12, 8)
        layout.setSpacing(2)
        layout.addWidget(self.title)
        layout.addWidget(self.text)
        self.hide()
        ops.changed.connect(self._changed)

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange:
            self._follow_palette()

    def _follow_palette(self) -> None:
        # Its own look, so the banner is red wherever it is shown; the alarm pair reads on a light or dark theme.
        alarm = current_scheme().alarm
        sheet = banner_style(alarm.fg.name(), alarm.bg.name())
        if self.styleSheet() != sheet:
            self.setStyleSheet(sheet)

    def load(self, *, quietly: bool = False) -> None:
        """Ask which reviews are overdue; a refusal is shown on the page, and the banner stays hidden.
        `quietly`: a refresh after a change, which does not clear the page's error line."""
        errors = self._page.error_label
        self.ops.run(lambda s, ws: s.reviews.overdue(ws), errors=None if quietly else errors,
                     failed=errors.show_error if quietly else None, finished=self._answered, owner=self)

    def _answered(self, result: Result[list[OverdueReview]]) -> None:
        self.show_overdue(result.value or [] if result.ok else [])

    def _changed(self, changes: frozenset[Change]) -> None:
        if Change.REVIEW in changes:
            self.load(quietly=True)

    def show_overdue(self, items: Sequence[OverdueReview]) -> None:
        self.items = list(items)
        if not items:
            self.wipe()
            return
        count = len(items)
        self.title.setText(f"{count} quarterly review{'s are' if count != 1 else ' is'} overdue")
        spoc = self.ops.session.role is Role.SPOC
        grouped = not spoc and count > 3  # the administrator's dozen BCUs would not fit a line each
        lines = grouped_lines(items) if grouped else [overdue_line(o) for o in items]
        hint = ("In the Quarterly review tab, choose the quarter (open its review if there is none), decide and sign it off."
                if spoc
                else "Each BCU's SPOC opens, decides and signs its review"
                + ("; in brackets, the people to review." if grouped else "."))
        self.text.setText("\n".join([*lines, hint]))
        self.setToolTip("Every BCU reviews everyone on its matrix once a calendar quarter; these have not been signed.")
        self.show()

    def wipe(self) -> None:
        self.items = []
        self.title.clear()
        self.text.clear()
        self.hide()
