"""A person at the keyboard: keys go to whatever has the focus, never straight to a widget a test picked.

`tab_to()` presses Tab until the focus is on the field with that accessible name (what a
screen reader says), so the tests walk the forms in their real order.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QComboBox, QDialog, QWidget

from tests.gui.accessibility import accessible_name
from tests.gui.conftest import settle

NO_MOD = Qt.KeyboardModifier.NoModifier
ANIMATED_CLICK_MS = 150


def focused() -> QWidget:
    widget = QApplication.focusWidget()
    if widget is None:
        window = QApplication.activeWindow() or _activate_as_a_window_manager_would()
        assert window is not None, "no window has the focus"
        return window.focusWidget() or window
    return widget


def _activate_as_a_window_manager_would() -> QWidget | None:
    """When a dialog closes, a desktop's window manager gives the focus back to the window under it; the
    offscreen platform has none, so nothing is active. Activate the modal dialog still open, else the
    window on top (a record window before the main window), as the window manager would."""
    shown = [w for w in QApplication.topLevelWidgets() if w.isVisible() and w.isWindow()
             and w.windowType() not in (Qt.WindowType.Popup, Qt.WindowType.ToolTip)]
    window = QApplication.activeModalWidget() or next((w for w in shown if isinstance(w, QDialog)), None) \
        or next(iter(shown), None)
    if window is not None:
        window.activateWindow()
        QTest.qWaitForWindowActive(window)
    return window


def press(key: Qt.Key, modifier: Qt.KeyboardModifier = NO_MOD, *, wait: bool = True) -> None:
    QTest.keyClick(focused(), key, modifier)
    if modifier & Qt.KeyboardModifier.AltModifier:
        QTest.qWait(ANIMATED_CLICK_MS)  # a mnemonic "animates" its button's click: clicked comes 100 ms later
    QApplication.processEvents()
    if wait:
        settle()


def type_text(text: str) -> None:
    here = focused()
    if isinstance(here, QComboBox):
        choose(here, text)
        return
    QTest.keyClicks(here, text)


def choose(combo: QComboBox, text: str) -> None:
    """Pick the first item starting with `text` with Home and Down, as a person does with the arrows.

    Typing the start of an item also works, but only while the keys come within the keyboard interval
    (400 ms): on a loaded machine a long word would be searched in pieces, so the tests use the arrows."""
    QTest.keyClick(combo, Qt.Key.Key_Home)
    for _ in range(combo.count()):
        if combo.currentText().lower().startswith(text.lower()):
            break
        QTest.keyClick(combo, Qt.Key.Key_Down)
    QApplication.processEvents()
    assert combo.currentText().lower().startswith(text.lower()), f"no item of {combo.accessibleName()!r} is {text!r}"
    QApplication.processEvents()


def tab_to(name: str, *, limit: int = 60, backwards: bool = False, kind: type[QWidget] = QWidget) -> QWidget:
    """Tab until the focus is on a `kind` of widget named `name` (a tab bar is named by its current tab)."""
    for _ in range(limit):
        here = focused()
        if accessible_name(here) == name and isinstance(here, kind):
            return here
        QTest.keyClick(here, Qt.Key.Key_Backtab if backwards else Qt.Key.Key_Tab)
        QApplication.processEvents()
    raise AssertionError(f"Tab never reached {name!r}; focus is on {accessible_name(focused())!r}")


def fill(name: str, text: str) -> None:
    """Tab to the field and type into it (in a combo box: pick the item that starts so, with the arrows)."""
    tab_to(name)
    type_text(text)
