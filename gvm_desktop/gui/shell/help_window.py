"""The user guide on screen: the role's guide, its contents beside it, Find, Save as PDF and Print.

The text is the guide's Markdown (reports/user_guide_pdf.py reads it from the package), rendered by
Qt's own Markdown reader. Sections are found by their anchors: the n-th heading Qt made is the n-th
the guide declares, so F1 can scroll to "matrix" whatever the heading says. The guide holds nothing
from the vault, so it stays open across a lock.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QAction, QGuiApplication, QKeySequence, QTextBlock, QTextCursor, QTextDocument
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSplitter,
    QTextBrowser,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from gvm_desktop.core.errors import GvmError
from gvm_desktop.gui.common.file_choice import ask_save_path, writing_to
from gvm_desktop.gui.common.screen_fit import open_fitted
from gvm_desktop.gui.common.shortcuts import FIND
from gvm_desktop.gui.common.widgets import ErrorLabel, NoticeLabel
from gvm_desktop.reports.user_guide_pdf import Section, guide_markdown, sections, shown_markdown, write_user_guide_pdf

if TYPE_CHECKING:
    from PySide6.QtPrintSupport import QPrinter

    from gvm_desktop.core.policy import Role

ANCHOR_ROLE = Qt.ItemDataRole.UserRole
TITLE = "gvm-desktop — User guide"
SHORTCUTS_ANCHOR = "shortcuts"


def pdf_name(role: Role | None) -> str:
    return f"gvm-desktop-guide-{'all-roles' if role is None else role.value}.pdf"


class HelpWindow(QWidget):
    """One role's guide (every role's for None) in a window of its own."""

    def __init__(self, role: Role | None, version: str, parent: QWidget | None = None) -> None:
        super().__init__(parent, Qt.WindowType.Window)
        self.role = role
        self.version = version
        self.setWindowTitle(TITLE)
        open_fitted(self, QSize(980, 700))
        markdown = guide_markdown(role)
        self.sections: list[Section] = sections(markdown)
        self.current_anchor: str | None = None

        self.contents = QTreeWidget(self)
        self.contents.setHeaderHidden(True)
        self.contents.setAccessibleName("Contents")
        self.browser = QTextBrowser(self)
        self.browser.setAccessibleName("User guide")
        self.browser.setOpenLinks(False)  # the guide has no links to follow; nothing leaves the window
        self.browser.setMarkdown(shown_markdown(markdown))
        self._headings: dict[str, QTextBlock] = self._find_headings()
        self._items: dict[str, QTreeWidgetItem] = self._fill_contents()

        self.find_edit = QLineEdit(self)
        self.find_edit.setAccessibleName("Find in the guide")
        self.find_edit.setPlaceholderText("Find in the guide (Ctrl+F), Enter for the next")
        self.find_button = QPushButton("Find &next", self)
        self.find_status = QLabel(self)
        self.save_button = QPushButton("&Save as PDF…", self)
        self.print_button = QPushButton("&Print…", self)
        self.close_button = QPushButton("&Close", self)
        self.notice = NoticeLabel(self)
        self.error_label = ErrorLabel(self)
        self._lay_out()
        self._add_actions()

        self.contents.currentItemChanged.connect(self._contents_chosen)
        self.find_edit.returnPressed.connect(self.find_next)
        self.find_button.clicked.connect(self.find_next)
        self.save_button.clicked.connect(self.ask_save_pdf)
        self.print_button.clicked.connect(self.ask_print)
        self.close_button.clicked.connect(self.close)

    def _lay_out(self) -> None:
        splitter = QSplitter(Qt.Orientation.Horizontal, self)
        splitter.addWidget(self.contents)
        splitter.addWidget(self.browser)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([260, 720])
        find_row = QHBoxLayout()
        find_row.addWidget(self.find_edit, 1)
        find_row.addWidget(self.find_button)
        find_row.addWidget(self.find_status)
        buttons = QHBoxLayout()
        buttons.addWidget(self.save_button)
        buttons.addWidget(self.print_button)
        buttons.addStretch(1)
        buttons.addWidget(self.close_button)
        layout = QVBoxLayout(self)
        layout.addLayout(find_row)
        layout.addWidget(splitter, 1)
        layout.addWidget(self.notice)
        layout.addWidget(self.error_label)
        layout.addLayout(buttons)

    def _add_actions(self) -> None:
        find = QAction("Find", self)
        find.setShortcut(FIND)
        find.triggered.connect(self.focus_find)
        printing = QAction("Print", self)
        printing.setShortcut(QKeySequence.StandardKey.Print)
        printing.triggered.connect(self.ask_print)
        closing = QAction("Close", self)
        closing.setShortcut(QKeySequence(Qt.Key.Key_Escape))
        closing.triggered.connect(self.close)
        for action in (find, printing, closing):
            action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        self.addActions([find, printing, closing])

    # -- sections ----------------------------------------------------------------------------------------------------

    def _find_headings(self) -> dict[str, QTextBlock]:
        """Each declared section's heading block, matched in order and by level (Qt keeps the heading level)."""
        wanted = iter(self.sections)
        found: dict[str, QTextBlock] = {}
        section = next(wanted, None)
        block = self.browser.document().begin()
        while block.isValid() and section is not None:
            if block.blockFormat().headingLevel() == section.level and block.text().strip() == section.title:
                found[section.anchor] = block
                section = next(wanted, None)
            block = block.next()
        return found

    def _fill_contents(self) -> dict[str, QTreeWidgetItem]:
        items: dict[str, QTreeWidgetItem] = {}
        parent: QTreeWidgetItem | None = None
        for section in self.sections:
            if section.level == 1 or parent is None:
                parent = item = QTreeWidgetItem(self.contents, [section.title])
            else:
                item = QTreeWidgetItem(parent, [section.title])
            item.setData(0, ANCHOR_ROLE, section.anchor)
            items[section.anchor] = item
        self.contents.expandAll()
        return items

    def anchors(self) -> list[str]:
        return list(self._headings)

    def show_topic(self, anchor: str | None) -> bool:
        """Scroll to the section `anchor` (its heading at the top) and select it in the contents; False if the
        guide has no such section (the guide then opens at its start)."""
        block = self._headings.get(anchor or "")
        if block is None:
            self.current_anchor = None
            self.browser.moveCursor(QTextCursor.MoveOperation.Start)
            self.browser.verticalScrollBar().setValue(0)
            return False
        self.current_anchor = anchor
        self.browser.setTextCursor(QTextCursor(block))
        layout = self.browser.document().documentLayout()
        self.browser.verticalScrollBar().setValue(int(layout.blockBoundingRect(block).top()))
        item = self._items.get(anchor or "")
        if item is not None and self.contents.currentItem() is not item:
            self.contents.blockSignals(True)  # choosing it here is not a request to scroll again
            self.contents.setCurrentItem(item)
            self.contents.blockSignals(False)
        return True

    def _contents_chosen(self, item: QTreeWidgetItem | None, _previous: QTreeWidgetItem | None) -> None:
        if item is not None:
            self.show_topic(item.data(0, ANCHOR_ROLE))

    def present(self, anchor: str | None) -> None:
        """Show the window (raised, focused) at `anchor`."""
        self.show()
        self.raise_()
        self.activateWindow()
        self.show_topic(anchor)
        self.browser.setFocus(Qt.FocusReason.OtherFocusReason)

    # -- find --------------------------------------------------------------------------------------------------------

    def focus_find(self) -> None:
        self.find_edit.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.find_edit.selectAll()

    def find_next(self) -> bool:
        """The next place the words appear, from the cursor on, going round to the start once."""
        words = self.find_edit.text().strip()
        if not words:
            self.find_status.clear()
            return False
        found = self.browser.find(words)
        if not found:
            self.browser.moveCursor(QTextCursor.MoveOperation.Start)
            found = self.browser.find(words)
        self.find_status.setText("" if found else "Not found")
        return found

    # -- paper -------------------------------------------------------------------------------------------------------

    def ask_save_pdf(self) -> None:
        ask_save_path(self, "Save the user guide as PDF", pdf_name(self.role), "PDF files (*.pdf)", "pdf", self.save_pdf)

    def save_pdf(self, path: Path) -> bool:
        """Write the guide's PDF. On the GUI thread: it holds no vault data and takes a fifth of a second
        (ReportLab's import included), too short for a worker to be worth its hand-over."""
        self.notice.clear()
        self.error_label.clear_message()
        QGuiApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
        try:
            writing_to(path, lambda: write_user_guide_pdf(path, self.role, version=self.version))
        except GvmError as error:
            self.error_label.show_error(error)
            return False
        finally:
            QGuiApplication.restoreOverrideCursor()
        self.notice.setText(f"Guide saved to {path}.")
        return True

    def ask_print(self) -> None:
        from PySide6.QtPrintSupport import QPrintDialog, QPrinter  # the print module loads only when asked for

        printer = QPrinter(QPrinter.PrinterMode.HighResolution)
        dialog = QPrintDialog(printer, self)
        dialog.setWindowModality(Qt.WindowModality.WindowModal)
        dialog.accepted.connect(lambda: self.print_to(printer))
        dialog.finished.connect(lambda _result: dialog.deleteLater())
        dialog.show()  # window-modal, never exec(): no nested event loop (its open() is typed as the slot form only)

    def print_to(self, printer: QPrinter) -> None:
        document: QTextDocument = self.browser.document()
        document.print_(printer)
