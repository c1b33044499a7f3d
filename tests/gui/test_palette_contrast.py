"""Every role's window is readable in a light and a dark palette: WCAG AA (4.5:1), measured on the rendered pixels.

For each text checked (the header's name and details, the counts and their captions, hint lines, an error line,
the demo banner, the Red/Amber/Green cells) the window is grabbed as it is painted; the background is the colour
most of the text's box is painted in, and two ratios must reach 4.5: the text colour the widget was given against
that background, and the strongest pixel actually drawn in the box against it (so text painted in some other colour
than the one set, or not painted at all, fails too).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator

import pytest
from PySide6.QtCore import QRect, Qt
from PySide6.QtGui import QColor, QImage, QPalette
from PySide6.QtWidgets import QApplication, QLabel, QTableView, QWidget
from pytestqt.qtbot import QtBot

from gvm_desktop.core.policy import Role
from gvm_desktop.gui.common.home_base import HomePage
from gvm_desktop.gui.common.palette import AA, contrast_ratio, scheme_for
from gvm_desktop.gui.common.style import install_style
from gvm_desktop.gui.matrix.matrix_model import BAND_ROLE
from gvm_desktop.gui.shell.main_window import MainWindow
from tests.gui.conftest import settle

Opener = Callable[[Role], MainWindow]
ROLES = (Role.OFFICER, Role.SPOC, Role.AUDITOR, Role.ADMIN, Role.PARTNER)
ERROR_TEXT = "Synthetic error line, shown for the contrast test"


def dark_palette() -> QPalette:
    """A dark palette as Fusion's dark scheme builds it."""
    palette = QPalette()
    for role, colour in (("Window", "#353535"), ("WindowText", "#ffffff"), ("Base", "#2a2a2a"),
                         ("AlternateBase", "#424242"), ("Text", "#ffffff"), ("Button", "#353535"),
                         ("ButtonText", "#ffffff"), ("BrightText", "#ff0000"), ("Highlight", "#2a82da"),
                         ("HighlightedText", "#ffffff"), ("PlaceholderText", "#8c8c8c"), ("Light", "#505050"),
                         ("Midlight", "#454545"), ("Mid", "#5a5a5a"), ("Dark", "#232323"), ("Shadow", "#141414"),
                         ("ToolTipBase", "#353535"), ("ToolTipText", "#ffffff"), ("Link", "#56a0ff")):
        palette.setColor(getattr(QPalette.ColorRole, role), QColor(colour))
    return palette


@pytest.fixture(params=["light", "dark"])
def themed(request: pytest.FixtureRequest, qapp: QApplication) -> Iterator[str]:
    """The application in a light or dark palette, with the stylesheet following it as the application sets it."""
    before, sheet = QApplication.palette(), qapp.styleSheet()
    follower = install_style(qapp)
    if request.param == "dark":
        QApplication.setPalette(dark_palette())
    assert scheme_for(QApplication.palette()).dark is (request.param == "dark")
    yield request.param
    qapp.removeEventFilter(follower)
    follower.setParent(None)  # gone at once: the next test installs its own
    QApplication.setPalette(before)
    qapp.setStyleSheet(sheet)


def _box(widget: QWidget, window: QWidget, image: QImage, rect: QRect | None = None) -> QRect:
    """Where `widget` (or `rect` in its coordinates) is in the grabbed image's pixels."""
    area = rect if rect is not None else widget.rect()
    top_left = widget.mapTo(window, area.topLeft())
    ratio = image.devicePixelRatio()
    return QRect(int(top_left.x() * ratio), int(top_left.y() * ratio), int(area.width() * ratio),
                 int(area.height() * ratio)).intersected(image.rect())


def _pixels(image: QImage, box: QRect) -> list[QColor]:
    return [image.pixelColor(x, y) for y in range(box.top(), box.bottom() + 1)
            for x in range(box.left(), box.right() + 1)]


def measured(image: QImage, box: QRect, text: QColor) -> tuple[QColor, float, float]:
    """(background painted, ratio of the text colour set, ratio of the strongest pixel drawn) in `box`."""
    pixels = _pixels(image, box)
    assert pixels, "nothing rendered there"
    background = QColor(Counter(p.rgb() for p in pixels).most_common(1)[0][0])
    strongest = max(pixels, key=lambda p: contrast_ratio(p, background))
    return background, contrast_ratio(text, background), contrast_ratio(strongest, background)


def label_problems(what: str, label: QLabel, window: QWidget, image: QImage) -> list[str]:
    text = label.palette().color(label.foregroundRole())
    background, set_ratio, drawn_ratio = measured(image, _box(label, window, image), text)
    if min(set_ratio, drawn_ratio) >= AA:
        return []
    return [f"{what} {label.text()[:30]!r}: {text.name()} on {background.name()} is {set_ratio:.2f}:1, "
            f"drawn {drawn_ratio:.2f}:1"]


def shown(labels: list[QLabel], window: QWidget) -> list[QLabel]:
    return [lb for lb in labels if lb.isVisibleTo(window) and lb.text().strip() and lb.width() > 0 and lb.height() > 0
            and lb.visibleRegion().boundingRect().contains(lb.rect())]


def band_problems(table: QTableView, window: QWidget, image: QImage) -> tuple[int, list[str]]:
    model = table.model()
    problems, seen = [], 0
    rows = table.rowAt(table.viewport().height() - 1)
    for row in range(min(model.rowCount(), rows if rows >= 0 else model.rowCount())):
        for col in range(model.columnCount()):
            index = model.index(row, col)
            band = index.data(BAND_ROLE)
            if band is None:
                continue
            seen += 1
            fill = index.data(Qt.ItemDataRole.BackgroundRole)
            text = index.data(Qt.ItemDataRole.ForegroundRole)
            box = _box(table.viewport(), window, image, table.visualRect(index).adjusted(1, 1, -1, -1))
            background, set_ratio, drawn_ratio = measured(image, box, text)
            if background.rgb() != QColor(fill).rgb():
                problems.append(f"{band} cell painted {background.name()}, not its band colour {QColor(fill).name()}")
            if min(set_ratio, drawn_ratio, contrast_ratio(text, fill)) < AA:
                problems.append(f"{band} cell: {text.name()} on {background.name()} is {set_ratio:.2f}:1, "
                                f"drawn {drawn_ratio:.2f}:1")
    return seen, problems


@pytest.mark.parametrize("role", ROLES, ids=lambda r: r.value)
def test_each_roles_window_reads_at_aa_in_light_and_dark(qtbot: QtBot, open_main: Opener, themed: str,
                                                         role: Role) -> None:
    window = open_main(role)
    window.resize(1280, 900)
    home = window.stack.currentWidget()
    assert isinstance(home, HomePage)
    home.error_label.show_message(ERROR_TEXT)
    settle()
    table = window.findChild(QTableView, "matrixTable")
    if table is not None and table.isVisibleTo(window):
        table.selectionModel().clearSelection()  # a selected row is painted in the highlight, not its band
        table.setCurrentIndex(table.model().index(-1, -1))
    qtbot.wait(50)
    image = window.grab().toImage()

    header = [window.header.name_label, window.header.details_label]
    assert window.demo_banner is not None
    checks: list[tuple[str, list[QLabel]]] = [
        ("header", header),
        ("demo banner", [window.demo_banner]),
        ("count", shown([lb for lb in window.findChildren(QLabel) if lb.objectName() in ("countValue", "countName")],
                        window)),
        ("hint", shown([lb for lb in window.findChildren(QLabel)
                        if lb.objectName() in ("note", "validationHint", "fieldCount", "matrixSummary")], window)),
        ("error line", [home.error_label]),
    ]
    problems = [p for what, labels in checks for label in labels for p in label_problems(what, label, window, image)]
    assert shown([*header, home.error_label], window) == [*header, home.error_label]
    assert any(labels for what, labels in checks if what == "hint"), "no hint line on screen to check"
    if role in (Role.OFFICER, Role.SPOC):
        assert checks[2][1], "the counts are not on screen"
    if table is not None and table.isVisibleTo(window) and role is not Role.PARTNER:
        seen, band_issues = band_problems(table, window, image)
        assert seen or role is Role.AUDITOR, "no band cell on screen to check"
        problems += band_issues
    assert not problems, f"{themed} palette, {role.value}:\n" + "\n".join(problems)


def test_contrast_ratio_is_wcags() -> None:
    assert contrast_ratio(QColor("black"), QColor("white")) == pytest.approx(21.0)
    assert contrast_ratio(QColor("white"), QColor("white")) == pytest.approx(1.0)
    assert contrast_ratio(QColor("#777777"), QColor("white")) == pytest.approx(4.48, abs=0.01)
    assert contrast_ratio(QColor("white"), QColor("#b3261e")) == contrast_ratio(QColor("#b3261e"), QColor("white"))


@pytest.mark.parametrize("palette", [QPalette(QColor("#efefef")), dark_palette()], ids=["light", "dark"])
def test_every_chosen_pair_reaches_aa(qapp: QApplication, palette: QPalette) -> None:
    scheme = scheme_for(palette)
    pairs = {"header": scheme.header, "panel": scheme.panel, "alarm": scheme.alarm, "good": scheme.good,
             "info": scheme.info, "warning": scheme.warning, "refused": scheme.refused, "failed": scheme.failed,
             **scheme.bands}
    low = {name: contrast_ratio(p.fg, p.bg) for name, p in pairs.items() if contrast_ratio(p.fg, p.bg) < AA}
    for name, colour in (("muted", scheme.muted), ("error", scheme.error), ("text", scheme.text)):
        for bg_name, bg in (("window", scheme.window), ("header", scheme.header.bg), ("panel", scheme.panel.bg)):
            if contrast_ratio(colour, bg) < AA:
                low[f"{name} on {bg_name}"] = contrast_ratio(colour, bg)
    assert not low
