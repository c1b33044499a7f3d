"""Limits and cleaning for free text typed by people: one place, one wording.

Names may hold quotes, right-to-left scripts and emoji: they are data, stored
through bound parameters, never refused for being unusual. What is refused is
what cannot be right: empty where required, control characters, and text over
a stated limit (nothing is silently cut).
"""

from __future__ import annotations

import re
import unicodedata

from gvm_desktop.core.errors import ValidationError

NAME_MAX = 100
REFERENCE_MAX = 60
TEXT_MAX = 2000

# Bidirectional controls (the Unicode Bidi_Control property): embeddings and overrides,
# isolates, and the three marks. In a line of the access log or a list of accounts they
# move the text after them, so "eve<RLO>nimda" shows as "eveadmin".
REORDERING = frozenset({0x061C, 0x200E, 0x200F, *range(0x202A, 0x202F), *range(0x2066, 0x206A)})
# Characters that show as nothing, so two names could look the same: zero-width space,
# word joiner, byte-order mark, soft hyphen, invisible maths operators, deprecated format
# controls, interlinear annotation marks, tags. Not ZWNJ or ZWJ: Persian, Indic scripts
# and emoji need them.
INVISIBLE = frozenset({0x00AD, 0x180E, 0x200B, 0x2060, *range(0x2061, 0x2065), *range(0x206A, 0x2070), 0xFEFF,
                       *range(0xFFF9, 0xFFFC), 0xE0001, *range(0xE0020, 0xE0080)})


# Invisible characters have no business in a reason written for the access log: zero-width spaces, soft hyphens,
# word joiners, combining grapheme joiners, variation selectors and Hangul fillers hide a name from a reader and pad a
# length rule, and bidi embeddings, overrides and isolates reorder how the line shows. "Invisible" is every format
# character (Unicode category Cf) and every Default_Ignorable_Code_Point (DerivedCoreProperties.txt, which also holds
# characters of categories Mn and Lo: U+034F, U+FE00-FE0F, U+115F, U+3164...), and the Braille blank U+2800, which
# shows as a space but is a symbol. They are refused, except the few that real writing needs: ZWNJ and ZWJ (Persian,
# Indic scripts, emoji), the directional marks LRM, RLM and ALM (text mixing right-to-left and left-to-right words),
# and the emoji and text presentation selectors right after a symbol ("⚠️"). The name check deletes every invisible
# character before matching.
FORMAT_NEEDED = frozenset({0x200C, 0x200D, 0x200E, 0x200F, 0x061C})
PRESENTATION_SELECTORS = frozenset({0xFE0E, 0xFE0F})
_IGNORABLE = ((0x00AD, 0x00AD), (0x034F, 0x034F), (0x061C, 0x061C), (0x115F, 0x1160), (0x17B4, 0x17B5), (0x180B, 0x180F),
              (0x200B, 0x200F), (0x202A, 0x202E), (0x2060, 0x206F), (0x2800, 0x2800), (0x3164, 0x3164), (0xFE00, 0xFE0F),
              (0xFEFF, 0xFEFF), (0xFFA0, 0xFFA0), (0xFFF0, 0xFFF8), (0x1BCA0, 0x1BCA3), (0x1D173, 0x1D17A),
              (0xE0000, 0xE0FFF))

# The control characters (Unicode category Cc): C0 (U+0000-001F), DEL and C1 (U+007F-009F). As a
# character class, clean() finds one in C rather than asking unicodedata about each character of the text;
# tests/core/test_text_fast_path.py checks the class against unicodedata over every code point.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")
_CONTROL_BUT_LINES = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")  # multiline text keeps tab and newline


def invisible(ch: str) -> bool:
    """Whether `ch` shows as nothing (or as a blank that is no space): a format character or a default-ignorable one."""
    cp = ord(ch)
    return unicodedata.category(ch) == "Cf" or any(low <= cp <= high for low, high in _IGNORABLE)


def clean(value: str | None, field: str, *, limit: int, required: bool = True, multiline: bool = False) -> str:
    """NFC-normalised, trimmed text within `limit` characters, or a ValidationError naming the field."""
    text = unicodedata.normalize("NFC", value or "").strip()
    if required and not text:
        raise ValidationError(f"{field} is required.")
    if len(text) > limit:
        raise ValidationError(f"{field} is {len(text):,} characters long; the limit is {limit:,}.")
    # Printable text holds no control character, so most text is passed without a search.
    if not text.isprintable() and (_CONTROL_BUT_LINES if multiline else _CONTROL).search(text):
        raise ValidationError(f"{field} contains a control character.")
    return text


def check_no_hidden_controls(text: str, field: str) -> None:
    """Refuse what would make a name display as something else: accounts' names (read in the access log to know
    who did what) and people's names and aliases (where a hidden character would also make a held person look
    new to the duplicate check). The joiners (ZWJ, ZWNJ) that Persian and Indic names need pass.
    """
    for ch in text:
        cp = ord(ch)
        if cp in REORDERING:
            why = "it can reorder the text around it in the access log"
        elif cp in INVISIBLE or (invisible(ch) and cp not in (0x200C, 0x200D)):
            why = "it is invisible, so the name could look like another one in the access log"
        else:
            continue
        name = unicodedata.name(ch, "a format control")
        raise ValidationError(f"{field} may not contain U+{cp:04X} ({name}): {why}.")


def fold(text: str) -> str:
    """Case- and accent-insensitive form for search ("Zoë" finds "zoe", "ZOE")."""
    if text.isascii():  # casefold is lower, NFKD changes nothing and nothing combines: a search's usual case
        return text.lower()
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


FSI, PDI = "\u2068", "\u2069"  # FIRST STRONG ISOLATE ... POP DIRECTIONAL ISOLATE


def isolate(text: str) -> str:
    """User text set beside other text on screen, in a directional isolate of its own.

    Without it a right-to-left name pulls what follows into its run: "Quillbrook — N-001201 אבירם"
    showed the reference inside the name. The isolate keeps each name's direction to itself.
    """
    return f"{FSI}{text}{PDI}"
