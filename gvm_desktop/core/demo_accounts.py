"""The demo vault's accounts: published on purpose (README, sign-in window), since a demo vault holds only
synthetic people. Here, in core, so the sign-in window lists them at its first paint, before the services load."""

from __future__ import annotations

from dataclasses import dataclass

from gvm_desktop.core.policy import Role

DEMO_BCU = "CE"


@dataclass(frozen=True)
class DemoAccount:
    username: str
    display_name: str
    role: Role
    bcu: str | None
    password: str


DEMO_ACCOUNTS: tuple[DemoAccount, ...] = (
    DemoAccount("demo.officer", "PC Demo Officer", Role.OFFICER, DEMO_BCU, "lantern-quarry-officer-7"),
    DemoAccount("demo.spoc", "DSupt Demo SPOC", Role.SPOC, DEMO_BCU, "harbour-violet-spoc-42"),
    DemoAccount("demo.auditor", "Demo Auditor", Role.AUDITOR, None, "granite-meadow-audit-19"),
    DemoAccount("demo.partner", "Demo Partner (Probation)", Role.PARTNER, DEMO_BCU, "orchard-copper-partner-5"),
    DemoAccount("demo.admin", "Demo Administrator", Role.ADMIN, None, "compass-thistle-admin-88"),
)
