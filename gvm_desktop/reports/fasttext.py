"""Many short lines of text written as PDF operators directly, each distinct line encoded once per document.

ReportLab's text object formats every coordinate and re-encodes every string
in Python; a 10,000-entry pack draws 160,000 lines, most of them repeats
("allowed", a role, a BCU, an action). This follows the route ReportLab's
ttfonts module documents for dynamic fonts (splitString, getSubsetInternalName,
escaped Tj) and caches the encoded form per document, so each distinct line
is encoded once. The operators go in with Canvas.addLiteral inside q/Q, so
the canvas's own idea of the current font and colour is left intact.
"""

from __future__ import annotations

from weakref import WeakKeyDictionary

from reportlab.lib.rl_accel import escapePDF
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfgen.canvas import Canvas

from gvm_desktop.reports.fonts import runs

Encoded = tuple[tuple[str, str], ...]  # (subset's internal font name, escaped bytes) per chunk

_CACHES: WeakKeyDictionary[object, dict[tuple[str, str], Encoded]] = WeakKeyDictionary()


class TextWriter:
    def __init__(self, canvas: Canvas) -> None:
        self._canvas = canvas
        self._doc = canvas._doc
        self._cache = _CACHES.setdefault(self._doc, {})
        self._ops: list[str] = ["q", "BT", "0 g"]
        self._font = ""
        self._size = 0.0
        self._subset = ""

    def font(self, name: str, size: float) -> None:
        self._font, self._size, self._subset = name, size, ""

    def line(self, x: float, y: float, text: str) -> None:
        """Draw one line with its baseline starting at (x, y) in the current user space."""
        if not text:
            return
        encoded = self._cache.get((self._font, text))
        if encoded is None:
            encoded = self._cache[(self._font, text)] = self._encode(text)
        ops = self._ops
        ops.append(f"1 0 0 1 {x:.2f} {y:.2f} Tm")
        for subset, chunk in encoded:
            if subset != self._subset:
                ops.append(f"{subset} {self._size:g} Tf")
                self._subset = subset
            ops.append(f"({chunk}) Tj")

    def _encode(self, text: str) -> Encoded:
        # Each run in the font that has its glyphs (DejaVu, or the CJK fallback); every subset has its own
        # internal name, so the Tf switch in line() also switches between the fonts.
        encoded: list[tuple[str, str]] = []
        for name, run in runs(text, self._font):
            font = pdfmetrics.getFont(name)
            encoded += [(font.getSubsetInternalName(subset, self._doc), escapePDF(chunk))
                        for subset, chunk in font.splitString(run, self._doc)]
        return tuple(encoded)

    def finish(self) -> None:
        self._ops += ["ET", "Q"]
        self._canvas.addLiteral("\n".join(self._ops))
        self._ops = ["q", "BT", "0 g"]
        self._subset = ""
