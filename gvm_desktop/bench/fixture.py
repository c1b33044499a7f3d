"""The throw-away vault the bench measures, and its decrypted copy for the plain baselines.

A demo vault at the real Argon2id cost (built and signed into through the services),
topped up with evidence and, if asked, a long access log. Some figures start after
the key derivation (opening the database, the first screen) and the baselines read
a decrypted copy, so the bench holds the data key the officer's password opens
(`keyslots.open_data_key`, the same steps as a sign-in); it reaches the tables
only through the store's units (`store/unit.py`), never through a connection.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TextIO

from gvm_desktop.app import App
from gvm_desktop.bench import plain
from gvm_desktop.bench.synthetic_log import SyntheticEntry, synthetic_entries
from gvm_desktop.core.audit import Action, LogEntry, Outcome
from gvm_desktop.core.clock import from_iso, to_iso
from gvm_desktop.core.demo_accounts import DEMO_ACCOUNTS, DemoAccount
from gvm_desktop.core.evidence import EvidenceDraft, EvidenceType, Grading, SourceType
from gvm_desktop.core.policy import Role
from gvm_desktop.services.context import Session
from gvm_desktop.store import keyslots, unit
from gvm_desktop.store.slot_file import KeySlotFile
from gvm_desktop.store.vault import Vault, load_slots

OFFICER: DemoAccount = DEMO_ACCOUNTS[0]
AUDITOR: DemoAccount = next(a for a in DEMO_ACCOUNTS if a.role is Role.AUDITOR)
_KINDS = (EvidenceType.GANG_ASSOCIATION, EvidenceType.SOCIAL_MEDIA, EvidenceType.WEAPONS_ACCESS)


@dataclass
class BenchVault:
    app: App
    slots: KeySlotFile
    data_key: bytes
    keys: dict[str, bytes]  # the officer's keyring: common's (data_key) and their BCU's
    officer: Session  # the officer's session as a sign-in made it, for workspaces opened with the derived key
    plain_copy: Path

    @property
    def bcu(self) -> str:
        assert self.officer.bcu is not None  # an officer always has a BCU
        return self.officer.bcu

    def reopen(self) -> Vault:
        """The vault opened with the already-derived key: what a sign-in does after Argon2id."""
        return Vault.with_keys(self.app.paths, self.slots, self.keys, self.app.env.device)

    def copy_plain(self) -> None:
        """Common and the officer's BCU's compartment in one plain file: the baselines' single-file vault."""
        self.plain_copy.unlink(missing_ok=True)
        folder = self.app.paths.folder
        keyslots.export_plaintext(self.app.paths.database, self.data_key, self.plain_copy, {
            folder / f"bcu-{name[4:]}.db": key for name, key in self.keys.items() if name.startswith("bcu:")})


def build(app: App, folder: Path, *, nominals: int, evidence_per_person: int, out: TextIO) -> BenchVault:
    app.auth.sign_out(app.create_demo(nominals).workspace)
    ws = app.auth.sign_in(OFFICER.username, OFFICER.password)
    session = ws.session
    app.auth.sign_out(ws)
    slots = load_slots(app.paths)
    ring = keyslots.open_keyring_with_password(slots, OFFICER.username, OFFICER.password, None)  # never bound
    bench = BenchVault(app, slots, ring["common"], ring, session, folder / "plain.db")
    total = top_up_evidence(bench, evidence_per_person, nominals)
    out.write(f"  evidence entries: {total:,}\n")
    bench.copy_plain()
    return bench


def top_up_evidence(bench: BenchVault, per_person: int, people: int) -> int:
    """Bring the evidence to `per_person` entries for each of the officer's BCU's people (the issue's 1,000,000 for
    100,000 is 10 each), spread at random over them; returns how many entries there are."""
    rng = random.Random(7)
    at = to_iso(bench.app.env.clock.now())
    vault = bench.reopen()
    try:
        with unit.transaction(vault) as u:
            ids = u.nominals.live_ids(bcu=None)
            have = sum(len(u.records.evidence(nid)) for nid in ids)
            # The officer's BCU's people (the ones the record figures open): `per_person` each, as at the scale.
            # In one statement, as the demo's own evidence goes in (records.add_evidence_many).
            entries: list[tuple[int, EvidenceDraft]] = []
            for i in range(max(0, per_person * len(ids) - have) if ids else 0):
                kind = rng.choice(_KINDS)
                entries.append((rng.choice(ids), EvidenceDraft(
                    kind, SourceType.POLICE, f"BENCH/{i}", Grading("2", "C", "P"),
                    date(rng.randint(2010, 2025), rng.randint(1, 9), rng.randint(10, 19)), "Synthetic benchmark entry.",
                    "Synthetic: seen on a public post." if kind is EvidenceType.SOCIAL_MEDIA else None)))
            u.records.add_evidence_many(entries, at, bench.officer.user_id)
    finally:
        vault.close()
    return max(have, per_person * len(ids)) if ids else have


def _log_entry(e: SyntheticEntry) -> LogEntry:
    return LogEntry(at_utc=e.at_utc, tz=e.tz, workstation=e.workstation, action=Action(e.action),
                    outcome=Outcome(e.outcome), user_id=e.user_id, username=e.username, role=e.role, bcu=e.bcu,
                    record_ref=e.record_ref, reason_category=e.reason_category, justification=e.justification,
                    detail=e.detail, operation_ref=e.operation_ref)


def add_synthetic_log(bench: BenchVault, count: int) -> int:
    """Append `count` synthetic entries to the vault's log (chained and MACed by the store, entry by
    entry) and the same rows to the plain copy's; returns how many entries the copy's log holds."""
    vault = bench.reopen()
    try:
        with unit.transaction(vault) as u:
            last = u.log.last_time()
            after = from_iso(last) if last else bench.app.env.clock.now()
            for e in synthetic_entries(count, after):
                u.log.append(_log_entry(e))
    finally:
        vault.close()
    conn = plain.connect(bench.plain_copy)
    try:
        return plain.add_log_entries(conn, synthetic_entries(count, after))
    finally:
        conn.close()
