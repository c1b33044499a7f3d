"""The signed-in session and the open workspace every service call goes through."""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

from gvm_desktop.core.audit import Action, LogEntry, Outcome
from gvm_desktop.core.clock import Clock, to_iso
from gvm_desktop.core.errors import GvmError, PermissionDenied, SessionLocked, StaleSession, VaultCorrupt
from gvm_desktop.core.governance import REQUIRED_COURSE, has_current
from gvm_desktop.core.machine_policy import NO_POLICY, MachinePolicy
from gvm_desktop.core.policy import MATRIX_ACCESS, Permission, Role, require
from gvm_desktop.store import unit
from gvm_desktop.store.device import DeviceSecrets
from gvm_desktop.store.keyslots import KdfParams
from gvm_desktop.store.protocols import Unit
from gvm_desktop.store.vault import Vault


@dataclass(frozen=True)
class Environment:
    """What the services need from the outside world, injected by the composition root."""

    clock: Clock
    device: DeviceSecrets
    kdf: KdfParams
    workstation: str
    tz: str
    machine_policy: MachinePolicy = NO_POLICY  # the workstation administrator's, above any vault setting


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
        action=action, outcome=outcome, **fields,  # type: ignore[arg-type]  # LogEntry checks its own fields
    )


class Operation:
    """One use case in progress: its repositories, its log entries, and the refusal it may end in.

    Got from `Workspace.operation()`, valid inside that `with` block only.
    """

    def __init__(self, ws: Workspace, unit: Unit, vault: Vault, action: Action, *, writes: bool,
                 joins: Operation | None = None) -> None:
        self.store = unit
        self.vault = vault  # key slots and the log's verification key: store objects, never SQL
        self.session = ws.session
        self.env = ws.env
        self.action = action
        self._ws = ws
        self._writes = writes
        self.logged = 0
        self.refusal: LogEntry | None = None
        # The outermost operation, which owns the transaction and logs a refusal after rolling back.
        self._root: Operation = self if joins is None else joins._root

    @property
    def is_demo(self) -> bool:
        """Whether this is a demo vault (the meta flag services/vaults.py sets): its PDFs say so on every page."""
        return self.store.meta.get_meta("demo") == "1"

    def entry(self, action: Action | None = None, outcome: Outcome = Outcome.ALLOWED, **fields: object) -> LogEntry:
        return self._ws.entry(action or self.action, outcome, **fields)

    def log(self, action: Action | None = None, outcome: Outcome = Outcome.ALLOWED, **fields: object) -> int:
        """Append an entry (this operation's action unless another is named) inside the transaction."""
        return self.append(self.entry(action, outcome, **fields))

    def append(self, entry: LogEntry) -> int:
        if not self._writes:
            raise RuntimeError("A read-only operation cannot write the access log: open it with writes=True.")
        self.logged += 1
        return self.store.log.append(entry)

    def refuse(self, error: GvmError, *, action: Action | None = None, outcome: Outcome = Outcome.REFUSED,
               record_ref: str | None = None, logged_reason: str | None = None) -> GvmError:
        """Hand back `error` to raise; the operation rolls back, then logs the refusal on its own.

        `logged_reason` is for when the auditor must read more than the user may be told:
        the log keeps the true reason, the user sees `error`.
        """
        self.refusal = self.entry(action, outcome, record_ref=record_ref, detail=logged_reason or error.message)
        self._root.refusal = self.refusal
        return error

    def authorize(self, permission: Permission, action: Action | None = None) -> None:
        """A further permission this use case needs; refused (and logged) like the first."""
        try:
            self._ws._check(permission)
        except PermissionDenied as refusal:
            raise self.refuse(refusal, action=action) from None


class Workspace:
    """A signed-in user's handle on the open vault; locked means no connection at all.

    There is one way in: `operation()`. It takes the session's lock (one thread at a time
    uses the connection: the GUI thread, lazy table pages and the worker alike),
    authorizes, opens the transaction, runs the use case, and commits it with its
    access-log entries, or rolls back and logs the refusal the use case ended in.
    """

    def __init__(self, vault: Vault, session: Session, env: Environment) -> None:
        self._vault: Vault | None = vault
        self.session = session
        self.env = env
        self._lock = threading.RLock()
        self._active: Operation | None = None

    @property
    def locked(self) -> bool:
        return self._vault is None

    def _open_vault(self) -> Vault:
        if self._vault is None:
            raise SessionLocked("The session is locked: unlock it with your password.")
        return self._vault

    def _detach(self) -> Vault | None:
        with self._lock:  # waits for an operation under way on another thread
            vault, self._vault = self._vault, None
            return vault

    def _attach(self, vault: Vault) -> None:
        with self._lock:
            self._vault = vault

    def entry(self, action: Action, outcome: Outcome = Outcome.ALLOWED, **fields: object) -> LogEntry:
        s = self.session
        return system_entry(
            self.env, action, outcome, user_id=s.user_id, username=s.username, role=s.role.value,
            bcu=s.bcu, **fields,
        )

    def _require_governance(self, unit: Unit) -> None:
        """Officers reach records only with a SPOC's grant; officers and SPOCs only with current training."""
        role, today = self.session.role, self.env.clock.now().date()
        if role not in (Role.OFFICER, Role.SPOC):
            return
        if not has_current(unit.governance.training(self.session.user_id), today):
            raise PermissionDenied(f"Your '{REQUIRED_COURSE}' training is not recorded as current, so the matrix "
                                   "is closed to you until it is.")
        if role is Role.OFFICER and not unit.governance.granted(self.session.user_id):
            raise PermissionDenied("Your BCU's SPOC has not granted you access to the matrix yet.")

    def _require_bcu_key(self, vault: Vault) -> None:
        """An officer or SPOC works on their BCU's records only with its key (taken by `_reach` if just sealed to
        them). Said plainly rather than failing inside the database: a new vault's BCU keys are held by its
        recovery slot alone until delivered (services/vaults.py deliver_keys_with_recovery)."""
        bcu = self.session.bcu
        if self.session.role in (Role.OFFICER, Role.SPOC) and bcu is not None and bcu not in vault.held_bcus():
            raise PermissionDenied(f"You hold no key to the {bcu} BCU's records yet. The first keys of a new vault "
                                   "are given with its recovery code ('gvm-desktop keys deliver'); after that, "
                                   "a colleague who holds them passes them on when they sign in.")

    def _check(self, permission: Permission) -> None:
        require(self.session.role, permission)
        machine = self.env.machine_policy
        if permission is Permission.EXPORT_UNENCRYPTED and machine.forbids_unencrypted_exports:
            raise PermissionDenied(f"Exporting without a password is forbidden by {machine.why()}: "
                                   "choose a password for the PDF.")
        if permission in MATRIX_ACCESS:
            self._require_governance(unit.reading(self._open_vault()))

    @contextmanager
    def operation(self, permission: Permission | None, action: Action, *, writes: bool = True,
                  alone: bool = False, bcus: Sequence[str] = (), person: str | None = None) -> Iterator[Operation]:
        """The use case `action`, allowed by `permission` (None: any signed-in session), as one transaction.

        With `writes` (the default) the transaction is BEGIN IMMEDIATE and whatever the use
        case logs commits with its work or not at all. A read (`writes=False`) opens no
        transaction and may not log: it is also the mode for work on the vault itself
        (rotating its key, flushing its WAL, walking the whole log), which SQLite refuses
        inside a transaction or which must not hold the write lock for long; such work
        logs its outcome in a following write operation. Either way the session's lock is
        held, so no other thread uses the connection meanwhile. An operation opened inside
        another on the same thread joins it: one transaction, one outcome. Vault work says
        `alone=True`, and is refused inside a write: it would silently join the transaction
        (SQLite would refuse a VACUUM or a checkpoint there, or a rollback would undo the
        entry its effect relies on).

        `bcus` (codes) and `person` (a record reference) name the BCU compartments the use case
        reaches: a session that holds their keys without having them attached (an auditor's
        holds twelve, more than a connection attaches) attaches them before the transaction
        begins. Reaching one whose key the session does not hold changes nothing: its people
        are simply not there, and the use case's own scope checks answer.
        """
        with self._lock:
            vault = self._open_vault()  # a locked session is refused before anything else
            outer = self._active
            if alone and outer is not None and outer._writes:
                raise RuntimeError(f"{action.value}: vault work cannot run inside a write operation.")
            # Joined: inside a write, everything; inside a read (no transaction), other reads. A
            # write inside a read has a transaction of its own.
            if outer is not None and (outer._writes or not writes):
                joined = Operation(self, outer.store, vault, action, writes=outer._writes, joins=outer)
                if permission is not None:
                    joined.authorize(permission)
                yield joined
                return
            if permission is not None:
                try:
                    self._check(permission)
                except PermissionDenied as refusal:
                    self._log_alone(vault, self.entry(action, Outcome.REFUSED, detail=refusal.message))
                    raise
            self._reach(vault, bcus, person)
            if permission in MATRIX_ACCESS:
                try:
                    self._require_bcu_key(vault)
                except PermissionDenied as refusal:
                    self._log_alone(vault, self.entry(action, Outcome.REFUSED, detail=refusal.message))
                    raise
            op: Operation | None = None
            try:
                with self._unit(vault, writes) as u:
                    op = self._active = Operation(self, u, vault, action, writes=writes)
                    yield op
            except GvmError:
                if op is not None and op.refusal is not None:
                    self._log_alone(vault, op.refusal)
                raise
            finally:
                self._active = outer

    def _reach(self, vault: Vault, bcus: Sequence[str], person: str | None) -> None:
        self._take_new_keys(vault)
        if set(vault.held_bcus()) <= set(vault.held.attached):
            return  # everything this session may reach is attached already (an officer's or SPOC's session)
        codes = list(bcus)
        if person is not None:
            found = unit.reading(vault).person_index.bcu_of(person)
            if found is not None:
                codes.append(found)
        for code in codes:
            if code not in vault.held.attached and code in vault.held_bcus():
                vault.hold_bcu(code)

    def _take_new_keys(self, vault: Vault) -> None:
        """An officer granted, a SPOC given their BCU, a partner given a preview while signed in: the key sealed to
        their slot is taken now, logged as a pin's first use, rather than at their next sign-in."""
        role, held = self.session.role, vault.held_bcus()
        wants = ((role in (Role.OFFICER, Role.SPOC) and self.session.bcu not in held)
                 or (role is Role.PARTNER and not vault.attached_agreements()))
        if not wants:
            return
        changes = vault.take_new_keys()
        if changes:
            self._log_alone(vault, self.entry(Action.KEY_PIN, detail="; ".join(c.describe() for c in changes)))
        if changes:
            vault.pin_keys()

    @contextmanager
    def _unit(self, vault: Vault, writes: bool) -> Iterator[Unit]:
        try:
            if writes:
                with unit.transaction(vault) as u:
                    yield u
            else:
                yield unit.reading(vault)
        except (StaleSession, VaultCorrupt):
            # The key was rotated under us, or the file is damaged (SQLCipher refuses the connection
            # from then on): this connection is useless; lock, so the next step is a fresh open.
            self._vault = None
            vault.close()
            raise

    def _log_alone(self, vault: Vault, entry: LogEntry) -> None:
        """Commit one entry on its own: a refusal is logged even though the call then raises."""
        with self._unit(vault, True) as u:
            u.log.append(entry)
