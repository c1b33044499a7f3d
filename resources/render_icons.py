"""Render gvm-desktop.svg to the PNGs beside it and to the package's copy (run after changing the SVG).

    QT_QPA_PLATFORM=offscreen .venv/bin/python resources/render_icons.py

Qt's own SVG renderer, so the PNGs match what the application would draw from the SVG.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication, QImage, QPainter
from PySide6.QtSvg import QSvgRenderer

HERE = Path(__file__).resolve().parent
SIZES = (48, 128, 256)
PACKAGE_COPY = HERE.parent / "gvm_desktop" / "resources" / "gvm-desktop.png"  # the window icon (256 px)


def render(svg: Path, size: int, out: Path) -> None:
    renderer = QSvgRenderer(str(svg))
    if not renderer.isValid():
        raise SystemExit(f"{svg} is not a valid SVG")
    image = QImage(size, size, QImage.Format.Format_ARGB32)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    renderer.render(painter)
    painter.end()
    if not image.save(str(out)):
        raise SystemExit(f"cannot write {out}")


def main() -> int:
    QGuiApplication(sys.argv[:1])
    svg = HERE / "gvm-desktop.svg"
    for size in SIZES:
        render(svg, size, HERE / f"gvm-desktop-{size}.png")
    shutil.copyfile(HERE / f"gvm-desktop-{SIZES[-1]}.png", PACKAGE_COPY)
    return 0


if __name__ == "__main__":
    sys.exit(main())
