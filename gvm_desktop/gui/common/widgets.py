"""Small widgets every window shares: the demo banner, the error line, the busy bar."""

from __future__ import annotations

import math

from PySide6.QtCore import QAbstractItemModel, QAbstractProxyModel, QEvent, QObject, Qt
from PySide6.QtGui import QFontMetricsF, QKeyEvent, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QGridLayout,
    QHeaderView,
    QLabel,
    QProgressBar,
    QSizePolicy,
    QTableView,
    QWidget,
)

from gvm_desktop.gui.common.worker import error_text

DEMO_TEXT = "DEMO - synthetic data"


class DemoBanner(QLabel):
    """A loud strip so nobody mistakes demo screens (or screenshots of them) for real records."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(DEMO_TEXT, parent)
        self.setObjectName("demoBanner")
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setAccessibleName(DEMO_TEXT)


def reserve_line(label: QLabel) -> None:
    """Keep a line's room while the label is hidden, so showing a message does not move the buttons around it."""
    policy = label.sizePolicy()
    policy.setRetainSizeWhenHidden(True)
    label.setSizePolicy(policy)
    label.setMinimumHeight(label.fontMetrics().lineSpacing() + 2)  # bold (the stylesheet's) is no taller


class ErrorLabel(QLabel):
    """One line (wrapping) for a message fit for people; hidden while there is none, its line kept free."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("errorLabel")
        self.setWordWrap(True)
        reserve_line(self)
        # Selectable so a message can be read out to the help desk; never a traceback.
        self.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.hide()

    def show_message(self, message: str) -> None:
        self.setText(message)
        self.setVisible(bool(message))

    def show_error(self, exc: BaseException) -> None:
        self.show_message(error_text(exc))

    def clear_message(self) -> None:
        self.show_message("")


class NoticeLabel(QLabel):
    """A line saying what just happened (saved, exported, granted); hidden while empty, its line kept free."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("notice")
        self.setWordWrap(True)
        reserve_line(self)
        self.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)  # a path can be copied
        self.hide()

    def setText(self, text: str) -> None:
        super().setText(text)
        self.setVisible(bool(text))

    def clear(self) -> None:
        super().clear()
        self.hide()


class BusyBar(QProgressBar):
    """An indeterminate bar shown while a task runs off the GUI thread."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setRange(0, 0)  # indeterminate: we cannot know how far Argon2id has got
        self.setTextVisible(False)
        self.setMaximumHeight(8)
        self.setAccessibleName("Working")
        self.hide()

    def set_busy(self, busy: bool) -> None:
        self.setVisible(busy)


def heading(text: str, parent: QWidget | None = None, *, level: int = 1) -> QLabel:
    label = QLabel(text, parent)
    label.setObjectName("heading" if level == 1 else "subheading")
    label.setWordWrap(True)
    return label


def field_label(text: str, buddy: QWidget, parent: QWidget | None = None) -> QLabel:
    """A short label before a field ("From", "To"), never clipped.

    A label is laid out at its text's width rounded to whole pixels; drawn at 125% or 150% the glyphs can need a
    pixel or two more, and "To" showed as "Tc". The label keeps that much room, and never shrinks below it."""
    label = QLabel(text, parent)
    label.setBuddy(buddy)
    drawn = QFontMetricsF(label.font()).horizontalAdvance(label.text().replace("&", ""))
    label.setMinimumWidth(math.ceil(drawn) + label.fontMetrics().averageCharWidth() // 2 + 2)
    label.setSizePolicy(QSizePolicy.Policy.Minimum, QSizePolicy.Policy.Preferred)
    return label


def note(text: str, parent: QWidget | None = None) -> QLabel:
    """A paragraph of explanatory text."""
    label = QLabel(text, parent)
    label.setObjectName("note")
    label.setWordWrap(True)
    return label


class ReadOnlyTable(QTableView):
    """A sortable, selectable, never-editable table: the shape of every list in the app."""

    def __init__(self, model: QAbstractItemModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setModel(model)
        self.setSortingEnabled(True)
        # Start in the service's own order (the access log comes newest first); a header click sorts.
        self.horizontalHeader().setSortIndicator(-1, Qt.SortOrder.AscendingOrder)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setTabKeyNavigation(False)  # rows are whole: the arrows move between them, Tab moves on to the next field
        self.setAlternatingRowColors(True)
        self.verticalHeader().hide()
        # Dense rows: an auditor reads many lines at once.
        self.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 8)
        self.horizontalHeader().setStretchLastSection(True)
        self.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.setWordWrap(False)
        stretch = stretch_column_of(model)
        if stretch is not None:  # a name column takes the spare room, not the last one
            self.horizontalHeader().setStretchLastSection(False)
            self.filler = StretchColumn(self, stretch)


class NoCopyTable(ReadOnlyTable):
    """A read-only table that gives nothing to the clipboard: no Ctrl+C, no context menu, no drag.

    QAbstractItemView copies the current cell on Ctrl+C by itself; for personal data
    that would bypass the access log, so the key is swallowed here.
    """

    def __init__(self, model: QAbstractItemModel, parent: QWidget | None = None) -> None:
        super().__init__(model, parent)
        self.setContextMenuPolicy(Qt.ContextMenuPolicy.PreventContextMenu)
        self.setDragEnabled(False)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if is_copy_key(event):
            event.accept()
            return
        super().keyPressEvent(event)


def is_copy_key(event: QKeyEvent) -> bool:
    return event.matches(QKeySequence.StandardKey.Copy) or event.matches(QKeySequence.StandardKey.Cut)


def fill_counts(grid: QGridLayout, owner: QWidget, names: tuple[tuple[str, str], ...]) -> dict[str, QLabel]:
    """A row of big numbers with captions under them (the matrix and review headers); returns the number labels."""
    grid.setHorizontalSpacing(24)
    grid.setVerticalSpacing(0)
    labels: dict[str, QLabel] = {}
    for col, (key, name) in enumerate(names):
        value = QLabel("–", owner)
        value.setObjectName("countValue")
        value.setAlignment(Qt.AlignmentFlag.AlignCenter)
        value.setAccessibleName(f"{name} count")
        caption = QLabel(name, owner)
        caption.setObjectName("countName")
        caption.setAlignment(Qt.AlignmentFlag.AlignCenter)
        grid.addWidget(value, 0, col)
        grid.addWidget(caption, 1, col)
        labels[key] = value
    return labels


def stretch_column_of(model: QAbstractItemModel) -> int | None:
    """The column a model (or the model under its proxies) asks to stretch, if any."""
    while isinstance(model, QAbstractProxyModel) and model.sourceModel() is not None:
        model = model.sourceModel()
    asked = getattr(model, "stretch_column", None)
    return asked() if callable(asked) else None


class StretchColumn(QObject):
    """Gives one column of a table the width the others leave, and never less than its own.

    So a name is not elided beside empty space, while the other columns keep the widths they were given (by
    their contents or a sample) and can still be resized by hand; a resize of the window or of a column refits.
    """

    def __init__(self, view: QTableView, column: int) -> None:
        super().__init__(view)
        self.view, self.column = view, column
        self.least = view.horizontalHeader().sectionSize(column)
        self._filling = False
        view.viewport().installEventFilter(self)
        view.horizontalHeader().sectionResized.connect(self._resized)

    def move_to(self, column: int, least: int) -> None:
        self.column, self.least = column, least
        self.fill()

    def _resized(self, index: int, _old: int, new: int) -> None:
        if self._filling:
            return
        if index == self.column:
            self.least = new  # sized to its contents (or by hand): the floor it keeps
        self.fill()

    def fill(self) -> None:
        header = self.view.horizontalHeader()
        if not 0 <= self.column < header.count():
            return
        others = sum(header.sectionSize(i) for i in range(header.count())
                     if i != self.column and not header.isSectionHidden(i))
        width = max(self.least, self.view.viewport().width() - others)
        if header.sectionSize(self.column) != width:
            self._filling = True
            try:
                header.resizeSection(self.column, width)
            finally:
                self._filling = False

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Resize:
            self.fill()
        return False
