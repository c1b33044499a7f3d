"""What waits for the SPOC, at the top of their home: proposals to approve and review items to decide.

One line of buttons, each going to the place the work is done: the proposals button
lists the references waiting (Enter or a double-click opens one, after saying why, where
its Approve and Reject buttons are); a review's button opens the Quarterly review tab on
that review, its undecided people only. The counts are the services' (ChangeService.waiting,
ReviewService.waiting): references and counts, never a name. Read with the home's counts,
and again after a change to the matrix (by the home) or to a review (here).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from PySide6.QtCore import QModelIndex, Qt, Signal
from PySide6.QtWidgets import QAbstractItemView, QFrame, QHBoxLayout, QLabel, QListView, QPushButton, QVBoxLayout, QWidget

from gvm_desktop.core.review_views import ReviewWaiting
from gvm_desktop.gui.common.operations import Change
from gvm_desktop.gui.common.table_models import Column, RowTableModel
from gvm_desktop.gui.common.widgets import note

if TYPE_CHECKING:
    from gvm_desktop.gui.common.home_base import HomePage
    from gvm_desktop.gui.common.operations import Result, Services, SessionOps
    from gvm_desktop.services.context import Workspace

SEPARATOR = " · "


@dataclass(frozen=True)
class Waiting:
    """One reading of the queue: the references whose proposals wait, and the open reviews with what is left."""

    additions: tuple[str, ...]
    removals: tuple[str, ...]
    reviews: tuple[ReviewWaiting, ...]


def read_waiting(s: Services, ws: Workspace) -> Waiting:
    """The queue's call (on the session's worker): both services, in one reading."""
    proposals = s.changes.waiting(ws)
    return Waiting(proposals.additions, proposals.removals, tuple(s.reviews.waiting(ws)))


def counted(count: int, word: str) -> str:
    return f"{count:,} {word}{'' if count == 1 else 's'}"


def proposals_text(waiting: Waiting) -> str:
    """ "3 additions and 1 removal to approve"; empty when none wait."""
    parts = [counted(n, word) for n, word in ((len(waiting.additions), "addition"),
                                              (len(waiting.removals), "removal")) if n]
    return f"{' and '.join(parts)} to approve" if parts else ""


def review_text(review: ReviewWaiting, *, name_quarter: bool) -> str:
    """ "12 review items to decide", with those still waiting for a recommendation; empty when nothing is left."""
    if review.to_decide:
        text = counted(review.to_decide, "review item") + " to decide"
        if review.to_recommend:
            text += f" ({review.to_recommend:,} more await a recommendation)"
    elif review.to_recommend:
        text = counted(review.to_recommend, "review item") + f" {'awaits' if review.to_recommend == 1 else 'await'} " \
               "a recommendation"
    else:
        return ""
    if review.overdue:
        return f"{text}: the {review.quarter} review, OVERDUE"
    return f"{text} ({review.quarter})" if name_quarter else text


class ProposalsModel(RowTableModel[tuple[str, str]]):
    """(reference, "addition" or "removal"): what the proposals list shows, wiped on lock like every model."""

    columns = (Column[tuple[str, str]]("Proposal", lambda p: f"{p[0]}: {p[1]} to approve"),)


class SpocQueue(QFrame):
    """load() asks the services; the buttons go to the work; wipe() forgets it all."""

    open_requested = Signal(str)  # a reference whose proposal waits: the home opens it, asking why first
    review_requested = Signal(str)  # a quarter whose review has people left: the home shows them

    def __init__(self, ops: SessionOps, page: HomePage, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ops, self._page = ops, page
        self.waiting: Waiting | None = None
        self.listing = False  # the proposals are listed under the line (kept so across readings)
        self.setObjectName("panel")
        self.setAccessibleName("Waiting for you")
        self.title = QLabel("Waiting for you:", self)
        self.title.setObjectName("subheading")
        self.nothing = note("", self)
        self.proposals_button = self._link("proposalsButton")
        self.proposals_button.setToolTip("List the references whose proposals wait for your approval")
        self.proposals_button.clicked.connect(self.show_proposals)
        self.review_buttons: list[QPushButton] = []
        self.proposals_model = ProposalsModel(self)
        self.proposals_list = QListView(self)
        self.proposals_list.setModel(self.proposals_model)
        self.proposals_list.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.proposals_list.setObjectName("proposalsList")
        self.proposals_list.setAccessibleName("Proposals waiting for your approval")
        self.proposals_list.setToolTip("Enter or a double-click opens the record (you say why first): approve or "
                                       "reject it there")
        self.proposals_list.setMaximumHeight(6 * (self.fontMetrics().height() + 6))
        self.proposals_list.activated.connect(self._open)
        self.proposals_hint = note("Enter or a double-click opens a record, after you say why; its Approve and "
                                   "Reject buttons are there.", self)
        self._lay_out()
        self._show(None)
        ops.changed.connect(self._changed)

    def _link(self, name: str) -> QPushButton:
        button = QPushButton(self)
        button.setObjectName(name)
        button.setFlat(True)
        button.setCursor(Qt.CursorShape.PointingHandCursor)
        button.setStyleSheet("QPushButton { text-decoration: underline; font-weight: bold; padding: 2px 4px; }")
        return button

    def _lay_out(self) -> None:
        outer = QVBoxLayout(self)
        outer.setContentsMargins(12, 4, 12, 4)
        outer.setSpacing(2)
        self.line = QHBoxLayout()
        self.line.addWidget(self.title)
        self.line.addWidget(self.nothing)
        self.line.addWidget(self.proposals_button)
        self.line.addStretch(1)
        outer.addLayout(self.line)
        outer.addWidget(self.proposals_list)
        outer.addWidget(self.proposals_hint)

    # -- reading ----------------------------------------------------------------------------------------------------

    def load(self, *, quietly: bool = False) -> None:
        """Ask what waits; a refusal is said on the page. `quietly`: after a change, leaving the page's error line."""
        errors = self._page.error_label
        self.ops.run(read_waiting, errors=None if quietly else errors, failed=errors.show_error if quietly else None,
                     finished=self._answered, owner=self)

    def _answered(self, result: Result[Waiting]) -> None:
        self._show(result.value if result.ok else None)

    def _changed(self, changes: frozenset[Change]) -> None:
        # A change to the matrix has the home read everything again, this included.
        if self.waiting is not None and Change.REVIEW in changes and Change.MATRIX not in changes:
            self.load(quietly=True)

    def _show(self, waiting: Waiting | None) -> None:
        self.waiting = waiting
        for button in self.review_buttons:
            self.line.removeWidget(button)
            button.deleteLater()
        self.review_buttons = []
        text = proposals_text(waiting) if waiting else ""
        self.proposals_button.setText(text)
        self.proposals_button.setVisible(bool(text))
        self.proposals_model.set_rows([*((r, "addition") for r in waiting.additions),
                                       *((r, "removal") for r in waiting.removals)] if waiting else [])
        reviews = [r for r in (waiting.reviews if waiting else []) if review_text(r, name_quarter=False)]
        for review in reviews:
            self._add_review_button(review, name_quarter=len(reviews) > 1)
        self._show_list(self.listing and bool(text))
        self.nothing.setText("" if waiting is None or text or reviews else "Nothing is waiting for you.")
        self.nothing.setVisible(bool(self.nothing.text()))
        self.setAccessibleDescription(self.summary())

    def _add_review_button(self, review: ReviewWaiting, *, name_quarter: bool) -> None:
        button = self._link("reviewButton")
        button.setText(review_text(review, name_quarter=name_quarter))
        button.setToolTip(f"Open the {review.quarter} review on its undecided people")
        quarter = review.quarter
        button.clicked.connect(lambda: self.review_requested.emit(quarter))
        self.line.insertWidget(self.line.count() - 1, button)  # before the stretch
        self.review_buttons.append(button)

    def summary(self) -> str:
        """The line as read: "3 additions and 1 removal to approve · 12 review items to decide"."""
        shown = [self.proposals_button, *self.review_buttons]
        return SEPARATOR.join(b.text() for b in shown if b.text()) or self.nothing.text()

    # -- going to the work ------------------------------------------------------------------------------------------

    def show_proposals(self) -> None:
        """The proposals button: the references waiting, listed under the line, the first one current."""
        if not self.proposals_model.rowCount():
            return
        self._show_list(True)
        self.proposals_list.setFocus(Qt.FocusReason.OtherFocusReason)
        if not self.proposals_list.currentIndex().isValid():
            self.proposals_list.setCurrentIndex(self.proposals_model.index(0, 0))

    def _show_list(self, shown: bool) -> None:
        self.listing = shown
        self.proposals_list.setVisible(shown)
        self.proposals_hint.setVisible(shown)

    def _open(self, index: QModelIndex) -> None:
        if index.isValid() and index.row() < self.proposals_model.rowCount():
            self.open_requested.emit(self.proposals_model.row_at(index.row())[0])

    def references(self) -> Sequence[str]:
        """The references listed now, in order (additions first)."""
        return [self.proposals_model.row_at(r)[0] for r in range(self.proposals_model.rowCount())]

    def wipe(self) -> None:
        self._show(None)
        self.proposals_button.setText("")
        self.nothing.clear()
