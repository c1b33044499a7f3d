"""Password, username and display-name rules, checked before any key slot is written."""

from __future__ import annotations

import re
import secrets
import tomllib
import unicodedata
from functools import cache
from importlib import resources
from typing import Any

from zxcvbn import zxcvbn

from gvm_desktop.core.errors import ValidationError
from gvm_desktop.core.text import check_no_hidden_controls

MIN_LENGTH = 12
MAX_LENGTH = 256
# zxcvbn refuses more than 72 characters (ValueError), and its cost grows with length: it judges the first 72.
_ZXCVBN_PREFIX = 72
MIN_ZXCVBN_SCORE = 3
MAX_DISPLAY_NAME = 80
# Six words from 440: about 52.7 bits, well past what zxcvbn's score 3 asks, and easy to read out.
PASSPHRASE_WORDS = 6

_USERNAME = re.compile(r"^[a-z][a-z0-9._-]{2,31}$")


def normalise_username(name: str) -> str:
    return name.strip().lower()


def check_username(name: str) -> str:
    """Return the normalised username or say exactly what is wrong with it."""
    norm = normalise_username(name)
    # Named first, so the refusal says which character and why rather than only the pattern.
    check_no_hidden_controls(norm, "A username")
    if not _USERNAME.fullmatch(norm):
        raise ValidationError(
            "A username is 3 to 32 characters: a letter first, then letters, digits, '.', '_' or '-'."
        )
    return norm


def check_display_name(name: str) -> str:
    """Return the trimmed display name or say exactly what is wrong with it.

    Right-to-left letters are welcome; the controls that reorder or hide text are not,
    because the access log and the account list show this name as who did what.
    """
    name = name.strip()
    if not name:
        raise ValidationError("A display name is required.")
    if len(name) > MAX_DISPLAY_NAME:
        raise ValidationError(f"A display name is at most {MAX_DISPLAY_NAME} characters.")
    if any(unicodedata.category(ch) == "Cc" for ch in name):  # C0, DEL and C1 alike
        raise ValidationError("A display name cannot contain control characters.")
    check_no_hidden_controls(name, "A display name")
    return name


def check_password(password: str, username: str) -> None:
    """Refuse short, long, NUL-holding, username-containing or trivially guessable passwords."""
    if "\0" in password:
        # A NUL can arrive through --password-stdin but can never be typed at a terminal or in
        # the sign-in window, and anything handling the password as a C string stops at it.
        raise ValidationError("The password may not contain a NUL character.")
    if len(password) < MIN_LENGTH:
        raise ValidationError(f"The password is too short: use at least {MIN_LENGTH} characters.")
    if len(password) > MAX_LENGTH:
        raise ValidationError(f"The password is too long: use at most {MAX_LENGTH} characters.")
    if username and normalise_username(username) in password.lower():
        raise ValidationError("The password must not contain the username.")
    result = _judged(password, username)
    if result["score"] < MIN_ZXCVBN_SCORE:
        hint = result["feedback"].get("warning") or "it is too easy to guess"
        raise ValidationError(f"The password is too easy to guess ({hint.rstrip('.').lower()}); choose a longer passphrase.")


def strength(password: str, username: str) -> int:
    """zxcvbn's score, 0 (very weak) to 4 (very strong), judged as check_password judges: for a meter."""
    return int(_judged(password, username)["score"]) if password else 0


def _judged(password: str, username: str) -> dict[str, Any]:
    return zxcvbn(password[:_ZXCVBN_PREFIX], user_inputs=[username, "gvm", "matrix", "police"])


def generated_passphrase() -> str:
    """Six words drawn with `secrets` from the shipped list, joined by '-': for a PDF its reader must be told."""
    words = _passphrase_words()
    return "-".join(secrets.choice(words) for _ in range(PASSPHRASE_WORDS))


@cache
def _passphrase_words() -> tuple[str, ...]:
    with resources.files("gvm_desktop.resources").joinpath("passphrase_words.toml").open("rb") as fh:
        words = tuple(dict.fromkeys(tomllib.load(fh)["words"]))
    return words
