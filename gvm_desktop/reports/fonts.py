"""The fonts every PDF uses: DejaVu Sans, shipped inside the package.

ReportLab's built-in Helvetica covers Latin-1 only, so a Hebrew or Arabic
username would print as blank boxes. DejaVu Sans covers Latin, Greek,
Cyrillic, Hebrew, Arabic and many symbols; it is read with importlib.resources
so it is found inside an installed wheel as well as in a source checkout.
"""

from __future__ import annotations

import io
import threading
from functools import cache
from importlib.resources import files

from reportlab.pdfbase import pdfmetrics, ttfonts
from reportlab.pdfbase.ttfonts import TTFont

REGULAR = "GvmDejaVuSans"
BOLD = "GvmDejaVuSans-Bold"
_FILES = {REGULAR: "DejaVuSans.ttf", BOLD: "DejaVuSans-Bold.ttf"}

_lock = threading.Lock()
_registered = False


def register_fonts() -> None:
    """Register the fonts once per process (safe to call from every builder, and from threads)."""
    global _registered
    if _registered:  # the fast path: wrap() calls this for every table cell
        return
    with _lock:
        if _registered:
            return
        folder = files("gvm_desktop.resources").joinpath("fonts")
        for name, filename in _FILES.items():
            # Bytes, not a path: a resource inside a zipped install has no file name.
            data = folder.joinpath(filename).read_bytes()
            pdfmetrics.registerFont(TTFont(name, io.BytesIO(data)))
        pdfmetrics.registerFontFamily(REGULAR, normal=REGULAR, bold=BOLD, italic=REGULAR, boldItalic=BOLD)
        _fix_to_unicode_for_astral_planes()
        _registered = True


@cache
def coverage(font: str) -> frozenset[int]:
    """The code points the font has a glyph for (so the rest can be shown as [U+XXXX], not as a blank box)."""
    register_fonts()
    face = pdfmetrics.getFont(font).face  # type: ignore[attr-defined]
    return frozenset(code for code, glyph in face.charToGlyph.items() if glyph)


class _Widths(dict[str, float]):
    """Advance widths per character in thousandths of an em, looked up once per character and kept.

    ReportLab measures a TrueType string in Python one character at a time; a
    10,000-entry pack measures over a million characters, so the lookups are
    cached as plain dict hits.
    """

    def __init__(self, font: str) -> None:
        super().__init__()
        face = pdfmetrics.getFont(font).face  # type: ignore[attr-defined]
        self._table, self._default = face.charWidths, face.defaultWidth

    def __missing__(self, ch: str) -> float:
        width = self[ch] = float(self._table.get(ord(ch), self._default))
        return width


@cache
def _widths(font: str) -> _Widths:
    register_fonts()
    return _Widths(font)


def text_width(text: str, font: str, size: float) -> float:
    """The width of `text` in points, as ReportLab would measure it (no kerning), only faster."""
    return sum(map(_widths(font).__getitem__, text)) * size * 0.001


def _utf16_hex(code: int) -> str:
    return "".join(f"{unit:04X}" for unit in _utf16_units(code))


def _utf16_units(code: int) -> tuple[int, ...]:
    if code < 0x10000:
        return (code,)
    code -= 0x10000
    return (0xD800 + (code >> 10), 0xDC00 + (code & 0x3FF))


def _to_unicode_cmap(fontname: str, subset: list[int]) -> str:
    """ReportLab's ToUnicode CMap, but with UTF-16 surrogate pairs for code points above U+FFFF.

    ReportLab 4 writes such a code point as five hex digits, which PDF readers
    misread (an emoji in a username came out of pdftotext as U+1F60), so the
    printed text could not be searched or copied faithfully.
    """
    return "\n".join([
        "/CIDInit /ProcSet findresource begin",
        "12 dict begin",
        "begincmap",
        "/CIDSystemInfo",
        f"<< /Registry ({fontname})",
        f"/Ordering ({fontname})",
        "/Supplement 0",
        ">> def",
        f"/CMapName /{fontname} def",
        "/CMapType 2 def",
        "1 begincodespacerange",
        f"<00> <{len(subset) - 1:02X}>",
        "endcodespacerange",
        f"{len(subset)} beginbfchar",
        *(f"<{i:02X}> <{_utf16_hex(code)}>" for i, code in enumerate(subset)),
        "endbfchar",
        "endcmap",
        "CMapName currentdict /CMap defineresource pop",
        "end",
        "end",
    ])


def _fix_to_unicode_for_astral_planes() -> None:
    # ReportLab looks the function up as a module global when it embeds a font,
    # so replacing it there is enough; the output is identical below U+10000.
    ttfonts.makeToUnicodeCMap = _to_unicode_cmap  # type: ignore[assignment]
