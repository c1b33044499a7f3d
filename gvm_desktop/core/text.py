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


def fold(text: str) -> str:
    """Case- and accent-insensitive form for search ("Zoë" finds "zoe", "ZOE")."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))
