"""The BCU compartments one open vault has attached, and the views over them (issue 13).

A session holds the keys its slot unwraps; this attaches the BCU compartments among
them to the one connection and keeps the TEMP views (compartments.install_views) over
exactly the attached ones. SQLite attaches at most ten files to a connection, so a
slot holding more BCU keys than ATTACH_AT_OPEN (an auditor's, the recovery slot's)
attaches none at sign-in and one when an operation needs it, keeping the most
recently used up to the limit.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from gvm_desktop.core.errors import StorageError, VaultCorrupt
from gvm_desktop.store import compartments
from gvm_desktop.store.database import Connection

BCU_PREFIX = "bcu:"
DSA_PREFIX = "dsa:"
# Room for the agreements' preview compartments beside the BCUs, under SQLite's ten.
ATTACH_AT_OPEN = 6


def key_name(code: str) -> str:
    """The keyring's name of a BCU's compartment key: "bcu:CE"."""
    return BCU_PREFIX + compartments.bcu(code).label


def code_of(name: str) -> str | None:
    """The BCU code a keyring name stands for, or None for common and agreements."""
    if not name.startswith(BCU_PREFIX):
        return None
    return compartments.bcu(name[len(BCU_PREFIX):]).label


def agreement_key_name(dsa_id: int) -> str:
    """The keyring's name of an agreement's preview key: "dsa:7"."""
    return DSA_PREFIX + compartments.agreement(dsa_id).label


def agreement_of(name: str) -> int | None:
    if not name.startswith(DSA_PREFIX):
        return None
    return int(compartments.agreement(int(name[len(DSA_PREFIX):])).label)


# Which id range each BCU's compartment allocates from, for ever: a BCU added to core.people.BCUS later takes
# the next number here (its compartment is made by the first auditor or recovery session that opens the vault).
ID_INDEX: Mapping[str, int] = {code: n for n, code in enumerate(
    ("CE", "CN", "CS", "CW", "EA", "NA", "NE", "NW", "SE", "SN", "SW", "WA"), start=1)}


def id_index(code: str) -> int:
    """Which id range the BCU's compartment allocates from (1 upwards, fixed for each BCU)."""
    if code not in ID_INDEX:
        raise RuntimeError(f"BCU {code} has no id range: give it the next number in held_compartments.ID_INDEX")
    return ID_INDEX[code]


class HeldCompartments:
    """The BCU compartments attached to `conn`, most recently used last."""

    def __init__(self, conn: Connection, folder: Path) -> None:
        self._conn = conn
        self._folder = folder
        self.attached: list[str] = []
        self.agreements: list[int] = []  # preview compartments attached (for the whole session)
        self.status_tags = False  # the connection computes status tags (the session holds the status key)

    def attach_all(self, keys: Mapping[str, bytes], next_keys: Mapping[str, bytes]) -> list[str]:
        """At opening: every held BCU when they fit, else none. The codes whose next key opened (a rotation to finish)."""
        codes = sorted(c for c in (code_of(n) for n in keys) if c is not None)
        rotated: list[str] = []
        if len(codes) <= ATTACH_AT_OPEN:
            for code in codes:
                if self._attach(code, keys, next_keys):
                    rotated.append(code)
        for dsa_id in sorted(d for d in (agreement_of(n) for n in keys) if d is not None):
            self.attach_agreement(dsa_id, keys[agreement_key_name(dsa_id)], install=False)
        self.install()
        return rotated

    def attach_agreement(self, dsa_id: int, key: bytes, *, install: bool = True) -> bool:
        """Attach an agreement's preview compartment, if its file exists (a holder creates it)."""
        compartment = compartments.agreement(dsa_id)
        if dsa_id in self.agreements or not compartment.path(self._folder).exists():
            return False
        limit = compartments.max_attached(self._conn)
        while len(self.attached) > 1 and len(self.attached) + len(self.agreements) >= limit:
            # Room made by the BCUs used least recently; the one just reached (the preview's own) stays.
            compartments.detach(self._conn, compartments.bcu(self.attached.pop(0)))
        if len(self.attached) + len(self.agreements) >= limit:
            return False
        compartments.attach(self._conn, self._folder, compartment, key)
        self.agreements.append(dsa_id)
        if install:
            self.install()
        return True

    def ensure(self, code: str, keys: Mapping[str, bytes], next_keys: Mapping[str, bytes]) -> bool:
        """Attach `code`'s compartment if it is not (outside a transaction). Whether its next key opened it."""
        if code in self.attached:
            self.attached.remove(code)
            self.attached.append(code)
            return False
        if self._conn.in_transaction:
            raise RuntimeError(f"The compartment of {code} must be attached before the operation's transaction.")
        while self.attached and len(self.attached) + len(self.agreements) >= compartments.max_attached(self._conn):
            compartments.detach(self._conn, compartments.bcu(self.attached.pop(0)))
        rotated = self._attach(code, keys, next_keys)
        self.install()
        return rotated

    def _attach(self, code: str, keys: Mapping[str, bytes], next_keys: Mapping[str, bytes]) -> bool:
        name = key_name(code)
        if name not in keys:
            raise StorageError(f"This session holds no key to BCU {code}'s compartment.")
        compartment = compartments.bcu(code)
        try:
            compartments.attach(self._conn, self._folder, compartment, keys[name])
            rotated = False
        except VaultCorrupt:
            # A rotation stopped after the file was rekeyed: its next key is the live one.
            if name not in next_keys:
                raise
            compartments.attach(self._conn, self._folder, compartment, next_keys[name])
            rotated = True
        self.attached.append(code)
        return rotated

    def detach(self, code: str) -> None:
        if code in self.attached:
            compartments.detach(self._conn, compartments.bcu(code))
            self.attached.remove(code)
            self.install()

    def detach_all(self) -> None:
        for code in list(self.attached):
            compartments.detach(self._conn, compartments.bcu(code))
        self.attached.clear()
        self.install()

    def install(self) -> None:
        """The views over the attached BCUs, and the triggers keeping each attached preview whose BCU is attached."""
        from gvm_desktop.store.agreements import by_id  # the register in common

        if self._conn.execute("SELECT 1 FROM main.sqlite_master WHERE type = 'table' AND name = 'nominals'").fetchone():
            return  # not split yet (the split runs next): views named like common's tables would hide them

        kept = [a for a in (by_id(self._conn, d) for d in self.agreements) if a is not None and a.bcu in self.attached]
        compartments.install_views(self._conn, sorted(self.attached), kept, status_tags=self.status_tags)
