"""Turning stored text into printable, wrapped lines.

The reports wrap text themselves instead of using a Paragraph per table cell:
a 10,000-entry audit pack has over 100,000 cells, and Paragraph's markup
parser made that far too slow. Wrapping here also lets each line be put into
visual order (right-to-left runs reversed) after the line breaks are chosen,
which is where the Unicode bidi algorithm says reordering belongs.

Nothing is cut: a long word is broken between characters, never truncated.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from arabic_reshaper import ArabicReshaper

from gvm_desktop.reports.fonts import coverage, has_glyph, register_fonts
from gvm_desktop.reports.fonts import text_width as stringWidth

# Letters of right-to-left scripts (Hebrew, Arabic, Syriac, Thaana, NKo, ... and their presentation forms).
_RTL_HINT = re.compile("[\u0590-\u08ff\ufb1d-\ufdff\ufe70-\ufefc\U00010800-\U00010fff\U0001e800-\U0001efff]")
_MIRROR = str.maketrans("()[]{}<>«»", ")(][}{><»«")
_SPACE = re.compile(r"[ \t]+")
_SEPARATORS = ("./:", "_-")
_CLOSING = {")": "(", "]": "[", "}": "{", ">": "<", "»": "«"}
_OPENING = frozenset(_CLOSING.values())
_ARABIC = re.compile("[\u0600-\u06ff\u0750-\u077f\u08a0-\u08ff]")
_JOINERS = frozenset("\u200c\u200d")  # zero-width non-joiner and joiner

# Arabic letters join: each takes an initial, medial, final or isolated shape from its neighbours. PDF text
# has no shaping engine, so the shapes are chosen here (arabic-reshaper picks the presentation-form character
# for each letter). Nothing is dropped (harakat are kept) and only the lam-alef ligatures, which Arabic
# requires, are made; word ligatures such as "Allah" would replace letters a reader may be checking.
_RESHAPER = ArabicReshaper(configuration={
    "delete_harakat": False,
    "delete_tatweel": False,
    "support_ligatures": True,
    "ARABIC LIGATURE ALLAH": False,
})


def printable(text: str | None, font: str, *, empty: str = "-") -> str:
    """The text with every character the reader could not see or could misread made visible as [U+XXXX].

    That covers control characters, invisible format characters (a right-to-left
    override could make one username look like another) and characters neither
    the font nor the fonts behind it have a glyph for (they would print as an
    ambiguous box). Newlines are kept. Arabic comes back in its joined shapes.
    """
    if text is None or text == "":
        return empty
    if text.isascii() and text.replace("\n", "").isprintable():
        return text  # the common case, and DejaVu has every printable ASCII glyph
    have = coverage(font)
    out: list[str] = []
    text = unicodedata.normalize("NFC", text)
    for i, ch in enumerate(text):
        if ch == "\n":
            out.append(ch)
        elif ch == "\t":
            out.append(" ")
        elif ch in _JOINERS and _ARABIC.match(text[i - 1:i] or " ") and _ARABIC.match(text[i + 1:i + 2] or " "):
            out.append(ch)  # part of how the name is spelled: it changes the letters' visible shapes (see _shaped)
        elif unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Co", "Cn"):
            out.append(f"[U+{ord(ch):04X}]")
        elif ord(ch) in have or has_glyph(ord(ch), font):
            out.append(ch)
        else:
            out.append(f"[U+{ord(ch):04X}]")
    printed = "".join(out)
    return _shaped(printed, font) if _ARABIC.search(printed) else printed


def _shaped(text: str, font: str) -> str:
    """Arabic letters in their joined presentation forms, where a font has that form (else the plain letter).

    A zero-width non-joiner between two letters (common in Persian names) keeps
    them apart, a zero-width joiner joins them; once the shapes are chosen, the
    joiners have done their work and are not drawn (no font has a glyph for them).
    """
    return "".join(ch if has_glyph(ord(ch), font) else unicodedata.normalize("NFKC", ch)
                   for ch in _RESHAPER.reshape(text) if ch not in _JOINERS)


def wrap(text: str | None, font: str, size: float, width: float, *, empty: str = "-") -> tuple[str, ...]:
    """Lines no wider than `width` points, each in visual order, ready to draw left to right."""
    register_fonts()
    return _wrap(text, font, size, width, empty)


def forget() -> None:
    """Drop the wrapped text kept between calls: what a report printed must not outlive it in memory.

    Each builder calls this when it finishes, so a justification does not stay
    in the process after the PDF is written (the GUI wipes what it shows on lock).
    """
    _wrap.cache_clear()


@lru_cache(maxsize=16384)  # roles, BCUs, actions and outcomes repeat on every other row of a pack
def _wrap(text: str | None, font: str, size: float, width: float, empty: str) -> tuple[str, ...]:
    lines: list[str] = []
    for paragraph in printable(text, font, empty=empty).split("\n"):
        lines.extend(visual(line) for line in _wrap_paragraph(_SPACE.sub(" ", paragraph).strip(), font, size, width))
    return tuple(lines)


def cell(text: str | None, font: str, size: float, width: float, *, empty: str = "-") -> str:
    """Wrapped text as one string with newlines: what a ReportLab Table draws as several lines."""
    return "\n".join(wrap(text, font, size, width, empty=empty))


def _wrap_paragraph(text: str, font: str, size: float, width: float) -> list[str]:
    if not text:
        return [""]
    if stringWidth(text, font, size) <= width:
        return [text]
    space = stringWidth(" ", font, size)
    lines: list[str] = []
    line, line_w = "", 0.0
    for word in text.split(" "):
        word_w = stringWidth(word, font, size)
        if line and line_w + space + word_w <= width:
            line, line_w = f"{line} {word}", line_w + space + word_w
            continue
        if line:
            lines.append(line)
        if word_w <= width:
            line, line_w = word, word_w
            continue
        pieces = _break_word(word, font, size, width)
        lines.extend(pieces[:-1])
        line, line_w = pieces[-1], stringWidth(pieces[-1], font, size)
    lines.append(line)
    return lines


def _break_word(word: str, font: str, size: float, width: float) -> list[str]:
    """A word wider than the column (a hash, an action code, 2,000 letters with no space) cut between characters.

    Where the piece that fits holds a separator (. _ - / :), the cut goes just after the last one, so
    "access_log.key_grant" breaks as "access_log." + "key_grant", not in the middle of a name.
    """
    pieces: list[str] = []
    piece, piece_w = "", 0.0
    for ch in word:
        ch_w = stringWidth(ch, font, size)
        if piece and piece_w + ch_w > width:
            cut = _cut_point(piece)
            if 0 < cut < len(piece):
                pieces.append(piece[:cut])
                piece = piece[cut:]
            else:
                pieces.append(piece)
                piece = ""
            piece_w = stringWidth(piece, font, size)
        piece, piece_w = piece + ch, piece_w + ch_w
    pieces.append(piece)
    return pieces


def _cut_point(piece: str) -> int:
    """Just after the last strong separator (. / :), else the last weak one (_ -); 0 when there is none."""
    for group in _SEPARATORS:
        cut = max(piece.rfind(sep) for sep in group) + 1
        if cut:
            return cut
    return 0


def visual(line: str) -> str:
    """One line of a left-to-right document in display order: right-to-left runs reversed.

    A compact form of the Unicode bidi algorithm (UAX #9) for a left-to-right
    paragraph: Hebrew and Arabic letters are level 1, numbers after them level 2,
    neutrals between two right-to-left sides join them, then runs are reversed
    from the highest level down and brackets inside them mirrored. A combining
    mark is reversed with its letter, so it comes just before it: the fonts draw
    a right-to-left mark over the glyph that follows it. Arabic arrives already
    joined (printable shapes it).
    """
    if not _RTL_HINT.search(line):
        return line
    levels = _levels(line)
    chars = list(line)
    for level in range(max(levels), 0, -1):
        i = 0
        while i < len(chars):
            if levels[i] < level:
                i += 1
                continue
            j = i
            while j < len(chars) and levels[j] >= level:
                j += 1
            chars[i:j] = chars[i:j][::-1]
            levels[i:j] = levels[i:j][::-1]
            i = j
    return "".join(ch.translate(_MIRROR) if lvl % 2 else ch for ch, lvl in zip(chars, levels, strict=True))


def _classes(line: str) -> list[str]:
    """Each character as L (left-to-right), R (right-to-left), N (number) or O (neutral)."""
    out: list[str] = []
    for ch in line:
        bidi = unicodedata.bidirectional(ch)
        if bidi in ("R", "AL"):
            out.append("R")
        elif bidi in ("EN", "AN"):
            out.append("N")
        elif bidi == "NSM":
            out.append(out[-1] if out else "O")  # a combining mark goes with the letter it sits on
        elif bidi == "L":
            out.append("L")
        else:
            out.append("O")
    return out


def _pair_brackets(line: str, classes: list[str]) -> None:
    """Brackets around right-to-left text that follows right-to-left text belong to it (UAX #9 rule N0, simplified)."""
    stack: list[int] = []
    for i, ch in enumerate(line):
        if ch in _OPENING:
            stack.append(i)
        elif ch in _CLOSING and stack and line[stack[-1]] == _CLOSING[ch]:
            start = stack.pop()
            inside = set(classes[start + 1:i])
            before = next((c for c in reversed(classes[:start]) if c in ("L", "R")), "L")
            if "R" in inside and "L" not in inside and before == "R":
                classes[start] = classes[i] = "R"


def _levels(line: str) -> list[int]:
    classes = _classes(line)
    _pair_brackets(line, classes)
    levels = [0] * len(classes)
    strong = "L"  # the start of a left-to-right paragraph counts as L
    for i, cls in enumerate(classes):
        if cls == "R":
            levels[i], strong = 1, "R"
        elif cls == "L":
            strong = "L"
        elif cls == "N":
            levels[i] = 2 if strong == "R" else 0
    # Neutrals take the direction of the text on both sides when the sides agree (numbers count as R there).
    i = 0
    while i < len(classes):
        if classes[i] != "O":
            i += 1
            continue
        j = i
        while j < len(classes) and classes[j] == "O":
            j += 1
        before = "R" if i > 0 and levels[i - 1] > 0 else "L"
        after = "R" if j < len(classes) and levels[j] > 0 else "L"
        if before == after == "R":
            levels[i:j] = [1] * (j - i)
        i = j
    return levels
