"""Why a person's record is being opened: asked before any personal data is read."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from gvm_desktop.core.errors import ValidationError
from gvm_desktop.core.text import clean

MIN_TEXT = 10
MAX_TEXT = 500
_OPERATION_REF = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 /._-]{1,39}$")


class ReasonCategory(StrEnum):
    LINKED_OPERATION = "linked_operation"
    SAFEGUARDING = "safeguarding"
    QUARTERLY_REVIEW = "quarterly_review"
    INTELLIGENCE_DEVELOPMENT = "intelligence_development"
    PARTNER_REFERRAL = "partner_referral"
    OTHER = "other"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ").capitalize()


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
        if len(body) < MIN_TEXT:
            raise ValidationError(f"Say why in at least {MIN_TEXT} characters.")
        ref = (operation_ref or "").strip() or None
        if ref is not None and not _OPERATION_REF.fullmatch(ref):
            raise ValidationError("An operation reference is 2 to 40 letters, digits, spaces or / . _ -")
        if cat is ReasonCategory.LINKED_OPERATION and ref is None:
            raise ValidationError("A linked-operation reason needs the operation reference.")
        return cls(cat, body, ref)
