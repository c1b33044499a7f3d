"""The words the review tab shows for what the review services return (decisions, verdicts, flags, the status
line), and the tab's look.

Kept apart from the widgets so the tab and its dialogs say the same thing in the same words.
"""

from __future__ import annotations

from collections.abc import Sequence

from gvm_desktop.core.labels import decision_label, verdict_label
from gvm_desktop.core.local_time import local_day_text
from gvm_desktop.core.review import (
    FLAG_LABELS,
    FLAG_TERMS,
    MIN_OWN_WORDS,
    FocusFlag,
    Quarter,
    Recommendation,
    ReusedRationale,
    own_words,
)
from gvm_desktop.core.review_views import ReviewItem, ReviewSummary

DECISION_TIPS: dict[Recommendation, str] = {
    Recommendation.RETAIN: "Keep the person on the matrix; their last-reviewed date moves to the sign-off day",
    Recommendation.REMOVE: "Take the person off the matrix when the review is signed (archived, as any removal)",
    Recommendation.RESCORE: "Keep the person and score them again from their recorded events when the review is signed",
}
# The letter Alt+ chooses each decision with, in the dialogs' radio buttons ("R" is taken by the rationale's box).
DECISION_KEYS: dict[Recommendation, str] = {Recommendation.RETAIN: "e", Recommendation.REMOVE: "m",
                                            Recommendation.RESCORE: "s"}


# Only this tab's shapes; the colours of each state are the application stylesheet's (style.py), which follows
# a light or dark palette.
REVIEW_STYLE = """
QLabel#reviewStatus { font-size: 12pt; font-weight: bold; padding: 4px 8px; border-radius: 3px; }
QLabel#undecidedRefs { font-weight: bold; padding: 4px 0px 4px 8px; }
QLabel#reusedRationale { padding: 4px 8px; }
"""


def flags_text(flags: Sequence[FocusFlag]) -> str:
    return "; ".join(FLAG_LABELS[f] for f in flags)


def decision_text(value: Recommendation | None) -> str:
    return decision_label(value)


def decision_button_text(value: Recommendation) -> str:
    """The decision's label with its Alt+ letter marked; unmarked if a relabelling dropped that letter."""
    label = decision_label(value)
    at = label.lower().find(DECISION_KEYS[value])
    return label if at < 0 else f"{label[:at]}&{label[at:]}"


def verdict_text(item: ReviewItem) -> str:
    return verdict_label(item.verdict)


def is_undecided(item: ReviewItem) -> bool:
    """As the service counts it at sign-off: no recommendation, or no SPOC verdict on it.

    Someone who left the matrix while the review was open has nothing left to decide."""
    return not item.removed and (item.recommendation is None or item.verdict is None)


def unaddressed(flags: Sequence[FocusFlag], text: str) -> list[FocusFlag]:
    """The flags a retain rationale does not touch on yet: a live hint only; the service decides (check_rationale)."""
    folded = " ".join(text.split()).casefold()
    return [f for f in flags if not any(term in folded for term in FLAG_TERMS[f])]


def only_restates(text: str) -> bool:
    """A live hint only, as the service counts it (check_rationale): too few words beyond the flags' own."""
    return bool(text.strip()) and len(own_words(text)) < MIN_OWN_WORDS


def reused_text(groups: Sequence[ReusedRationale]) -> str:
    """The sign-off warning: each rationale given for several people kept, with their references and the text."""
    if not groups:
        return ""
    lines = [f"Warning: {g.sentence}\nThe rationale: “{g.text}”" for g in groups]
    return "\n\n".join([*lines, "Signing is not blocked by this, and the review sheet prints it. Read these people's "
                                  "rationales before you sign: each should say why this person, not people like them."])


def flag_prompt(flag: FocusFlag) -> str:
    """A flag and a few of the words that count as addressing it, so the rule is not a guessing game."""
    words = ", ".join(f"“{t}”" for t in FLAG_TERMS[flag][:3])
    return f"{FLAG_LABELS[flag]} (e.g. {words})"


def status_of(summary: ReviewSummary | None, quarter: str) -> tuple[str, str]:
    """(state, sentence) for the status line: none, open, signed or overdue."""
    if summary is None:
        return "none", f"No review of {quarter} has been opened."
    if summary.signed_at:
        return "signed", f"Signed by {summary.signed_by or 'an unknown account'} on {local_day_text(summary.signed_at)}"
    undecided = summary.people - summary.decided  # a verdict needs a recommendation first
    if summary.overdue:
        ended = Quarter.parse(summary.quarter).ends.isoformat()
        return "overdue", (f"OVERDUE: {summary.quarter} ended on {ended} and this review is not signed; "
                           f"{undecided} of {summary.people} still to decide")
    return "open", f"Open since {local_day_text(summary.opened_at)}; {undecided} of {summary.people} still to decide"
