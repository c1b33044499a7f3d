"""The signed-in session and the open workspace every service call goes through."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from gvm_desktop.core.audit import Action, LogEntry, Outcome
from gvm_desktop.core.clock import Clock, to_iso
from gvm_desktop.core.errors import PermissionDenied, SessionLocked, StaleSession, VaultCorrupt
from gvm_desktop.core.governance import REQUIRED_COURSE, has_current
from gvm_desktop.core.policy import MATRIX_ACCESS, Permission, Role, require
from gvm_desktop.store import access_log, database, governance
from gvm_desktop.store.database import Connection
from gvm_desktop.store.device import DeviceSecrets
from gvm_desktop.store.keyslots import KdfParams
from gvm_desktop.store.vault import Vault


@dataclass(frozen=True)
class Environment:
    """What the services need from the outside world, injected by the composition root."""

    clock: Clock
    device: DeviceSecrets
    kdf: KdfParams
    workstation: str
    tz: str


@dataclass(frozen=True)
class Session:
    user_id: int
    username: str
    display_name: str
    role: Role
    bcu: str | None
    started_at: str


def system_entry(env: Environment, action: Action, outcome: Outcome, **fields: object) -> LogEntry:
    return LogEntry(
        at_utc=to_iso(env.clock.now()), tz=env.tz, workstation=env.workstation,
        action=action, outcome=outcome, **fields,  # type: ignore[arg-type]
    )


class Workspace:
    """A signed-in user's handle on the open vault; locked means no connection at all."""

    def __init__(self, vault: Vault, session: Session, env: Environment) -> None:
        self._vault: Vault | None = vault
        self.session = session
        self.env = env

    @property
    def locked(self) -> bool:
        return self._vault is None

    @property
    def vault(self) -> Vault:
        if self._vault is None:
            raise SessionLocked("The session is locked: unlock it with your password.")
        return self._vault

    @property
    def conn(self) -> Connection:
        return self.vault.conn

    def _detach(self) -> Vault | None:
        vault, self._vault = self._vault, None
        return vault

    def _attach(self, vault: Vault) -> None:
        self._vault = vault

    def entry(self, action: Action, outcome: Outcome = Outcome.ALLOWED, **fields: object) -> LogEntry:
        s = self.session
        return system_entry(
            self.env, action, outcome, user_id=s.user_id, username=s.username, role=s.role.value,
            bcu=s.bcu, **fields,
        )

    def _require_governance(self) -> None:
        """Officers reach records only with a SPOC's grant; officers and SPOCs only with current training."""
        role, today = self.session.role, self.env.clock.now().date()
        if role not in (Role.OFFICER, Role.SPOC):
            return
        if not has_current(governance.training(self.conn, self.session.user_id), today):
            raise PermissionDenied(f"Your '{REQUIRED_COURSE}' training is not recorded as current, so the matrix "
                                   "is closed to you until it is.")
        if role is Role.OFFICER and not governance.granted(self.conn, self.session.user_id):
            raise PermissionDenied("Your BCU's SPOC has not granted you access to the matrix yet.")

    @contextmanager
    def write(self) -> Iterator[Connection]:
        """One transaction: the work and its access-log entry commit together or not at all."""
        try:
            with database.transaction(self.conn) as conn:
                yield conn
            self.vault.write_checkpoint()
        except (StaleSession, VaultCorrupt):
            # The key was rotated under us, or the file is damaged (SQLCipher refuses the connection
            # from then on): this connection is useless; lock, so the next step is a fresh open.
            vault = self._detach()
            if vault is not None:
                vault.close()
            raise

    def authorize(self, permission: Permission, action: Action) -> None:
        """Refuse (and log the refusal) unless the session's role holds `permission`."""
        self.vault  # a locked session is refused before anything else  # noqa: B018
        try:
            require(self.session.role, permission)
            if permission in MATRIX_ACCESS:
                self._require_governance()
        except PermissionDenied as refusal:
            with self.write() as conn:
                access_log.append(conn, self.entry(action, Outcome.REFUSED, detail=refusal.message))
            raise
