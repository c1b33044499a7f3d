"""The guide's "press **Label** (**Alt+X**)" matches the label in the code: a renamed mnemonic updates the guide."""

from __future__ import annotations

import re
from importlib import resources
from pathlib import Path

import gvm_desktop

CLAIM = re.compile(r"\*\*([^*]+?)\*\*(?: tab| bar)? \(\*\*Alt\+([A-Z])\b")
LITERAL = re.compile(r"""(?:f?"([^"\n]*&[A-Za-z][^"\n]*)")""")


def _labels_in_code() -> dict[str, set[str]]:
    """Every label with a mnemonic in the GUI's source: its words (no '&', no '…') and the letters it answers to."""
    found: dict[str, set[str]] = {}
    for path in Path(gvm_desktop.__file__).parent.joinpath("gui").rglob("*.py"):
        for text in LITERAL.findall(path.read_text(encoding="utf-8")):
            letter = re.search(r"&([A-Za-z])", text.replace("&&", ""))
            if letter:
                words = re.sub(r"\s*\(.*$|…|:$", "", text.replace("&", "")).strip()
                found.setdefault(words.lower(), set()).add(letter.group(1).upper())
    return found


def test_every_alt_key_the_guide_names_is_the_labels_own() -> None:
    labels = _labels_in_code()
    wrong = []
    claims = 0
    for guide in resources.files("gvm_desktop.resources").joinpath("guide").iterdir():
        if not guide.name.endswith(".md"):
            continue
        for label, letter in CLAIM.findall(guide.read_text(encoding="utf-8")):
            claims += 1
            words = re.sub(r"\s*\(.*$|…", "", label).strip().lower()
            letters = labels.get(words)
            if letters is None or letter not in letters:
                wrong.append(f"{guide.name}: **{label}** Alt+{letter}; the code has {sorted(letters or [])}")
    assert claims > 40  # the guide does name its keys
    assert not wrong, "\n".join(wrong)
