"""What a screen-reader user and a keyboard-only user meet on a page or dialog.

`unnamed()` lists the interactive widgets whose accessible name (what Qt's
accessibility bridge reads out: the accessible name, else the button's text, else
a label's buddy text) is empty. `unreachable()` presses Tab the way a person
would, from the first widget, round the whole page, and lists the interactive
widgets focus never landed on, and any widget that kept the focus on Tab (a trap:
a text box that types a tab character, a table whose cells swallow Tab).
"""

from __future__ import annotations

import re

from PySide6.QtCore import Qt
from PySide6.QtGui import QAccessible
from PySide6.QtTest import QTest
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QAbstractSlider,
    QAbstractSpinBox,
    QApplication,
    QComboBox,
    QLabel,
    QLineEdit,
    QMainWindow,
    QPlainTextEdit,
    QRadioButton,
    QTabBar,
    QTextEdit,
    QWidget,
)

MNEMONIC = re.compile(r"&(\w)")
INTERACTIVE = (QAbstractButton, QAbstractItemView, QAbstractSpinBox, QComboBox, QLineEdit, QPlainTextEdit,
               QTextEdit, QAbstractSlider, QTabBar)


def describe(widget: QWidget) -> str:
    text = widget.text() if isinstance(widget, (QAbstractButton, QLineEdit)) else ""
    return f"{type(widget).__name__}(objectName={widget.objectName()!r}, text={text!r})"


def interactive(root: QWidget) -> list[QWidget]:
    """The widgets a person can act on that are shown on `root` now (hidden tabs' pages are not)."""
    found: list[QWidget] = []
    for widget in root.findChildren(QWidget):
        if not isinstance(widget, INTERACTIVE) or not widget.isVisibleTo(root) or not widget.isEnabled():
            continue
        if _inner_part(widget):
            continue
        if isinstance(widget, QTextEdit) and widget.isReadOnly() and widget.focusPolicy() == Qt.FocusPolicy.NoFocus:
            continue  # text shown, not a field
        found.append(widget)
    return found


def _inner_part(widget: QWidget) -> bool:
    """A widget Qt builds inside another (a scroll bar, a spin box's line edit, a table's corner button)."""
    parent = widget.parentWidget()
    while parent is not None:
        if isinstance(parent, (QAbstractSpinBox, QComboBox, QAbstractItemView)):
            return True
        parent = parent.parentWidget()
    if isinstance(widget, QAbstractSlider) and widget.parentWidget() is not None \
            and widget.parentWidget().objectName().startswith("qt_scrollarea"):
        return True
    return widget.objectName().startswith("qt_")


VALUE_NAMED = (QComboBox, QLineEdit, QAbstractSpinBox, QPlainTextEdit, QTextEdit)


def accessible_name(widget: QWidget) -> str:
    """The name set for it, else its label's (a QLabel whose buddy it is), else what Qt's bridge says.

    On Linux a combo box's or a field's bridge "name" is its value (the label travels as a relation), so for
    those only a set name or a buddy label counts: a field named by its own content is unnamed.
    """
    name = widget.accessibleName()
    if not name:
        window = widget.window()
        name = next((label.text() for label in window.findChildren(QLabel) if label.buddy() is widget), "")
    if not name and not isinstance(widget, VALUE_NAMED):
        face = QAccessible.queryAccessibleInterface(widget)
        name = face.text(QAccessible.Text.Name) if face is not None else ""
    return name.replace("&", "").strip()


def unnamed(root: QWidget) -> list[str]:
    return [describe(w) for w in interactive(root) if not accessible_name(w)]


def unreachable(root: QWidget, *, start: QWidget | None = None) -> list[str]:
    """Interactive widgets Tab never reaches from `start` (default: the first in the focus chain), and traps."""
    wanted = interactive(root)
    if not wanted:
        return []
    window = root.window()
    window.activateWindow()
    QApplication.processEvents()
    first = start or next((w for w in wanted if w.focusPolicy() & Qt.FocusPolicy.TabFocus), wanted[0])
    first.setFocus(Qt.FocusReason.TabFocusReason)
    QApplication.processEvents()
    seen: list[QWidget] = []
    problems: list[str] = []
    for _ in range(3 * len(wanted) + 20):
        here = QApplication.focusWidget()
        if here is None:
            problems.append("focus left the window")
            break
        if here not in seen:
            seen.append(here)
        QTest.keyClick(here, Qt.Key.Key_Tab)
        QApplication.processEvents()
        after = QApplication.focusWidget()
        if after is here and len(wanted) > 1:  # alone on the page, Tab has nowhere else to go
            trap = f"Tab stays in {describe(here)}"
            if trap not in problems:
                problems.append(trap)
            # Go on from the next widget that takes focus, as if the trap had let go.
            _focus_after(here)
            after = QApplication.focusWidget()
        if after is first and len(seen) > 1:
            break
    reached = set(seen)
    for widget in wanted:
        if widget in reached or any(_inside(f, widget) for f in reached) or _radio_sibling_reached(widget, reached):
            continue
        problems.append(f"not reached by Tab: {describe(widget)}")
    return problems


def _radio_sibling_reached(widget: QWidget, reached: set[QWidget]) -> bool:
    """Tab stops once in a group of radio buttons and the arrows choose within it: one reached is all reached."""
    if not isinstance(widget, QRadioButton):
        return False
    group = widget.group()
    return any(isinstance(r, QRadioButton) and (r.group() is group if group is not None
                                                 else r.parentWidget() is widget.parentWidget()) for r in reached)


def _focus_after(widget: QWidget) -> None:
    candidate = widget.nextInFocusChain()
    while candidate is not widget:
        if (candidate.focusPolicy() & Qt.FocusPolicy.TabFocus and candidate.isVisible() and candidate.isEnabled()
                and not widget.isAncestorOf(candidate)):
            candidate.setFocus(Qt.FocusReason.TabFocusReason)
            QApplication.processEvents()
            return
        candidate = candidate.nextInFocusChain()


def _inside(focused: QWidget, widget: QWidget) -> bool:
    parent = focused.parentWidget()
    while parent is not None:
        if parent is widget:
            return True
        parent = parent.parentWidget()
    return False


def mnemonics(window: QWidget) -> dict[str, list[str]]:
    """Alt+letter keys on show in `window` (its menu bar, tab bars, buttons and labels' buddies), by letter."""
    texts: list[str] = []
    if isinstance(window, QMainWindow):
        texts += [action.text() for action in window.menuBar().actions() if action.isVisible()]
    for bar in window.findChildren(QTabBar):
        if bar.isVisibleTo(window):
            texts += [bar.tabText(i) for i in range(bar.count()) if bar.isTabEnabled(i) and bar.isTabVisible(i)]
    texts += [b.text() for b in window.findChildren(QAbstractButton) if b.isVisibleTo(window) and not _inner_part(b)]
    texts += [label.text() for label in window.findChildren(QLabel)
              if label.buddy() is not None and label.isVisibleTo(window)]
    found: dict[str, list[str]] = {}
    for text in texts:
        match = MNEMONIC.search(text.replace("&&", ""))
        if match:
            found.setdefault(match.group(1).lower(), []).append(text)
    return found


def clashing_mnemonics(window: QWidget) -> list[str]:
    """Letters two things on show answer to: Alt+letter then only moves between them, pressing neither."""
    return [f"Alt+{letter.upper()}: {', '.join(repr(t) for t in texts)}"
            for letter, texts in mnemonics(window).items() if len(texts) > 1]
