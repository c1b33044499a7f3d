"""The quarterly review tab: everyone the BCU's review lists, the officers' recommendations and the SPOC's verdicts.

Officers (and SPOCs) recommend retain, remove or rescore with a rationale; a
focus-flagged person can be retained only with a rationale that addresses each
flag, and the dialog says which ones are still unaddressed as it is typed. The
SPOC agrees with many recommendations at once (one confirmation listing them) or
overrides one at a time, opens a review when there is none (or a new one after a
signed one), signs off with their password typed again once nobody is left
undecided (the button says how many are, and a list beside it goes to their rows),
and exports the review sheet. Every rule is the services'; this page only asks and shows the answer.
Every call runs on the session's worker; signing and exporting re-derive Argon2id,
so they show a progress line. A decision announces Change.REVIEW, and the panel
reads the review again (a sign-off also announces Change.MATRIX: the home's list
follows). A signed review never changes, so its decision buttons are disabled.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QModelIndex, QObject, QPersistentModelIndex, QSortFilterProxyModel, Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QFileDialog,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QListView,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from gvm_desktop.core.labels import people_text
from gvm_desktop.core.policy import Permission, allows
from gvm_desktop.core.review import (
    Quarter,
    ReusedRationale,
)
from gvm_desktop.core.review_views import ReviewItem, ReviewSummary
from gvm_desktop.gui.common.dialogs import FormDialog
from gvm_desktop.gui.common.file_choice import ask_save_path
from gvm_desktop.gui.common.home_base import bcu_text, panel
from gvm_desktop.gui.common.operations import Change
from gvm_desktop.gui.common.table_models import SORT_ROLE, Column, RowTableModel
from gvm_desktop.gui.common.widgets import ErrorLabel, NoCopyTable, NoticeLabel, fill_counts, heading, note
from gvm_desktop.gui.review.review_dialogs import (
    AgreeDialog,
    ExportSheetDialog,
    OverrideDialog,
    RecommendDialog,
    SignOffDialog,
)
from gvm_desktop.gui.review.review_words import (
    REVIEW_STYLE,
    decision_text,
    flags_text,
    is_undecided,
    status_of,
    verdict_text,
)

if TYPE_CHECKING:
    from gvm_desktop.core.errors import GvmError
    from gvm_desktop.core.exports import Exported
    from gvm_desktop.gui.common.home_base import HomePage
    from gvm_desktop.gui.common.operations import Result, Services, SessionOps
    from gvm_desktop.services.context import Workspace

AnyIndex = QModelIndex | QPersistentModelIndex

BAND_ORDER = {"Red": 0, "Amber": 1, "Green": 2}
FLAGGED_BACKGROUND = QColor(255, 170, 0, 56)  # a see-through amber: tints a light or dark row, the text keeps its colour


@dataclass(frozen=True)
class ReviewRead:
    """One reading of the panel: the BCU's reviews (for the quarter box), the chosen quarter's review and its people."""

    reviews: list[ReviewSummary]
    summary: ReviewSummary | None
    items: list[ReviewItem]


# -- the table --------------------------------------------------------------------------------------------------------

class ReviewItemsModel(RowTableModel[ReviewItem]):
    """Everyone in the review, as the review saw them when it opened, with what was decided."""

    columns = (
        Column[ReviewItem]("Ref", lambda i: i.ref),
        Column[ReviewItem]("Name", lambda i: i.name),
        Column[ReviewItem]("Age", lambda i: "-" if i.age is None else str(i.age), lambda i: i.age or 0, numeric=True),
        # Sort keys are plain numbers and strings: the proxy cannot compare Python tuples (they would not sort).
        Column[ReviewItem]("Harm", lambda i: f"{i.harm_band} ({i.harm_score})",
                           lambda i: BAND_ORDER.get(i.harm_band, 9) * 1_000_000 - i.harm_score),
        Column[ReviewItem]("Recommendation", lambda i: decision_text(i.recommendation)),
        Column[ReviewItem]("SPOC verdict", verdict_text),
        Column[ReviewItem]("Final decision", lambda i: decision_text(i.decision)),
        # The two long texts after the decisions, so those stay on screen in the narrowest window; both read in
        # full in the box below the table (and in each cell's tooltip).
        Column[ReviewItem]("Focus flags", lambda i: flags_text(i.flags),
                           lambda i: f"{9 - len(i.flags)} {flags_text(i.flags)}"),  # most flags first
        Column[ReviewItem]("Rationale", lambda i: i.rationale),
    )
    NAME_COLUMN = 1
    DECISION_COLUMN = 6  # the last of the columns a decision is made from
    FLAGS_COLUMN = 7
    RATIONALE_COLUMN = 8
    LONG_TEXT_WIDTH = 300  # the most the flags and the rationale take before scrolling sideways

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role == Qt.ItemDataRole.BackgroundRole and index.isValid() and index.column() == self.FLAGS_COLUMN \
                and index.row() < self.rowCount() and self.row_at(index.row()).flags:
            return FLAGGED_BACKGROUND
        return super().data(index, role)

    def row_of_ref(self, ref: str) -> int | None:
        return next((r for r in range(self.rowCount()) if self.row_at(r).ref == ref), None)


class UndecidedModel(RowTableModel[str]):
    """The references still undecided, for the list beside Sign off (a table model: wiped on lock like the rest)."""

    columns = (Column[str]("Ref", lambda ref: ref),)


class ReviewFilter(QSortFilterProxyModel):
    """Sorts on raw values and hides rows by the two filters ("focus-flagged only", "undecided only")."""

    def __init__(self, model: ReviewItemsModel, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.items = model
        self.flagged_only = False
        self.undecided_only = False
        self.setSortRole(SORT_ROLE)
        self.setSourceModel(model)

    def set_filters(self, *, flagged_only: bool, undecided_only: bool) -> None:
        # Qt 6.9 brought begin/endFilterChange (invalidating afterwards is deprecated); the 6.7 we allow lacks them.
        if not hasattr(self, "beginFilterChange"):
            self.flagged_only, self.undecided_only = flagged_only, undecided_only
            self.invalidateRowsFilter()
            return
        self.beginFilterChange()
        self.flagged_only, self.undecided_only = flagged_only, undecided_only
        self.endFilterChange()

    def filterAcceptsRow(self, source_row: int, source_parent: AnyIndex) -> bool:
        if source_row >= self.items.rowCount():
            return False
        item = self.items.row_at(source_row)
        return (not self.flagged_only or bool(item.flags)) and (not self.undecided_only or is_undecided(item))


# -- the panel --------------------------------------------------------------------------------------------------------

class ReviewPanel(QWidget):
    """The BCU's review of a chosen quarter (this one by default). Reading it is logged, so it loads when shown."""

    def __init__(self, ops: SessionOps, page: HomePage, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ops, self._page = ops, page
        role = ops.session.role
        self.can_recommend = allows(role, Permission.REVIEW_RECOMMEND)
        self.can_decide = allows(role, Permission.REVIEW_SIGN)
        self.can_export = allows(role, Permission.REVIEW_EXPORT)
        self.summary: ReviewSummary | None = None
        self.loaded = False
        self.dialog: QWidget | None = None  # the form open now, for tests and for the lock's wipe
        self.folder: Path | None = None  # where the last sheet went: the next one is offered there
        self._asked = False  # the review was asked for: a change has it read again
        self.reading = False  # a reading is on its way: showing the tab does not ask again
        self._wanted_quarter: str | None = None  # the quarter the next reading shows (the SPOC's queue asks for one)
        self._focus_after_load = False
        self.undecided: list[str] = []  # references still undecided, in the table's order as read
        self._notice_after_load: Callable[[ReviewSummary | None], str] | None = None
        self.setStyleSheet(REVIEW_STYLE)
        self.model = ReviewItemsModel(self)
        self.proxy = ReviewFilter(self.model, self)
        self._make_widgets()
        self._lay_out()
        self._connect()
        self._update_buttons()

    def _make_widgets(self) -> None:
        self.quarter_box = QComboBox(self)
        self.quarter_box.setAccessibleName("Quarter")
        self.quarter_box.setToolTip("Which quarter's review to show: this quarter, or one the BCU has reviewed")
        self.quarter_box.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)  # "2026Q4 (OVERDUE)" whole
        self.status = QLabel(self)
        self.status.setObjectName("reviewStatus")
        self.status.setAccessibleName("Review status")
        self.status.setWordWrap(True)
        self.count_labels: dict[str, QLabel] = {}
        self.flagged_only = QCheckBox("&Focus-flagged only", self)
        self.flagged_only.setToolTip("Only the people whose focus flags need a closer look")
        self.undecided_only = QCheckBox("&Undecided only", self)
        self.undecided_only.setToolTip("Only the people without a recommendation or without a SPOC verdict")
        self.shown = note("", self)
        self.table = NoCopyTable(self.proxy, self)  # names: nothing leaves for the clipboard
        self.table.setObjectName("reviewTable")
        self.table.setAccessibleName("People in the review")
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        # A handful of rows whatever else the page shows: the window's minimum grows rather than the table vanishing.
        self.table.setMinimumHeight(4 * (self.fontMetrics().height() + 8) + self.table.horizontalHeader().sizeHint().height())
        self.details = QPlainTextEdit(self)
        self.details.setReadOnly(True)
        self.details.setAccessibleName("The selected person's rationale and verdict")
        self.details.setPlaceholderText("Select a person to read their rationale and the SPOC's verdict in full")
        self.details.setMaximumHeight(90)
        self.recommend_button = self._button("&Recommend…", "Recommend retain, remove or rescore for the selected person")
        self.agree_button = self._button(
            "A&gree with recommendations…", "Agree with the recommendation of every selected person, after one "
            "confirmation listing them (Shift or Ctrl with a click or the arrow keys selects several; Ctrl+A all)")
        self.override_button = self._button("&Override…", "Replace the selected person's recommendation, with a reason")
        self.open_button = self._button("Open re&view", "Open the BCU's review of the chosen quarter")
        self.sign_button = self._button("Sig&n off…", "Sign the review with your password: its decisions are carried out")
        self.export_button = self._button("E&xport review sheet (PDF)…",
                                          "The signed review's sheet as a signed, encrypted PDF (once the review is signed)")
        self.refresh_button = self._button("Re&load", "Read the review again")
        self.undecided_title = QLabel(self)
        self.undecided_model = UndecidedModel(self)
        self.undecided_list = QListView(self)  # wraps and scrolls: a whole BCU may be undecided
        self.undecided_list.setModel(self.undecided_model)
        self.undecided_list.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.undecided_list.setObjectName("undecidedList")
        self.undecided_list.setAccessibleName("People still undecided")
        self.undecided_list.setToolTip("Click one, or press Enter on it, to go to their row")
        self.undecided_list.setFlow(QListView.Flow.LeftToRight)
        self.undecided_list.setWrapping(True)
        self.undecided_list.setResizeMode(QListView.ResizeMode.Adjust)
        self.undecided_list.setUniformItemSizes(True)
        self.undecided_list.setSpacing(2)
        # Two lines of references, then it scrolls: the table keeps the height.
        self.undecided_list.setFixedHeight(2 * (self.fontMetrics().height() + 8) + 6)
        self.undecided_title.setBuddy(self.undecided_list)
        self.notice = NoticeLabel(self)
        self.error_label = ErrorLabel(self)

    def _button(self, text: str, tip: str) -> QPushButton:
        button = QPushButton(text, self)
        button.setToolTip(tip)
        return button

    def _lay_out(self) -> None:
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 8)
        layout.setSpacing(6)
        top = QHBoxLayout()
        top.addWidget(heading(f"Quarterly review — {bcu_text(self.ops.session.bcu)}", self, level=2), 1)
        label = QLabel("Qu&arter:", self)
        label.setBuddy(self.quarter_box)
        top.addWidget(label)
        top.addWidget(self.quarter_box)
        top.addWidget(self.refresh_button)
        layout.addLayout(top)
        layout.addWidget(self._header())
        filters = QHBoxLayout()
        filters.addWidget(self.flagged_only)
        filters.addWidget(self.undecided_only)
        filters.addWidget(self.shown, 1)
        layout.addLayout(filters)
        # The actions and what they answered sit above the table, as a toolbar: never below the fold of a
        # short window, whatever the length of the list.
        layout.addLayout(self._actions())
        said = QHBoxLayout()  # one reserved line for what an action answered, good news or bad
        said.addWidget(self.notice, 1)
        said.addWidget(self.error_label, 1)
        layout.addLayout(said)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.details)
        undecided = QHBoxLayout()
        undecided.addWidget(self.undecided_title, 0, Qt.AlignmentFlag.AlignTop)
        undecided.addWidget(self.undecided_list, 1)
        layout.addLayout(undecided)

    def _header(self) -> QWidget:
        box = panel(self)
        row = QHBoxLayout(box)
        row.setContentsMargins(12, 6, 12, 6)
        row.addWidget(self.status, 1)
        grid = QGridLayout()
        self.count_labels.update(fill_counts(grid, box, (("people", "People"), ("recommended", "Recommended"),
                                                         ("decided", "Decided"), ("flagged", "Flagged"))))
        row.addLayout(grid)
        return box

    def _actions(self) -> QHBoxLayout:
        row = QHBoxLayout()
        for button in (self.recommend_button, self.agree_button, self.override_button):
            row.addWidget(button)
        row.addStretch(1)
        for button in (self.open_button, self.sign_button, self.export_button):
            row.addWidget(button)
        self.recommend_button.setVisible(self.can_recommend)
        for button in (self.agree_button, self.override_button, self.open_button, self.sign_button):
            button.setVisible(self.can_decide)
        self.export_button.setVisible(self.can_export)
        return row

    def _connect(self) -> None:
        self.quarter_box.activated.connect(lambda _i: self.load())
        self.refresh_button.clicked.connect(lambda: self.load())
        self.flagged_only.toggled.connect(lambda _on: self._filter())
        self.undecided_only.toggled.connect(lambda _on: self._filter())
        # Both: Ctrl+arrows move the current row without selecting it, and the dialogs act on the current row.
        self.table.selectionModel().selectionChanged.connect(lambda *_: self._selection_changed())
        self.table.selectionModel().currentRowChanged.connect(lambda *_: self._selection_changed())
        self.table.doubleClicked.connect(lambda _i: self.recommend() if self.recommend_button.isEnabled() else None)
        self.model.modelReset.connect(self._selection_changed)
        self.recommend_button.clicked.connect(lambda: self.recommend())
        self.agree_button.clicked.connect(lambda: self.ask_to_agree())
        self.undecided_list.activated.connect(self._go_to_undecided)
        self.undecided_list.clicked.connect(self._go_to_undecided)
        self.override_button.clicked.connect(lambda: self.override())
        self.open_button.clicked.connect(lambda: self.open_review())
        self.sign_button.clicked.connect(lambda: self.sign_off())
        self.export_button.clicked.connect(lambda: self.export_sheet())
        self.ops.changed.connect(self._changed)

    # -- reading ----------------------------------------------------------------------------------------------------

    @property
    def quarter(self) -> str:
        """The quarter chosen in the box (this quarter until the reviews are listed)."""
        return str(self.quarter_box.currentData() or self._this_quarter())

    def _this_quarter(self) -> Quarter:
        return Quarter.of(self.ops.clock.now().date())

    def load(self, *, quietly: bool = False) -> None:
        """Read the chosen quarter's review and its people (the reading is logged).

        `quietly`: a refresh after a change, which leaves the error line as it is (a change announced by
        another call does not clear a refusal shown here); a failure still shows.
        """
        self._asked = True
        self.reading = True
        chosen = self._wanted_quarter or self.quarter_box.currentData()
        self._wanted_quarter = None
        quarter = str(chosen or self._this_quarter())

        def read(s: Services, ws: Workspace) -> ReviewRead:
            reviews = s.reviews.list(ws)
            summary = s.reviews.find(ws, quarter)
            return ReviewRead(reviews, summary, [] if summary is None else s.reviews.items(ws, summary.id))

        self.ops.run(read, errors=None if quietly else self.error_label,
                     failed=self.error_label.show_error if quietly else None,
                     finished=lambda result: self._answered(result, chosen), owner=self)

    def _answered(self, result: Result[ReviewRead], chosen: object) -> None:
        self.reading = False
        read = result.value if result.ok else None
        self._list_quarters(read.reviews if read else [], chosen)
        if read is None:
            self.loaded = False  # nothing trustworthy on screen: no "open a review" on the strength of a refusal
            self._show(None, [])
            return
        self.loaded = True
        self._show(read.summary, read.items)
        if self._notice_after_load is not None:
            self.notice.setText(self._notice_after_load(read.summary))
            self._notice_after_load = None
        if self._focus_after_load:
            self._focus_after_load = False
            self._focus_first_row()

    def go_to_undecided(self, quarter: str) -> None:
        """The SPOC's queue's way in: that quarter's review, its undecided people only, the first one selected."""
        self.flagged_only.setChecked(False)
        self.undecided_only.setChecked(True)
        self._wanted_quarter = quarter
        self._focus_after_load = True
        self.load()

    def _focus_first_row(self) -> None:
        self.table.setFocus(Qt.FocusReason.OtherFocusReason)
        if self.proxy.rowCount() and self.current_item() is None:
            self.table.setCurrentIndex(self.proxy.index(0, 0))
            self.table.selectRow(0)

    def _changed(self, changes: frozenset[Change]) -> None:
        if self._asked and Change.REVIEW in changes:
            self.load(quietly=True)

    def _list_quarters(self, reviews: Sequence[ReviewSummary], chosen: object) -> None:
        """This quarter, the last one, and every quarter the BCU has a review of, newest first; the choice is kept.

        The last quarter is always offered: when it went unreviewed (the overdue banner says so), this is
        where the SPOC opens its review.
        """
        this_quarter = self._this_quarter()
        current = str(this_quarter)
        newest: dict[str, ReviewSummary] = {}
        for r in reviews:  # newest first: the first of each quarter is the one in force
            newest.setdefault(r.quarter, r)
        quarters = sorted({current, str(this_quarter.previous()), *newest}, reverse=True)
        self.quarter_box.blockSignals(True)  # refilling is not a choice to act on
        self.quarter_box.clear()
        for q in quarters:
            review = newest.get(q)
            state = ("no review" if review is None else "signed" if review.signed_at else "OVERDUE" if review.overdue
                     else "open")
            self.quarter_box.addItem(f"{q} ({state})", q)
        self.quarter_box.setCurrentIndex(max(0, self.quarter_box.findData(chosen or current)))
        self.quarter_box.blockSignals(False)

    def _show(self, summary: ReviewSummary | None, items: Sequence[ReviewItem]) -> None:
        selected = self.current_item()
        self.summary = summary
        self.model.set_rows(items)
        self._size_columns()
        self._show_status(summary)
        self._show_undecided(items if summary is not None and summary.signed_at is None else [])
        for key in ("people", "recommended", "decided", "flagged"):
            self.count_labels[key].setText("–" if summary is None else f"{getattr(summary, key):,}")
        if selected is not None:
            self.select_ref(selected.ref)
        self._filter()

    def _size_columns(self) -> None:
        """Every column as wide as its widest cell, so no name is cut short, but for the flags and the rationale:
        capped (they read in full below the table), the rationale, last, stretching into what is left. A window
        too narrow for them all scrolls sideways, the decision columns first on screen."""
        self.table.resizeColumnsToContents()
        for column in (ReviewItemsModel.FLAGS_COLUMN, ReviewItemsModel.RATIONALE_COLUMN):
            self.table.setColumnWidth(column, min(self.table.columnWidth(column), ReviewItemsModel.LONG_TEXT_WIDTH))

    def _show_undecided(self, items: Sequence[ReviewItem]) -> None:
        """Who still lacks a recommendation or a verdict (as sign-off counts them), beside the Sign off button."""
        self.undecided = [i.ref for i in items if is_undecided(i)]
        self.undecided_model.set_rows(self.undecided)
        count = len(self.undecided)
        shown = self.can_decide and count > 0
        self.undecided_title.setText(f"Still undeci&ded ({count}):" if shown else "")
        self.undecided_title.setVisible(shown)
        self.undecided_list.setVisible(shown)

    def _go_to_undecided(self, index: QModelIndex) -> None:
        if not index.isValid() or index.row() >= self.undecided_model.rowCount():
            return
        ref = self.undecided_model.row_at(index.row())
        if self.flagged_only.isChecked() and not self.select_ref(ref):
            self.flagged_only.setChecked(False)  # the filter hid them: show everyone undecided or not
        if self.select_ref(ref):
            self.table.scrollTo(self.table.currentIndex())
            self.table.setFocus(Qt.FocusReason.OtherFocusReason)

    def _show_status(self, summary: ReviewSummary | None) -> None:
        state, text = status_of(summary, self.quarter)
        if not self.loaded:
            state, text = "none", ""
        self.status.setText(text)
        self.status.setProperty("state", state)
        self.status.style().unpolish(self.status)  # the stylesheet colours it by the property
        self.status.style().polish(self.status)

    def _filter(self) -> None:
        self.proxy.set_filters(flagged_only=self.flagged_only.isChecked(), undecided_only=self.undecided_only.isChecked())
        total = self.model.rowCount()
        self.shown.setText(f"Showing {self.proxy.rowCount()} of {total}." if self.summary else "")
        self._selection_changed()

    # -- selection --------------------------------------------------------------------------------------------------

    def current_item(self) -> ReviewItem | None:
        """The person the dialogs act on: the current row, if it is selected."""
        index = self.table.currentIndex()
        if not index.isValid() or not self.table.selectionModel().isRowSelected(index.row(), QModelIndex()):
            return None
        return self.model.row_at(self.proxy.mapToSource(index).row())

    def selected_items(self) -> list[ReviewItem]:
        rows = sorted({self.proxy.mapToSource(i).row() for i in self.table.selectionModel().selectedRows()})
        return [self.model.row_at(r) for r in rows]

    def select_ref(self, ref: str) -> bool:
        source = self.model.row_of_ref(ref)
        if source is None:
            return False
        index = self.proxy.mapFromSource(self.model.index(source, 0))
        if not index.isValid():  # filtered out
            return False
        self.table.setCurrentIndex(index)
        self.table.selectRow(index.row())
        return True

    def _selection_changed(self) -> None:
        self._show_details(self.current_item())
        self._update_buttons()

    def _show_details(self, item: ReviewItem | None) -> None:
        if item is None:
            self.details.clear()
            return
        lines = [f"{item.ref} — focus flags: {flags_text(item.flags) or 'none'}"]
        if item.recommendation:
            lines.append(f"Recommended {decision_text(item.recommendation).lower()} by {item.recommended_by or 'unknown'}: "
                         f"{item.rationale}")
        if item.verdict:
            lines.append(f"{verdict_text(item)} by {item.verdict_by or 'unknown'}: final decision "
                         f"{decision_text(item.decision).lower()}" + (f". Reason: {item.override_reason}"
                                                                      if item.override_reason else ""))
        self.details.setPlainText("\n".join(lines))

    def _update_buttons(self) -> None:
        summary = self.summary
        is_open = summary is not None and summary.signed_at is None
        item = self.current_item()
        recommended = [i for i in self.selected_items() if i.recommendation is not None]
        self.recommend_button.setEnabled(self.can_recommend and is_open and item is not None)
        self.agree_button.setEnabled(self.can_decide and is_open and bool(recommended))
        self.override_button.setEnabled(self.can_decide and is_open and item is not None
                                        and item.recommendation is not None)
        undecided = len(self.undecided) if is_open else 0
        self.sign_button.setEnabled(self.can_decide and is_open and not undecided)
        self.sign_button.setText(f"Sig&n off ({undecided} undecided)" if undecided else "Sig&n off…")
        self.sign_button.setToolTip(
            f"Decide on the {people_text(undecided)} listed as still undecided first: each needs a recommendation and "
            "your verdict" if undecided else "Sign the review with your password: its decisions are carried out")
        signed = summary is not None and summary.signed_at is not None
        self.open_button.setText("Open new re&view" if signed else "Open re&view")  # a new one replaces a signed one
        self.open_button.setEnabled(self.can_decide and self.loaded and not is_open)
        self.export_button.setEnabled(self.can_export and summary is not None and summary.signed_at is not None)

    # -- deciding ---------------------------------------------------------------------------------------------------

    def _adopt(self, dialog: FormDialog, done: Callable[[], object]) -> None:
        self._page.adopt(dialog)
        dialog.accepted.connect(done)
        self.dialog = dialog
        dialog.open()

    def recommend(self) -> RecommendDialog | None:
        item, summary = self.current_item(), self.summary
        if item is None or summary is None or not self.recommend_button.isEnabled():
            return None
        dialog = RecommendDialog(self.ops, summary.id, item, self)
        self._adopt(dialog, lambda: self.notice.setText(f"Recommendation saved for {item.ref}."))
        return dialog

    def override(self) -> OverrideDialog | None:
        item, summary = self.current_item(), self.summary
        if item is None or summary is None or not self.override_button.isEnabled():
            return None
        dialog = OverrideDialog(self.ops, summary.id, item, self)
        self._adopt(dialog, lambda: self.notice.setText(f"Overridden for {item.ref}."))
        return dialog

    def ask_to_agree(self) -> AgreeDialog | None:
        """The button's way: one confirmation listing every selected reference and its recommendation; OK agrees."""
        chosen = [i for i in self.selected_items() if i.recommendation is not None]
        if self.summary is None or not chosen or not self.agree_button.isEnabled():
            return None
        dialog = AgreeDialog(chosen, self)
        self._adopt(dialog, lambda: self._agree(list(dialog.refs)))
        return dialog

    def agree(self) -> int:
        """Agree with every selected recommendation without asking (the button asks first: ask_to_agree)."""
        return self._agree([i.ref for i in self.selected_items() if i.recommendation is not None])

    def _agree(self, refs: list[str]) -> int:
        """Agree with these recommendations in one call: all of them are saved, or (on a refusal) none.

        Returns how many it sets out to agree with; the notice says how many were, once they are.
        """
        summary = self.summary
        if summary is None or not refs or not self.agree_button.isEnabled():
            return 0
        self.notice.clear()
        self.error_label.clear_message()
        review_id = summary.id

        def refused(error: GvmError) -> None:
            self.error_label.show_error(error)
            self.notice.setText(f"Nothing was saved: none of the {len(refs)} selected was agreed." if len(refs) > 1
                                else "Nothing was saved.")

        self.ops.run(lambda s, ws: s.reviews.agree_with(ws, review_id, refs), done=self._agreed, failed=refused,
                     changes={Change.REVIEW}, owner=self)
        return len(refs)

    def _agreed(self, agreed: int) -> None:
        self.notice.setText(f"Agreed with {agreed} recommendation{'s' if agreed != 1 else ''}.")

    def open_review(self) -> bool:
        """Open the chosen quarter's review (a new one, after a signed one); False if that is not offered now."""
        if not self.open_button.isEnabled():
            return False
        quarter = self.quarter
        self.ops.run(lambda s, ws: s.reviews.open(ws, quarter), done=lambda review_id: self._opened(review_id, quarter),
                     errors=self.error_label, changes={Change.REVIEW}, owner=self)
        return True

    def _opened(self, review_id: int, quarter: str) -> None:
        # Said once the review is read again (Change.REVIEW), with how many people it lists.
        self._notice_after_load = lambda summary: (
            f"Opened review {review_id} of {quarter}: {people_text(summary.people if summary else 0)} to review.")

    # -- signing and exporting ----------------------------------------------------------------------------------------

    def sign_off(self) -> None:
        """Read the service's warning about reused rationales, then ask for the password (the dialog is `self.dialog`)."""
        summary = self.summary
        # Not the button's state: it waits for the undecided, and the service refuses while any are (the dialog
        # then lists them). Only a review that can be signed at all is asked about.
        if summary is None or not self.can_decide or summary.signed_at is not None:
            return
        review_id = summary.id
        # Asked of the service before the dialog opens, so the SPOC reads it before typing the password.
        self.ops.run(lambda s, ws: s.reviews.rationale_warnings(ws, review_id),
                     done=lambda reused: self._ask_to_sign(summary, reused), errors=self.error_label, owner=self)

    def _ask_to_sign(self, summary: ReviewSummary, reused: Sequence[ReusedRationale]) -> None:
        dialog = SignOffDialog(self.ops, summary, self, reused)
        dialog.signed.connect(lambda removed: self._signed(removed, dialog.saved_to))
        self._adopt(dialog, lambda: None)

    def _signed(self, removed: int, saved_to: Path | None = None) -> None:
        original = (f" The signed original, signed with your key, was saved to {saved_to}: keep it; the vault keeps "
                    "only its fingerprint." if saved_to else
                    " No signed original was saved: later exports are copies signed by whoever makes them.")
        self.notice.setText(f"Review signed. {removed} {'person was' if removed == 1 else 'people were'} removed from "
                            f"the matrix; everyone kept has today as their last review.{original}")

    def export_sheet(self) -> QFileDialog | None:
        summary = self.summary
        if summary is None or not self.export_button.isEnabled():
            return None
        suggested = f"review-{summary.bcu}-{summary.quarter}.pdf"
        return ask_save_path(self, "Export review sheet", suggested, "PDF files (*.pdf)", "pdf",
                             lambda path: self.export_to(path), folder=self.folder,
                             on_lock=self._page.lock_requested.emit)

    def export_to(self, path: Path) -> ExportSheetDialog | None:
        """Ask for the passwords for a sheet written to `path` (chosen in the file dialog)."""
        summary = self.summary
        if summary is None:
            return None
        self.folder = path.parent
        dialog = ExportSheetDialog(self.ops, summary, path, self)
        dialog.written.connect(self._exported)
        self._adopt(dialog, lambda: None)
        return dialog

    def _exported(self, result: Exported) -> None:
        how = "encrypted with the PDF password you chose" if result.encrypted else "UNENCRYPTED, on your responsibility"
        self.notice.setText(f"Review sheet saved to {result.path} ({how}; {people_text(result.people)}, signed; "
                            f"access-log entry {result.log_seq}).")

    # -- locking ----------------------------------------------------------------------------------------------------

    def wipe(self) -> None:
        """Forget the review (the page calls this when the session locks)."""
        self.model.clear()
        self.summary = None
        self.loaded = False
        self._asked = False
        self.reading = False
        self._wanted_quarter = None
        self._focus_after_load = False
        self._show_undecided([])
        self._notice_after_load = None
        self.details.clear()
        self.notice.clear()
        self.error_label.clear_message()
        self.quarter_box.clear()
        self._show_status(None)
        for label in self.count_labels.values():
            label.setText("–")
        self.shown.clear()
        self._update_buttons()
