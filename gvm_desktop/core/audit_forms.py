"""An audit form: the question put to a user about one log entry (why they opened a record), and their answer."""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple


@dataclass(frozen=True)
class AuditForm:
    id: int
    log_seq: int
    subject: str | None  # the username of the account asked
    issued_at: str
    issued_by: str
    answer: str | None
    answered_at: str | None


class AuditAnswer(NamedTuple):
    """A recorded answer, by the form that holds it."""

    form_id: int
    answer: str
