"""The officers' and SPOCs' home: their BCU's counts, the matrix table, and the work on it
(and, for the SPOC, a Team access tab: training, grants, inactive accounts); a Quarterly
review tab for both; for the SPOC a Disproportionality tab, and above the tabs a banner of overdue
reviews and a line of what waits for them (proposals to approve, review items to decide).

Ctrl+F searches, Enter opens the selected person (after saying why), Ctrl+N
proposes a person, Ctrl+K checks someone's status. A change that touched the
matrix (Change.MATRIX, announced by the call that made it) refreshes the counts
and the list from the services; other changes leave them alone.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtGui import QAction
from PySide6.QtWidgets import QGridLayout, QHBoxLayout, QLabel, QPushButton, QTabWidget, QVBoxLayout, QWidget

from gvm_desktop.core.policy import Permission, Role, allows
from gvm_desktop.gui.admin.team_access import TeamAccessPanel
from gvm_desktop.gui.common.home_base import HomePage, bcu_text, panel
from gvm_desktop.gui.common.operations import Change
from gvm_desktop.gui.common.overdue_banner import OverdueBanner
from gvm_desktop.gui.common.shortcuts import FIND, PROPOSE, STATUS_CHECK
from gvm_desktop.gui.common.widgets import fill_counts, heading, note
from gvm_desktop.gui.matrix.matrix_panel import MatrixPanel
from gvm_desktop.gui.matrix.propose_dialog import ProposeDialog
from gvm_desktop.gui.matrix.status_check import StatusCheckDialog
from gvm_desktop.gui.record.record_flow import RecordOpener
from gvm_desktop.gui.review.disproportionality_page import DisproportionalityPage
from gvm_desktop.gui.review.review_panel import ReviewPanel
from gvm_desktop.gui.review.spoc_queue import SpocQueue

if TYPE_CHECKING:
    from gvm_desktop.core.records import MatrixOverview
    from gvm_desktop.gui.common.operations import Result, SessionOps
    from gvm_desktop.gui.importing.import_dialog import ImportDialog

STATUS_NAMES = (("proposed", "Proposed"), ("active", "Active"), ("removed", "Removed"))


class MatrixHome(HomePage):
    def __init__(self, ops: SessionOps, parent: QWidget | None = None, *, batch_size: int | None = None) -> None:
        super().__init__(ops, parent)
        self.session = ops.session
        self.can_propose = allows(self.session.role, Permission.MATRIX_EDIT)
        self.can_check = allows(self.session.role, Permission.STATUS_CHECK)
        self.matrix = MatrixPanel(ops, self.error_label, self, batch_size=batch_size)
        self.opener = RecordOpener(self)
        self.dialog: QWidget | None = None  # the propose or status-check form, while open
        self.notice = note("", self)
        self.notice.setObjectName("notice")
        self.notice.hide()  # shown only with something to say, so the table starts right under the buttons
        self.refresh_button = QPushButton("Re&load", self)
        self.propose_button = QPushButton("Propose a &person…  (Ctrl+N)", self)
        self.status_button = QPushButton("Status chec&k…  (Ctrl+K)", self)
        self.can_import = allows(self.session.role, Permission.MATRIX_IMPORT)
        self.import_button = QPushButton("Import a spr&eadsheet…", self)
        self._lay_out()
        self._add_actions()

        self.refresh_button.clicked.connect(lambda: self.load())
        self.propose_button.clicked.connect(self.propose)
        self.status_button.clicked.connect(self.status_check)
        self.import_button.clicked.connect(lambda: self.start_import())
        self.matrix.open_requested.connect(self.opener.open)
        self.opener.gone.connect(self.show_notice)
        self._connect_queue()
        ops.changed.connect(self._changed)
        self.setTabOrder(self.matrix.ref_edit, self.propose_button)
        self.setTabOrder(self.propose_button, self.status_button)
        self.setTabOrder(self.status_button, self.import_button)
        self.setTabOrder(self.import_button, self.refresh_button)

    def _lay_out(self) -> None:
        outer = QVBoxLayout(self)
        outer.setContentsMargins(8, 8, 8, 8)
        self._add_overdue_banner(outer)  # quarterly review hook (SPOC only)
        self._add_queue(outer)
        self.tabs: QTabWidget | None = QTabWidget(self)
        matrix_page = QWidget(self.tabs)
        self.tabs.addTab(matrix_page, "&Matrix")
        self.team: TeamAccessPanel | None = None
        if self.session.role is Role.SPOC:
            # The SPOC also governs who may use the matrix: a tab beside it, read only when opened.
            self.team = TeamAccessPanel(self.ops, self, self.tabs)
            self.tabs.addTab(self.team, "&Team access")
        self._add_review_tab(self.tabs)  # quarterly review hook
        self._add_disproportionality_tab(self.tabs)
        self.tabs.currentChanged.connect(lambda _i: self._tab_shown())
        outer.addWidget(self.tabs)
        layout = QVBoxLayout(matrix_page)
        layout.setContentsMargins(8, 8, 8, 8)
        layout.setSpacing(8)
        top = QHBoxLayout()
        top.addWidget(heading(f"Matrix — {bcu_text(self.session.bcu)}", self), 1)
        box = panel(self)
        grid = QGridLayout(box)
        grid.setContentsMargins(12, 4, 12, 4)
        self.count_labels: dict[str, QLabel] = fill_counts(grid, box, (*STATUS_NAMES, ("total", "Total")))
        top.addWidget(box)
        layout.addLayout(top)
        actions = QHBoxLayout()
        actions.addWidget(self.propose_button)
        actions.addWidget(self.status_button)
        actions.addWidget(self.import_button)
        actions.addStretch(1)
        actions.addWidget(self.refresh_button)
        self.propose_button.setVisible(self.can_propose)
        self.status_button.setVisible(self.can_check)
        self.import_button.setVisible(self.can_import)
        layout.addLayout(actions)
        layout.addWidget(self.notice)
        layout.addWidget(self.error_label)
        layout.addWidget(self.matrix, 1)
        layout.addWidget(note("Removed people are in no list. Double-click or press Enter on a row to open it: "
                              "you will be asked why first. Ctrl+C copies a row's reference, for 30 seconds.", self))

    # -- quarterly review hook: the review tab and the SPOC's overdue banner (review_panel.py, overdue_banner.py) --

    def _add_overdue_banner(self, outer: QVBoxLayout) -> None:
        self.overdue: OverdueBanner | None = None
        if allows(self.session.role, Permission.REVIEW_OVERDUE):
            self.overdue = OverdueBanner(self.ops, self, self)
            outer.addWidget(self.overdue)

    def _add_queue(self, outer: QVBoxLayout) -> None:
        self.queue: SpocQueue | None = None
        if allows(self.session.role, Permission.MATRIX_APPROVE) and allows(self.session.role, Permission.REVIEW_SIGN):
            self.queue = SpocQueue(self.ops, self, self)
            outer.addWidget(self.queue)

    def _connect_queue(self) -> None:
        if self.queue is not None:
            self.queue.open_requested.connect(self.opener.open)
            self.queue.review_requested.connect(self.show_review_to_decide)

    def show_review_to_decide(self, quarter: str) -> None:
        """The queue's review button: the Quarterly review tab on that quarter's review, its undecided people only."""
        if self.tabs is None:
            return
        self.review.go_to_undecided(quarter)  # asked first: showing the tab then asks nothing more
        self.tabs.setCurrentWidget(self.review)

    def _add_review_tab(self, tabs: QTabWidget) -> None:
        # Reading the review is logged (it names people), so it loads when its tab is first opened.
        self.review = ReviewPanel(self.ops, self, tabs)
        tabs.addTab(self.review, "&Quarterly review")

    # -- end of the quarterly review hook --

    def _add_disproportionality_tab(self, tabs: QTabWidget) -> None:
        # The SPOC's (not the officer's): counts of their BCU against its population. Read when first opened (logged).
        self.disproportionality: DisproportionalityPage | None = None
        if allows(self.session.role, Permission.DISPROPORTIONALITY):
            self.disproportionality = DisproportionalityPage(self.ops, self, tabs)
            tabs.addTab(self.disproportionality, "Disproportionalit&y")

    def _add_actions(self) -> None:
        """Window-wide shortcuts while this page is shown (gone with it on lock)."""
        self.find_action = QAction("Find", self)
        self.find_action.setShortcut(FIND)
        self.find_action.triggered.connect(self.matrix.focus_search)
        self.propose_action = QAction("Propose a person", self)
        self.propose_action.setShortcut(PROPOSE)
        self.propose_action.triggered.connect(self.propose)
        self.status_action = QAction("Status check", self)
        self.status_action.setShortcut(STATUS_CHECK)
        self.status_action.triggered.connect(self.status_check)
        self.propose_action.setEnabled(self.can_propose)
        self.status_action.setEnabled(self.can_check)
        self.addActions([self.find_action, self.propose_action, self.status_action])

    def _tab_shown(self) -> None:
        if self.tabs is not None and self.team is not None and self.tabs.currentWidget() is self.team \
                and not self.team.loaded:
            self.team.load()
        if self.tabs is not None and self.tabs.currentWidget() is self.review and not self.review.loaded \
                and not self.review.reading:
            self.review.load()  # quarterly review hook
        page = self.disproportionality
        if self.tabs is not None and page is not None and self.tabs.currentWidget() is page and not page.loaded:
            page.load()

    def set_busy(self, busy: bool) -> None:
        # The team tab (disabling accounts) and the review tab (sign-off, export) start background work;
        # nothing on the page may ask the vault meanwhile.
        if self.tabs is not None:
            self.tabs.setEnabled(not busy)

    # -- data -------------------------------------------------------------------

    def load(self, *, automatic: bool = False) -> None:
        """Read the counts and the list again. `automatic`: the window opening this home (at sign-in or unlock)
        asks, not the user; the service then logs the list as the automatic first view, which the six-month
        rule does not count as using the matrix. Refresh, a search, a sort and the dialogs' changes are use."""
        if self.overdue is not None:
            self.overdue.load()  # quarterly review hook; first, so the matrix's own errors are not cleared by it
        if self.queue is not None:
            self.queue.load()

        def counted(result: Result[MatrixOverview]) -> None:
            self._show(result.value if result.ok else None)
            if result.ok:  # a refused overview (the auditor's role, say) is not followed by a refused list
                self.matrix.load(automatic=automatic)

        self.ops.run(lambda s, ws: s.matrix.overview(ws), errors=self.error_label, finished=counted, owner=self)

    def _changed(self, changes: frozenset[Change]) -> None:
        if Change.MATRIX in changes:
            self.load()

    def _show(self, overview: MatrixOverview | None) -> None:
        for key, _name in STATUS_NAMES:
            self.count_labels[key].setText("–" if overview is None else f"{overview.by_status.get(key, 0):,}")
        self.count_labels["total"].setText("–" if overview is None else f"{overview.total:,}")

    def show_notice(self, text: str) -> None:
        self.notice.setText(text)
        self.notice.setVisible(bool(text))

    # -- forms ------------------------------------------------------------------

    def propose(self) -> ProposeDialog | None:
        if not self.can_propose:
            return None
        dialog = ProposeDialog(self.ops, self)
        self.adopt(dialog)
        dialog.proposed.connect(self._proposed)
        dialog.open_requested.connect(self.opener.open)
        self.dialog = dialog
        dialog.open()
        return dialog

    def _proposed(self, ref: str) -> None:
        self.show_notice(f"Proposed as {ref}. It is listed as proposed until the SPOC approves it.")

    def status_check(self) -> StatusCheckDialog | None:
        if not self.can_check:
            return None
        dialog = StatusCheckDialog(self.ops, self)
        self.adopt(dialog)
        self.dialog = dialog
        dialog.open()
        return dialog

    def start_import(self) -> ImportDialog | None:
        """The SPOC's import of a legacy spreadsheet (gui/importing); its commit announces Change.MATRIX."""
        if not self.can_import:
            return None
        # Loaded when first asked for, like the readers it calls: not at every SPOC's sign-in.
        from gvm_desktop.gui.importing.import_dialog import ImportDialog

        dialog = ImportDialog(self.ops, self)
        self.adopt(dialog)
        dialog.imported.connect(lambda n: self.show_notice(
            f"{n} people imported from a spreadsheet as proposals: approve each on corroborated evidence."))
        self.dialog = dialog
        dialog.open()
        return dialog

    def wipe(self) -> None:
        self.matrix.wipe()
        if self.team is not None:
            self.team.wipe()
        self.review.wipe()  # quarterly review hook
        if self.disproportionality is not None:
            self.disproportionality.wipe()
        if self.overdue is not None:
            self.overdue.wipe()
        if self.queue is not None:
            self.queue.wipe()
        super().wipe()
