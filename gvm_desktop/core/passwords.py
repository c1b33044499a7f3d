"""Password and username rules, checked before any key slot is written."""

from __future__ import annotations

import re

from zxcvbn import zxcvbn

from gvm_desktop.core.errors import ValidationError

MIN_LENGTH = 12
MAX_LENGTH = 256
# zxcvbn's cost grows with length; past this it has seen enough to judge.
_ZXCVBN_PREFIX = 100
MIN_ZXCVBN_SCORE = 3

_USERNAME = re.compile(r"^[a-z][a-z0-9._-]{2,31}$")


def normalise_username(name: str) -> str:
    return name.strip().lower()


def check_username(name: str) -> str:
    """Return the normalised username or say exactly what is wrong with it."""
    norm = normalise_username(name)
    if not _USERNAME.fullmatch(norm):
        raise ValidationError(
            "A username is 3 to 32 characters: a letter first, then letters, digits, '.', '_' or '-'."
        )
    return norm


def check_password(password: str, username: str) -> None:
    """Refuse short, long, username-containing or trivially guessable passwords."""
    if len(password) < MIN_LENGTH:
        raise ValidationError(f"The password is too short: use at least {MIN_LENGTH} characters.")
    if len(password) > MAX_LENGTH:
        raise ValidationError(f"The password is too long: use at most {MAX_LENGTH} characters.")
    if username and normalise_username(username) in password.lower():
        raise ValidationError("The password must not contain the username.")
    result = zxcvbn(password[:_ZXCVBN_PREFIX], user_inputs=[username, "gvm", "matrix", "police"])
    if result["score"] < MIN_ZXCVBN_SCORE:
        hint = result["feedback"].get("warning") or "it is too easy to guess"
        raise ValidationError(f"The password is too easy to guess ({hint.rstrip('.').lower()}); choose a longer passphrase.")
