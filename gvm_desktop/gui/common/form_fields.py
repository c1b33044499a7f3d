"""Field helpers the forms share: code-list combos with no silent default, dates bounded by today.

A combo for a demographic code starts on "Choose…", never on the first code: a
default that nobody chose would be counted in the disproportionality figures as
if someone had. Dates come from the injected clock, not the desktop's calendar.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from datetime import date

from PySide6.QtCore import QDate, QObject, Qt, Signal
from PySide6.QtGui import QFocusEvent, QKeyEvent, QValidator
from PySide6.QtWidgets import (
    QBoxLayout,
    QComboBox,
    QDateEdit,
    QDateTimeEdit,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QToolTip,
    QVBoxLayout,
    QWidget,
)

from gvm_desktop.core.errors import ValidationError

CHOOSE = "Choose…"
NOT_ENTERED = "Not entered"
EARLIEST = date(1900, 1, 1)  # the "not entered" sentinel of a date box; no real entry is this old


def to_qdate(value: date) -> QDate:
    return QDate(value.year, value.month, value.day)


def code_combo(parent: QWidget, items: Iterable[tuple[str, str]], *, placeholder: str | None = CHOOSE,
               name: str = "") -> QComboBox:
    """Items are (code, label); the combo's data is the code, and None for the placeholder."""
    combo = QComboBox(parent)
    combo.setAccessibleName(name)
    # Sized for a short label, not the longest one (a census category is long); the list still shows it whole.
    combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
    combo.setMinimumContentsLength(18)
    if placeholder is not None:
        combo.addItem(placeholder, None)
    for code, label in items:
        combo.addItem(label, code)
    return combo


def chosen(combo: QComboBox, what: str) -> str:
    """The code chosen, or a ValidationError saying which list still needs a choice."""
    code = combo.currentData()
    if code is None:
        raise ValidationError(f"Choose the {what}.")
    return str(code)


def select_code(combo: QComboBox, code: str | None) -> None:
    combo.setCurrentIndex(max(0, combo.findData(code)))


class DateBox(QDateEdit):
    """A date typed as yyyy-mm-dd, with or without the dashes.

    Fixes to typing into a QDateEdit that starts as "Not entered":
    - the first digit starts a real date (year selected) instead of being appended to that text;
    - the date it starts from is the latest allowed (today), so a year refused as too late
      leaves a date the rules refuse, never a plausible one nobody typed;
    - unless year, month and day were all typed, leaving the box puts it back to "Not entered";
    - a dash typed just after a section filled itself and moved on does not move on again
      (which would silently put the day into the month).
    """

    _SEPARATORS = frozenset("-/.")
    _ALL = frozenset({QDateTimeEdit.Section.YearSection, QDateTimeEdit.Section.MonthSection,
                      QDateTimeEdit.Section.DaySection})

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._just_advanced = False
        self._typed: set[QDateTimeEdit.Section] | None = None  # sections typed since starting from "Not entered"

    def _not_entered(self) -> bool:
        return bool(self.specialValueText()) and self.date() == self.minimumDate()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        text = event.text()
        if text and text in self._SEPARATORS and self._just_advanced:
            self._just_advanced = False
            event.accept()
            return
        if text.isdigit() and self._not_entered():
            self.setDate(self.maximumDate())
            self.setCurrentSection(QDateTimeEdit.Section.YearSection)
            self.lineEdit().setSelection(0, 4)
            self._typed = set()
        section = self.currentSection()
        if self._typed is not None and (text.isdigit() or event.key() in (Qt.Key.Key_Up, Qt.Key.Key_Down)):
            self._typed.add(section)
        super().keyPressEvent(event)
        self._just_advanced = text.isdigit() and self.currentSection() != section

    def focusOutEvent(self, event: QFocusEvent) -> None:
        super().focusOutEvent(event)
        if self._typed is not None and not self._typed >= self._ALL:
            self.setDate(self.minimumDate())  # half a date is no date
        self._typed = None

    def focusNextPrevChild(self, next: bool) -> bool:
        # QDateEdit steps Tab through year, month and day: a digit typed after "leaving" then lands in the month
        # (2026-11-29 became 2026-01-29, and was saved). Tab leaves the field; within it, the arrows and typing move.
        return QWidget.focusNextPrevChild(self, next)


def date_box(parent: QWidget, today: date, *, empty: bool, name: str) -> QDateEdit:
    """A date no later than `today`; with `empty`, it starts as "Not entered" (the earliest date)."""
    box = DateBox(parent)
    box.setAccessibleName(name)
    box.setDisplayFormat("yyyy-MM-dd")
    box.setCalendarPopup(True)  # Alt+Down or F4 opens the calendar from the keyboard
    box.setMaximumDate(to_qdate(today))
    box.setMinimumDate(to_qdate(EARLIEST))
    if empty:
        box.setSpecialValueText(NOT_ENTERED)
        box.setDate(to_qdate(EARLIEST))
    else:
        box.setDate(to_qdate(today))
    return box


def entered_date(box: QDateEdit, what: str) -> date:
    value: date = box.date().toPython()  # type: ignore[assignment]  # PySide6 stub returns object; it is a date
    if value <= EARLIEST:
        raise ValidationError(f"Enter the {what}.")
    return value


def text_box(parent: QWidget, name: str, *, placeholder: str = "", lines: int = 3) -> QPlainTextEdit:
    box = QPlainTextEdit(parent)
    box.setAccessibleName(name)
    box.setPlaceholderText(placeholder)
    box.setTabChangesFocus(True)  # Tab moves on: a form is walked through with the keyboard
    box.setFixedHeight(box.fontMetrics().lineSpacing() * lines + 14)
    return box


def split_list(text: str) -> tuple[str, ...]:
    """'A, B,, C ' -> ('A', 'B', 'C'): aliases and gang names are typed comma-separated."""
    return tuple(part.strip() for part in text.split(",") if part.strip())


def counted(text: str) -> int:
    """A text's length as the core's `clean` counts it against a limit: NFC-normalised, trimmed."""
    return len(unicodedata.normalize("NFC", text).strip())


class LimitValidator(QValidator):
    """Refuses, whole, an edit of a line that would go over its limit (Qt's maxLength would cut a paste silently)."""

    refused = Signal(int)  # the length the refused edit would have made

    def __init__(self, limit: int, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.limit = limit

    def validate(self, text: str, pos: int) -> tuple[QValidator.State, str, int]:
        length = counted(text)
        if length > self.limit:
            self.refused.emit(length)
            return QValidator.State.Invalid, text, pos
        return QValidator.State.Acceptable, text, pos


class LimitCount(QLabel):
    """"37 / 200" for a field with a limit, kept up to date as people type.

    Nothing is ever cut silently. A line (QLineEdit) refuses an edit that would take it over the limit, whole,
    and this says so; a text box keeps everything typed or pasted, and this turns to the error colour and says
    by how much it is too long (the core's rule then refuses to save it, with the limit).
    """

    def __init__(self, box: QLineEdit | QPlainTextEdit, limit: int, parent: QWidget | None = None) -> None:
        super().__init__(parent if parent is not None else box.parentWidget())
        self.box, self.limit = box, limit
        self.setObjectName("fieldCount")
        self.setAccessibleName(f"{box.accessibleName()} length".strip())
        self.refusal = ""
        self._length = 0
        if isinstance(box, QLineEdit):
            box.setMaxLength(32767)  # Qt's own cut is silent: the validator refuses instead, and says so
            self.validator = LimitValidator(limit, box)
            self.validator.refused.connect(self._refused)
            box.setValidator(self.validator)
            box.textChanged.connect(self._typed)
        else:
            box.textChanged.connect(self._typed)
        self._typed()

    def text_of_box(self) -> str:
        return self.box.text() if isinstance(self.box, QLineEdit) else self.box.toPlainText()

    def length(self) -> int:
        return self._length

    def is_over(self) -> bool:
        return self._length > self.limit

    def _refused(self, would_be: int) -> None:
        # Called while the line holds the refused edit tentatively: the length kept is the text's before it.
        self.refusal = (f"not added: it would make {would_be:,} characters" if would_be - self._length > 1
                        else "at the limit")
        self._show()

    def _typed(self, *_args: object) -> None:
        self._length = counted(self.text_of_box())
        self.refusal = ""
        self._show()

    def _show(self) -> None:
        length = self._length
        words = f"{length:,} / {self.limit:,}"
        if length > self.limit:
            words += f" — too long by {length - self.limit:,}: shorten it to save"
        elif self.refusal:
            words += f" — {self.refusal}"
        self.setText(words)
        alarming = length > self.limit or bool(self.refusal)
        if self.property("over") != alarming:
            self.setProperty("over", alarming)  # the stylesheet's error colour (style.py)
            self.style().unpolish(self)
            self.style().polish(self)


def with_count(box: QLineEdit | QPlainTextEdit, limit: int) -> tuple[QBoxLayout, LimitCount]:
    """The field with its count beside it (a line) or under it (a text box), as one layout for a form row.

    The row's label must name the field as its buddy (`buddy_label`), so its mnemonic reaches the field."""
    parent = box.parentWidget()
    count = LimitCount(box, limit, parent)
    line = isinstance(box, QLineEdit)
    layout: QBoxLayout = QHBoxLayout() if line else QVBoxLayout()
    layout.setContentsMargins(0, 0, 0, 0)
    layout.setSpacing(6 if line else 2)
    layout.addWidget(box, 1)
    if line:
        layout.addWidget(count)
    else:
        layout.addWidget(count, 0, Qt.AlignmentFlag.AlignRight)
    # Room for the widest count it can show, so the field does not jump as the count grows.
    count.setMinimumWidth(count.fontMetrics().horizontalAdvance(f"{limit:,} / {limit:,}") + 4)
    return layout, count


def buddy_label(text: str, field: QWidget) -> QLabel:
    """A form row's label whose mnemonic (Alt+letter) moves to `field`."""
    label = QLabel(text, field.parentWidget())
    label.setBuddy(field)
    return label


def limit_line(box: QLineEdit, limit: int) -> LimitValidator:
    """For a short search or filter line with no room for a count: an edit that would go over the limit is
    refused whole (never cut, as Qt's maxLength would) and a tip under the line says so."""
    box.setMaxLength(32767)
    validator = LimitValidator(limit, box)

    def say(would_be: int) -> None:
        QToolTip.showText(box.mapToGlobal(box.rect().bottomLeft()),
                          f"Not added: it would make {would_be:,} characters; this box takes at most {limit:,}.", box)

    validator.refused.connect(say)
    box.setValidator(validator)
    return validator
