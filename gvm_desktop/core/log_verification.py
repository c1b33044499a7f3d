"""What checking the access log's chain found (services/audit.py verifies; the GUI and the CLI say it)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class VerifyResult:
    intact: bool
    entries: int
    head_seq: int
    head_hash: str
    problems: tuple[str, ...]
    seconds: float
    key_fingerprint: str = ""
    first_use: bool = False  # the verification key was not pinned before this check

    @property
    def first_problem(self) -> str | None:
        return self.problems[0] if self.problems else None
