"""The application's stylesheet, generated from the palette's scheme: rules by object name, nothing global.

Kept in code (not a resource file) so a packaged build can never run without it. Every colour
comes from `palette.Scheme`, so a dark desktop theme gets a dark-fit stylesheet;
`install_style` sets it and sets it again whenever the application palette changes.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QApplication

from gvm_desktop.gui.common.palette import LIGHT_PALETTE, Pair, Scheme, current_scheme, scheme_for


def _c(colour: QColor) -> str:
    return colour.name()


def _boxed(selector: str, pair: Pair, extra: str = "") -> str:
    return f"{selector} {{ color: {_c(pair.fg)}; background: {_c(pair.bg)}; border: 1px solid {_c(pair.border)}; " \
           f"{extra} }}\n"


def stylesheet(s: Scheme) -> str:
    """The whole application stylesheet for one scheme."""
    rules = f"""
QLabel#demoBanner {{ background: {_c(s.alarm.bg)}; color: {_c(s.alarm.fg)}; font-weight: bold; padding: 6px;
    border-radius: 3px; }}
QLabel#errorLabel {{ color: {_c(s.error)}; font-weight: bold; }}
QLabel#validationHint {{ color: {_c(s.muted)}; }}
QLabel#validationHint[invalid="true"] {{ color: {_c(s.error)}; }}
QLabel#fieldCount {{ color: {_c(s.muted)}; }}
QLabel#fieldCount[over="true"] {{ color: {_c(s.error)}; font-weight: bold; }}
QLabel#heading {{ font-size: 16pt; font-weight: bold; }}
QLabel#subheading {{ font-size: 12pt; font-weight: bold; }}
QLabel#note {{ color: {_c(s.muted)}; }}
QLabel#matrixSummary {{ color: {_c(s.muted)}; }}
QFrame#userHeader {{ background: {_c(s.header.bg)}; border-bottom: 1px solid {_c(s.header.border)}; }}
QFrame#userHeader QLabel {{ color: {_c(s.header.fg)}; background: transparent; }}
QLabel#userName {{ font-size: 13pt; font-weight: bold; }}
QFrame#panel {{ border: 1px solid {_c(s.panel.border)}; border-radius: 4px; background: {_c(s.panel.bg)}; }}
QLabel#countValue {{ color: {_c(s.text)}; font-size: 22pt; font-weight: bold; }}
QLabel#countName {{ color: {_c(s.muted)}; }}
QFrame#placeholder {{ border: 1px dashed {_c(s.border)}; border-radius: 4px; }}
QLabel#confirmNames {{ font-weight: bold; padding: 4px 0px 4px 8px; }}
QLabel#undecidedRefs {{ font-weight: bold; padding: 4px 0px 4px 8px; }}
"""
    boxes = [
        _boxed('QLabel#verifyResult[state="intact"]', s.good, "border-radius: 3px; padding: 4px 8px; font-weight: bold;"),
        _boxed('QLabel#verifyResult[state="broken"]', s.alarm, "border-radius: 3px; padding: 4px 8px; font-weight: bold;"),
        _boxed("QLabel#noVault", s.warning, "padding: 8px;"),
        _boxed('QLabel#reviewStatus[state="overdue"]', s.alarm),
        _boxed('QLabel#reviewStatus[state="signed"]', s.good),
        _boxed('QLabel#reviewStatus[state="open"]', s.info),
        f'QLabel#reviewStatus[state="none"] {{ color: {_c(s.muted)}; }}\n',
        _boxed("QLabel#reusedRationale", s.warning, "padding: 4px 8px;"),
        *(_boxed(f'QLabel#band[band="{band}"]', pair, "padding: 4px 10px; border-radius: 3px; font-weight: bold;")
          for band, pair in s.bands.items()),
    ]
    return rules + "".join(boxes)


# For a caller that sets the stylesheet itself: the light theme's. `install_style` follows the palette instead.
STYLESHEET = stylesheet(scheme_for(LIGHT_PALETTE))


class _StyleFollower(QObject):
    """Sets the application stylesheet again when the palette changes (a desktop switched to dark, say)."""

    def __init__(self, app: QApplication) -> None:
        super().__init__(app)
        self._app = app

    def apply(self) -> None:
        sheet = stylesheet(current_scheme())
        if self._app.styleSheet() != sheet:  # setting it repolishes every widget: only when it changed
            self._app.setStyleSheet(sheet)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self._app and event.type() in (QEvent.Type.ApplicationPaletteChange,
                                                     QEvent.Type.PaletteChange):
            self.apply()
        return False


def install_style(app: QApplication) -> QObject:
    """Set the stylesheet for the palette now, and follow every later change of the application palette.

    Returns what follows the palette (installed once per application; deleting it stops the following)."""
    follower = app.findChild(_StyleFollower)
    if follower is None:
        follower = _StyleFollower(app)
        app.installEventFilter(follower)
    follower.apply()
    return follower
