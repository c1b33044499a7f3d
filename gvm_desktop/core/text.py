"""Limits and cleaning for free text typed by people: one place, one wording.

Names may hold quotes, right-to-left scripts and emoji: they are data, stored
through bound parameters, never refused for being unusual. What is refused is
what cannot be right: empty where required, control characters, and text over
a stated limit (nothing is silently cut).
"""

from __future__ import annotations

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


def clean(value: str | None, field: str, *, limit: int, required: bool = True, multiline: bool = False) -> str:
    """NFC-normalised, trimmed text within `limit` characters, or a ValidationError naming the field."""
    text = unicodedata.normalize("NFC", value or "").strip()
    if required and not text:
        raise ValidationError(f"{field} is required.")
    if len(text) > limit:
        raise ValidationError(f"{field} is {len(text):,} characters long; the limit is {limit:,}.")
    allowed = {"\n", "\t"} if multiline else set()
    if any(unicodedata.category(ch) == "Cc" and ch not in allowed for ch in text):
        raise ValidationError(f"{field} contains a control character.")
    return text


def check_no_hidden_controls(text: str, field: str) -> None:
    """Refuse what would make an account's name display as something else (usernames, display names).

    Only for names of accounts, which people read in the access log to know who did what.
    A person's name on the matrix is data typed as it is; a PDF shows such a character as [U+XXXX].
    """
    for ch in text:
        cp = ord(ch)
        if cp in REORDERING:
            why = "it can reorder the text around it in the access log"
        elif cp in INVISIBLE:
            why = "it is invisible, so the name could look like another one in the access log"
        else:
            continue
        name = unicodedata.name(ch, "a format control")
        raise ValidationError(f"{field} may not contain U+{cp:04X} ({name}): {why}.")


def fold(text: str) -> str:
    """Case- and accent-insensitive form for search ("Zoë" finds "zoe", "ZOE")."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))
