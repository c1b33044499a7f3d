"""The fonts shipped in resources/fonts, made known to Qt so a name in any script shows on any workstation.

A workstation image often has no CJK font and a thin Arabic one; Qt would then
draw a Chinese or Urdu name as empty boxes, and an officer could not tell two
such names apart. Qt's own font fallback takes application fonts into account,
so registering the files is enough: no widget names a font.
"""

from __future__ import annotations

from functools import cache
from importlib.resources import files

from PySide6.QtGui import QFontDatabase


@cache  # once per process: Qt would register the same file again under a new id
def install_fonts() -> tuple[str, ...]:
    """Register every shipped font with Qt (needs a QGuiApplication); returns the families added."""
    families: list[str] = []
    for entry in sorted(files("gvm_desktop.resources").joinpath("fonts").iterdir(), key=lambda e: e.name):
        if not entry.name.endswith(".ttf"):
            continue
        # From bytes, not a path: a resource inside a zipped install has no file name.
        font_id = QFontDatabase.addApplicationFontFromData(entry.read_bytes())
        families += QFontDatabase.applicationFontFamilies(font_id) if font_id >= 0 else []
    return tuple(families)
