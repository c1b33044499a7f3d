"""Why a person's record is being opened: asked before any personal data is read."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from enum import StrEnum

from gvm_desktop.core.errors import ValidationError
from gvm_desktop.core.labels import REASON_LABELS
from gvm_desktop.core.text import FORMAT_NEEDED, PRESENTATION_SELECTORS, clean, invisible

MIN_TEXT = 10
MAX_TEXT = 500
_OPERATION_REF = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 /._-]{1,39}$")


class ReasonCategory(StrEnum):
    LINKED_OPERATION = "linked_operation"
    SAFEGUARDING = "safeguarding"
    QUARTERLY_REVIEW = "quarterly_review"
    INTELLIGENCE_DEVELOPMENT = "intelligence_development"
    PARTNER_REFERRAL = "partner_referral"
    PROPOSAL_DECISION = "proposal_decision"  # a SPOC deciding a proposed addition or removal
    OTHER = "other"

    @property
    def label(self) -> str:
        return REASON_LABELS[self.value]

    @property
    def workflow(self) -> bool:
        """The matrix's own workflow (the quarterly review, a proposal waiting for the SPOC) is the reference:
        no operation is expected, so the auditors' "no linked operation" flag checks the workflow instead."""
        return self in (ReasonCategory.QUARTERLY_REVIEW, ReasonCategory.PROPOSAL_DECISION)


# Labels where the code's words alone would not say who uses the category.
_EXAMPLE = 'e.g. "checking their address before a home visit"'
WORDS_EXPECTED = f"Write at least two words saying why you need this record, {_EXAMPLE}."
REPEAT_REFUSED = f"Write at least two words saying why you need this record, not one character or pattern repeated: {_EXAMPLE}."
# Scripts written without spaces between words: each ideograph or kana is counted as a word of its own.
# (Hangul is written with spaces, so it is counted like any other script.)
_SPACELESS = ((0x3040, 0x30FF), (0x31F0, 0x31FF), (0x3400, 0x4DBF), (0x4E00, 0x9FFF), (0xF900, 0xFAFF),
              (0x20000, 0x3134F))


def _spaceless(ch: str) -> bool:
    cp = ord(ch)
    return any(low <= cp <= high for low, high in _SPACELESS)


# Keyboard filler is made of neighbouring keys along one row of a (UK or US) QWERTY keyboard.
_KEY_ROWS = ("qwertyuiop", "asdfghjkl", "zxcvbnm")
_KEY_AT = {key: (row, col) for row, keys in enumerate(_KEY_ROWS) for col, key in enumerate(keys)}
_VOWELS = frozenset("aeiouy")


def _keyboard_run(word: str) -> bool:
    """True when `word` is made only of runs of 3 or more neighbouring keys along one keyboard row, each run
    going one way ("asdf", "qwertyuiop", "asdfjkl", "poiuy"). Checked against a 170,000-entry English
    dictionary, only "qwerty" and the archaic "wert" are such words: real words ("typewriter", "property")
    always break the run."""
    if len(word) < 4 or any(ch not in _KEY_AT for ch in word):
        return False
    start = 0
    while start < len(word):
        end, step = start + 1, 0
        while end < len(word):
            (row_a, col_a), (row_b, col_b) = _KEY_AT[word[end - 1]], _KEY_AT[word[end]]
            if row_a != row_b or abs(col_b - col_a) != 1 or step not in (0, col_b - col_a):
                break
            step = col_b - col_a
            end += 1
        if end - start < 3:
            return False
        start = end
    return True


def _pair_repeated(word: str) -> bool:
    """True when `word` is one pair of letters repeated: "fjfjfjfj", "dkdk", "hahaha". Four letters with a
    vowel are spared, since those are real words ("mama", "papa", "tutu"); no longer ones are."""
    if len(word) < 4 or word[0] == word[1] or any(ch != word[i % 2] for i, ch in enumerate(word)):
        return False
    return len(word) >= 6 or not (_VOWELS & set(word))


def is_filler(word: str) -> bool:
    """A run of letters typed to get past the rules rather than to say something (see the two rules above)."""
    return _keyboard_run(word) or _pair_repeated(word)


def count_words(text: str) -> int:
    """Real words in `text`: runs of letters in any script, with their combining marks (a Hindi syllable is a
    letter and its vowel signs), two or more characters long, not one letter repeated ("xx", "zzzz") and not
    keyboard filler ("asdfgh", "fjfjfj"); each Chinese or Japanese ideograph or kana counts as one word. Digits
    and punctuation separate words; invisible characters are skipped, so they neither join nor split."""
    words = 0
    run: list[str] = []

    def close() -> int:
        real = (len(run) >= 2 and len(set(run)) >= 2 and any(unicodedata.category(c).startswith("L") for c in run)
                and not is_filler("".join(run)))
        run.clear()
        return int(real)

    for ch in unicodedata.normalize("NFC", text).casefold():
        if _spaceless(ch):
            words += close() + 1
        elif invisible(ch):
            continue
        elif unicodedata.category(ch)[0] in "LM":
            run.append(ch)
        else:
            words += close()
    return words + close()


def repeats_itself(text: str) -> bool:
    """True when the letters and digits of `text` are one character or one piece repeated ("xxxxxxxxxx",
    "ab ab ab ab ab", "asdasdasdasd"): the text has a period at most half its length."""
    s = [ch for ch in unicodedata.normalize("NFC", text).casefold() if ch.isalnum()]
    if len(s) < 2:
        return False
    # Knuth-Morris-Pratt's prefix function: the longest proper border of s gives its smallest period.
    border = [0] * len(s)
    k = 0
    for i in range(1, len(s)):
        while k and s[i] != s[k]:
            k = border[k - 1]
        if s[i] == s[k]:
            k += 1
        border[i] = k
    return len(s) - border[-1] <= len(s) // 2




def _hidden(text: str) -> str | None:
    """The first invisible character of `text` that real writing does not need, if any."""
    for i, ch in enumerate(text):
        if not invisible(ch) or ord(ch) in FORMAT_NEEDED:
            continue
        if ord(ch) in PRESENTATION_SELECTORS and i and unicodedata.category(text[i - 1]) == "So":
            continue  # an emoji's presentation selector
        return ch
    return None


def visible_length(text: str) -> int:
    """Characters that show as something other than punctuation: invisible characters and punctuation
    ("!!!!!!", "......") do not make a reason longer."""
    return sum(1 for ch in text if not invisible(ch) and not unicodedata.category(ch).startswith("P"))


@dataclass(frozen=True)
class Justification:
    category: ReasonCategory
    text: str
    operation_ref: str | None = None

    @classmethod
    def make(cls, category: str | ReasonCategory, text: str, operation_ref: str | None = None) -> Justification:
        try:
            cat = ReasonCategory(category)
        except ValueError:
            choices = ", ".join(c.value for c in ReasonCategory)
            raise ValidationError(f"Unknown reason '{str(category)[:40]}': one of {choices}.") from None
        body = clean(text, "The justification", limit=MAX_TEXT)
        hidden = _hidden(body)
        if hidden is not None:
            raise ValidationError(f"The justification contains an invisible character (U+{ord(hidden):04X}): "
                                  "type the reason as plain words.")
        if visible_length(body) < MIN_TEXT:
            raise ValidationError(f"Say why in at least {MIN_TEXT} characters.")
        # "xxxxxxxxxx" and keyboard filler pass a length rule; the access log needs a reason someone can read.
        if repeats_itself(body):
            raise ValidationError(REPEAT_REFUSED)
        if count_words(body) < 2:
            raise ValidationError(WORDS_EXPECTED)
        ref = (operation_ref or "").strip() or None
        if ref is not None and not _OPERATION_REF.fullmatch(ref):
            raise ValidationError("An operation reference is 2 to 40 letters, digits, spaces or / . _ -")
        if cat is ReasonCategory.LINKED_OPERATION and ref is None:
            raise ValidationError("A linked-operation reason needs the operation reference.")
        return cls(cat, body, ref)
