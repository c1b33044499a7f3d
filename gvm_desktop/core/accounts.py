"""An account as the services hand it out (no key material, ever)."""

from __future__ import annotations

from dataclasses import dataclass

from gvm_desktop.core.policy import Role


@dataclass(frozen=True)
class Account:
    id: int
    username: str
    display_name: str
    role: Role
    bcu: str | None
    status: str
    created_at: str
    last_signin_at: str | None
    slot_version: int

    @property
    def active(self) -> bool:
        return self.status == "active"
