"""The colours every role of text and background needs, for a light or a dark palette.

Officers work on whatever desktop theme the force's image sets, so nothing here is
fixed for a light theme: light or dark is decided from the application palette's
window colour, QPalette's own roles are used where Qt has one (WindowText, Base,
Text, Mid, Highlight, PlaceholderText), and the rest are chosen pairs per light/dark.
Every text colour is then held to WCAG AA (4.5:1) against the backgrounds it sits on:
a theme whose own roles fall short gets a text colour moved towards black or white
until it reads. The stylesheet (style.py) and the models' colours come from here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import TypeVar

from PySide6.QtGui import QColor, QGuiApplication, QPalette

AA = 4.5  # WCAG 2 level AA for normal text
Role = QPalette.ColorRole
K = TypeVar("K")


def _linear(channel: float) -> float:
    return channel / 12.92 if channel <= 0.04045 else ((channel + 0.055) / 1.055) ** 2.4


def relative_luminance(colour: QColor) -> float:
    """WCAG 2's relative luminance of an opaque sRGB colour, 0 (black) to 1 (white)."""
    return (0.2126 * _linear(colour.redF()) + 0.7152 * _linear(colour.greenF())
            + 0.0722 * _linear(colour.blueF()))


def over(colour: QColor, background: QColor) -> QColor:
    """`colour` as it shows painted on `background` (its alpha blended in)."""
    a = colour.alphaF()
    return QColor.fromRgbF(*(c * a + b * (1 - a) for c, b in zip(
        (colour.redF(), colour.greenF(), colour.blueF()),
        (background.redF(), background.greenF(), background.blueF()), strict=True)))


def contrast_ratio(fg: QColor, bg: QColor) -> float:
    """WCAG 2's contrast ratio, 1 to 21; a translucent `fg` is taken as painted on `bg`."""
    lighter, darker = sorted((relative_luminance(over(fg, bg)), relative_luminance(bg)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def mix(a: QColor, b: QColor, share_of_b: float) -> QColor:
    t = share_of_b
    return QColor.fromRgbF(a.redF() * (1 - t) + b.redF() * t, a.greenF() * (1 - t) + b.greenF() * t,
                           a.blueF() * (1 - t) + b.blueF() * t)


def readable(fg: QColor, *backgrounds: QColor, minimum: float = AA) -> QColor:
    """`fg` if it reaches `minimum` on every background, else the nearest colour towards black or white that does."""
    def worst(colour: QColor) -> float:
        return min(contrast_ratio(colour, bg) for bg in backgrounds)

    if worst(fg) >= minimum:
        return QColor(fg)
    target = max((QColor("black"), QColor("white")), key=worst)
    for step in range(1, 21):
        moved = mix(fg, target, step / 20)
        if worst(moved) >= minimum:
            return moved
    return target


def is_dark(palette: QPalette) -> bool:
    return palette.color(Role.Window).lightnessF() < 0.5


@dataclass(frozen=True)
class Pair:
    """Text on its own background, with a border a shade apart from the background."""
    fg: QColor
    bg: QColor
    border: QColor


def _pair(fg: str, bg: str, border: str) -> Pair:
    background = QColor(bg)
    return Pair(readable(QColor(fg), background), background, QColor(border))


# Chosen pairs where Qt has no role: (light, dark). The alarm red with white reads on either theme.
_ALARM = ("#ffffff", "#b3261e", "#b3261e"), ("#ffffff", "#b3261e", "#b3261e")
_GOOD = ("#14532d", "#dcefdf", "#6fae7b"), ("#c3ecc9", "#1e3a26", "#3f7a4d")
_INFO = ("#1f3b63", "#e6eef8", "#9db5d6"), ("#cfe0f7", "#1c2a3d", "#4b6a93")
_WARNING = ("#5c3900", "#fff4de", "#d9a441"), ("#ffdca0", "#3d2c0a", "#a37a2c")
_ERROR_TEXT = "#b3261e", "#ff8a80"
_BANDS = {
    "Red": (("#1b1b1b", "#f2b8b5", "#d9908c"), ("#ffe4e1", "#7f1d1d", "#a84040")),
    "Amber": (("#1b1b1b", "#fbd99b", "#d9ae5c"), ("#fff1d6", "#6b4500", "#9a6a14")),
    "Green": (("#1b1b1b", "#c4e3c5", "#8fbf91"), ("#e3f5e5", "#1d5228", "#3f7f4a")),
}
_REFUSED = ("#1b1b1b", "#f6d6d3", "#e0a9a4"), ("#ffe4e1", "#5c1f1b", "#8a3a33")
_FAILED = ("#1b1b1b", "#fbe3bd", "#deb872"), ("#fff1d6", "#553a0c", "#86622a")


@dataclass(frozen=True)
class Scheme:
    """What each role of text and background is, for one palette."""
    dark: bool
    window: QColor
    text: QColor  # the window's text (header, counts)
    base: QColor
    base_text: QColor
    muted: QColor  # hint lines, notes, captions: quieter than text, still AA on window, panels and the header
    error: QColor  # an error line's text on the window or a panel
    border: QColor
    header: Pair
    panel: Pair
    alarm: Pair  # the demo banner, overdue reviews, a broken chain
    good: Pair
    info: Pair
    warning: Pair
    bands: Mapping[str, Pair]
    refused: Pair
    failed: Pair


def scheme_for(palette: QPalette) -> Scheme:
    dark = is_dark(palette)
    side = 1 if dark else 0
    window, base, mid = palette.color(Role.Window), palette.color(Role.Base), palette.color(Role.Mid)
    header_bg = mix(window, palette.color(Role.Highlight), 0.12)
    panel_bg = mix(window, base, 0.5)
    # Styles paint some surfaces a shade off the window (Fusion's tab pages, group boxes): text must read on those too.
    surfaces = (window, header_bg, panel_bg, base, palette.color(Role.AlternateBase), palette.color(Role.Button),
                window.lighter(130) if dark else window.darker(110))
    text = readable(palette.color(Role.WindowText), *surfaces)
    # PlaceholderText is Qt's own quieter text; it is often translucent and too faint for a line people must read.
    quiet = over(palette.color(Role.PlaceholderText), window)
    muted = readable(mix(quiet, text, 0.4), *surfaces)
    return Scheme(
        dark=dark, window=window, text=text, base=base,
        base_text=readable(palette.color(Role.Text), base),
        muted=muted,
        error=readable(QColor(_ERROR_TEXT[side]), *surfaces),
        border=mid,
        header=Pair(text, header_bg, mid),
        panel=Pair(text, panel_bg, mid),
        alarm=_pair(*_ALARM[side]), good=_pair(*_GOOD[side]), info=_pair(*_INFO[side]),
        warning=_pair(*_WARNING[side]),
        bands={band: _pair(*pairs[side]) for band, pairs in _BANDS.items()},
        refused=_pair(*_REFUSED[side]), failed=_pair(*_FAILED[side]),
    )


LIGHT_PALETTE = QPalette(QColor("#efefef"))  # Qt's own light palette from its button colour: the fallback with no app
_schemes: dict[int, Scheme] = {}


def application_palette() -> QPalette:
    app = QGuiApplication.instance()
    return QGuiApplication.palette() if isinstance(app, QGuiApplication) else LIGHT_PALETTE


def current_scheme() -> Scheme:
    """The scheme of the application's palette now (models ask on every paint, so it is kept per palette)."""
    palette = application_palette()
    key = palette.cacheKey()
    if key not in _schemes:
        if len(_schemes) > 8:
            _schemes.clear()
        _schemes[key] = scheme_for(palette)
    return _schemes[key]


class LiveColours(Mapping[K, QColor]):
    """A mapping whose colours follow the palette: `BAND_COLOURS["Red"]` is the Red of the current theme."""

    def __init__(self, pairs: Mapping[K, Callable[[Scheme], Pair]], *, text: bool = False) -> None:
        self._pairs, self._text = pairs, text  # text: the pair's text colour, else its background

    def pair(self, key: K) -> Pair:
        return self._pairs[key](current_scheme())

    def __getitem__(self, key: K) -> QColor:
        pair = self.pair(key)
        return pair.fg if self._text else pair.bg

    def __iter__(self) -> Iterator[K]:
        return iter(self._pairs)

    def __len__(self) -> int:
        return len(self._pairs)


def band_pair(band: str) -> Callable[[Scheme], Pair]:
    return lambda scheme: scheme.bands[band]
