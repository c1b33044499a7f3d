"""The shipped fonts reach Qt: a CJK or Urdu name is drawn with real glyphs, not as identical empty boxes."""

from __future__ import annotations

from PySide6.QtGui import QColor, QFont, QImage, QPainter
from PySide6.QtWidgets import QApplication

from gvm_desktop.gui.common.fonts import install_fonts


def _pixels(text: str) -> bytes:
    image = QImage(48, 32, QImage.Format.Format_RGB32)
    image.fill(QColor("white"))
    painter = QPainter(image)
    painter.setFont(QFont())
    painter.drawText(4, 24, text)
    painter.end()
    return bytes(image.constBits())


def test_cjk_arabic_and_urdu_letters_are_drawn_distinctly(qapp: QApplication) -> None:
    families = install_fonts()
    assert {"Droid Sans Fallback", "Noto Sans Arabic", "DejaVu Sans"} <= set(families)
    blank = _pixels("")
    # Two different characters drawn as the same picture would mean a missing-glyph box for both.
    for first, second in (("合", "成"), ("김", "민"), ("ہ", "ۓ"), ("ك", "م")):
        assert _pixels(first) != blank, first
        assert _pixels(first) != _pixels(second), (first, second)
    assert install_fonts() == families  # registered once per process
