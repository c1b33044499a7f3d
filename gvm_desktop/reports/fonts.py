"""The fonts every PDF uses, shipped inside the package: DejaVu Sans, with Noto Sans Arabic and Droid Sans Fallback.

ReportLab's built-in Helvetica covers Latin-1 only, so a Hebrew or Arabic
username would print as blank boxes. DejaVu Sans covers Latin, Greek,
Cyrillic, Hebrew and many symbols; two fonts stand behind it:

- Noto Sans Arabic draws every Arabic-script letter, in all its joined forms
  (DejaVu lacks Urdu letters such as heh goal and yeh barree, and its joined
  forms would sit beside Noto's in one word if the two were mixed);
- Droid Sans Fallback draws what neither has: CJK ideographs, kana, every
  Hangul syllable.

ReportLab has no font fallback of its own, so text is cut into runs per font
here (`runs`) and measured the same way (`text_width`). The fonts are read with
importlib.resources, so they are found inside an installed wheel as well as in
a source checkout. The two behind DejaVu are loaded on first need only (the
CJK one is 3.4 MB): a report with no such character never pays for them.
"""

from __future__ import annotations

import io
import threading
import unicodedata
from functools import cache
from importlib.resources import files

from reportlab.pdfbase import pdfmetrics, ttfonts
from reportlab.pdfbase.ttfonts import TTFont

REGULAR = "GvmDejaVuSans"
BOLD = "GvmDejaVuSans-Bold"
ARABIC = "GvmNotoSansArabic"
ARABIC_BOLD = "GvmNotoSansArabic-Bold"
FALLBACK = "GvmDroidSansFallback"  # one weight only: a CJK name in a bold cell prints in regular weight
_FILES = {REGULAR: "DejaVuSans.ttf", BOLD: "DejaVuSans-Bold.ttf"}
_ON_NEED = {ARABIC: "NotoSansArabic-Regular.ttf", ARABIC_BOLD: "NotoSansArabic-Bold.ttf",
            FALLBACK: "DroidSansFallback.ttf"}
# Arabic, Arabic Supplement, Arabic Extended-A, and the presentation forms text.printable shapes letters into.
_ARABIC_SCRIPT = ((0x0600, 0x06FF), (0x0750, 0x077F), (0x08A0, 0x08FF), (0xFB50, 0xFDFF), (0xFE70, 0xFEFF))

_lock = threading.Lock()
_registered = False
_on_need_lock = threading.Lock()


def register_fonts() -> None:
    """Register the fonts once per process (safe to call from every builder, and from threads)."""
    global _registered
    if _registered:  # the fast path: wrap() calls this for every table cell
        return
    with _lock:
        if _registered:
            return
        for name, filename in _FILES.items():
            _register(name, filename)
        pdfmetrics.registerFontFamily(REGULAR, normal=REGULAR, bold=BOLD, italic=REGULAR, boldItalic=BOLD)
        _fix_to_unicode_for_astral_planes()
        _registered = True


def _register(name: str, filename: str) -> None:
    # Bytes, not a path: a resource inside a zipped install has no file name.
    data = files("gvm_desktop.resources").joinpath("fonts").joinpath(filename).read_bytes()
    pdfmetrics.registerFont(TTFont(name, io.BytesIO(data)))


def _ensure(font: str) -> None:
    register_fonts()  # the ToUnicode fix must be in place before any font is embedded
    if font in _ON_NEED:
        with _on_need_lock:
            if font not in pdfmetrics.getRegisteredFontNames():
                _register(font, _ON_NEED[font])


@cache
def coverage(font: str) -> frozenset[int]:
    """The code points the font has a glyph for (so the rest can be shown as [U+XXXX], not as a blank box)."""
    _ensure(font)
    face = pdfmetrics.getFont(font).face
    return frozenset(code for code, glyph in face.charToGlyph.items() if glyph)


def _arabic_script(code: int) -> bool:
    return any(low <= code <= high for low, high in _ARABIC_SCRIPT)


def font_for(code: int, font: str) -> str:
    """The font that draws the code point in text set in `font`: Noto for Arabic script, DejaVu, then the CJK fallback.

    `font` itself when no font has the glyph (text.printable has already written
    such a character as [U+XXXX], so it never reaches a page).
    """
    if font in _ON_NEED:
        return font
    if code < 0x0600:  # Latin, Greek, Cyrillic, Hebrew: DejaVu, without a set lookup beyond its own
        return font
    if _arabic_script(code):
        arabic = ARABIC_BOLD if font == BOLD else ARABIC
        if code in coverage(arabic):
            return arabic
    if code in coverage(font):
        return font
    return FALLBACK if code in coverage(FALLBACK) else font


def has_glyph(code: int, font: str) -> bool:
    """Whether text set in `font` can draw the code point, with the fonts behind it."""
    return code in coverage(font_for(code, font))


def runs(text: str, font: str) -> list[tuple[str, str]]:
    """The text cut into (font, text) runs, each in the font that has its glyphs (see font_for)."""
    if text.isascii():
        return [(font, text)]
    out: list[tuple[str, str]] = []
    for ch in text:
        want = font_for(ord(ch), font)
        if out and out[-1][0] == want:
            out[-1] = (want, out[-1][1] + ch)
        else:
            out.append((want, ch))
    return out


class _Widths(dict[str, float]):
    """Advance widths per character in thousandths of an em, looked up once per character and kept.

    ReportLab measures a TrueType string in Python one character at a time; a
    10,000-entry pack measures over a million characters, so the lookups are
    cached as plain dict hits.
    """

    def __init__(self, font: str) -> None:
        super().__init__()
        self._font = font
        face = pdfmetrics.getFont(font).face
        self._table, self._default = face.charWidths, face.defaultWidth

    def __missing__(self, ch: str) -> float:
        drawn_with = font_for(ord(ch), self._font)  # a font behind this one draws it (see runs): measure with that
        width = float(self._table.get(ord(ch), self._default)) if drawn_with == self._font else _widths(drawn_with)[ch]
        self[ch] = width
        return width


@cache
def _widths(font: str) -> _Widths:
    _ensure(font)
    return _Widths(font)


def text_width(text: str, font: str, size: float) -> float:
    """The width of `text` in points, as ReportLab would measure it (no kerning), only faster."""
    return sum(map(_widths(font).__getitem__, text)) * size * 0.001


def _utf16_hex(code: int) -> str:
    return _meaning(code).encode("utf-16-be").hex().upper()


def _meaning(code: int) -> str:
    """The text a glyph stands for: an Arabic contextual form or ligature stands for its plain letters.

    The reports print Arabic in presentation forms (see text.printable); mapping
    them back here means a reader who searches or copies the PDF gets the letters
    the name was typed with, not their shapes. A ligature's letters are given in
    visual order, like every right-to-left run in the content stream: lam-alef is
    drawn as alef (left) and lam (right), and a reader that turns the run back into
    reading order turns the pair with it (poppler does; in reading order it would
    come out as alef-lam).
    """
    ch = chr(code)
    if 0xFB50 <= code <= 0xFDFF or 0xFE70 <= code <= 0xFEFF:
        letters = unicodedata.normalize("NFKC", ch) or ch
        return letters[::-1] if len(letters) > 1 and letters.isalpha() else letters
    return ch


def _to_unicode_cmap(fontname: str, subset: list[int]) -> str:
    """ReportLab's ToUnicode CMap, with UTF-16 surrogate pairs above U+FFFF and Arabic shapes mapped to letters.

    ReportLab 4 writes a code point above U+FFFF as five hex digits, which PDF
    readers misread (an emoji in a username came out of pdftotext as U+1F60), so
    the printed text could not be searched or copied faithfully.
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
    ttfonts.makeToUnicodeCMap = _to_unicode_cmap
