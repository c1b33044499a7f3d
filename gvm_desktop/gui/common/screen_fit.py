"""Windows that fit the screen they open on, at any scaling: sizes bounded by the available area, placed inside it."""

from __future__ import annotations

from PySide6.QtCore import QRect, QSize
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QWidget


def clamp_to_screen(wanted: QRect, available: QRect) -> QRect:
    """`wanted` made to fit inside `available`: no larger, moved in whole if it hangs over an edge, and centred
    if it is nowhere on it (a screen since unplugged, or a smaller one)."""
    size = wanted.size().boundedTo(available.size())
    placed = QRect(wanted.topLeft(), size)
    if not placed.intersects(available):
        placed.moveCenter(available.center())
        return placed
    placed.moveLeft(min(max(placed.left(), available.left()), available.right() - size.width() + 1))
    placed.moveTop(min(max(placed.top(), available.top()), available.bottom() - size.height() + 1))
    return placed


def centred_on(size: QSize, available: QRect) -> QRect:
    placed = QRect(available.topLeft(), size.boundedTo(available.size()))
    placed.moveCenter(available.center())
    return placed


def open_fitted(window: QWidget, wanted: QSize) -> None:
    """Give a top-level window `wanted` size, or less where the screen is smaller (150% scaling on a laptop), centred."""
    screen = window.screen() or QGuiApplication.primaryScreen()
    if screen is None:
        window.resize(wanted)
        return
    window.setGeometry(centred_on(wanted, screen.availableGeometry()))
