"""Signing in, locking, unlocking and signing out."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from gvm_desktop.core.audit import Action, LogEntry, Outcome
from gvm_desktop.core.clock import to_iso
from gvm_desktop.core.errors import AccountLocked, AuthenticationError, PermissionDenied, StaleSession, VaultCorrupt
from gvm_desktop.core.passwords import normalise_username
from gvm_desktop.core.policy import Role
from gvm_desktop.core.settings import LOCKOUT_THRESHOLD
from gvm_desktop.services.context import Environment, Operation, Session, Workspace, system_entry
from gvm_desktop.services.key_custody import keys_at_sign_in
from gvm_desktop.store import keyslots, unit
from gvm_desktop.store.files import VaultPaths
from gvm_desktop.store.keyslots import KeySlotFile
from gvm_desktop.store.protocols import Unit
from gvm_desktop.store.throttle import PendingEvent, SigninThrottle
from gvm_desktop.store.vault import Vault, load_slots

WRONG_CREDENTIALS = "Sign-in failed: the username or password is wrong."
# `gvm-desktop bind` (services/vaults.py bind_vault) binds the vault, on a workstation bound to another one too, and
# each account's slot is bound at its next sign-in here (AuthService._bind_own_slot): the cure named works.
UNBOUND_REFUSAL = ("This vault is not bound to this workstation, and {why} requires vaults to be: it is not opened "
                   "here. Ask the vault's administrator to bind it with the recovery code: gvm-desktop bind. "
                   "Your account is then bound at your next sign-in here.")
# The read-only open writes no file, so it cannot bind the slot itself: a sign-in does.
UNBOUND_SLOT_REFUSAL = ("This vault is bound to this workstation but your account is not yet, and {why} requires it: "
                        "sign in once (the application, or any command with --as) to bind your account, then try again.")
SLOT_BOUND = "this account's key slot bound to this workstation, at its first opening since the vault was bound"
UNBOUND_LOGGED = "the vault is not bound to this workstation, which {why} requires"

_PENDING_ACTIONS = {
    "wrong_password": (Action.SIGN_IN_FAILED, Outcome.FAILED, "wrong password"),
    "unknown_user": (Action.SIGN_IN_FAILED, Outcome.FAILED, "unknown username (the text typed is not kept)"),
    "locked": (Action.SIGN_IN_FAILED, Outcome.REFUSED, "account locked"),
    "account_locked": (Action.ACCOUNT_LOCKED, Outcome.REFUSED, f"{LOCKOUT_THRESHOLD} failed sign-ins in a row"),
    # A name with no account is locked out as an account is, so the window tells a stranger
    # nothing; only the log, read by auditors, says which case it was.
    "unknown_user_while_locked": (Action.SIGN_IN_FAILED, Outcome.REFUSED,
                                  "unknown username, locked out (the text typed is not kept)"),
    "unknown_user_locked": (Action.ACCOUNT_LOCKED, Outcome.REFUSED,
                            f"{LOCKOUT_THRESHOLD} failed sign-ins in a row for an unknown username, "
                            "locked out as an account would be"),
    "throttle_reset": (Action.THROTTLE_RESET, Outcome.FAILED, "the sign-in throttle file was unreadable and was reset"),
}


def _local_time(moment: datetime, tz: str) -> str:
    """The time as "HH:MM zone" in the workstation's time zone: what the person at the window reads on their clock.

    `tz` is the Environment's zone name. An IANA name ("Europe/London") is used as it is;
    anything else (an abbreviation such as "BST", or a Windows zone name) is only a label,
    so the time comes from the operating system's own local zone instead.
    """
    if "/" in tz or tz == "UTC":
        try:
            return f"{moment.astimezone(ZoneInfo(tz)):%H:%M} {tz}"
        except (ZoneInfoNotFoundError, ValueError):
            pass  # no time zone database here (Windows without tzdata) or not a real name
    local = moment.astimezone()
    return f"{local:%H:%M} {local.tzname() or tz}"


def _locked_message(until: datetime, tz: str) -> str:
    return (f"This account is locked after {LOCKOUT_THRESHOLD} failed sign-ins; "
            f"try again after {_local_time(until, tz)}.")


class AuthService:
    def __init__(self, paths: VaultPaths, env: Environment) -> None:
        self.paths = paths
        self.env = env
        self._throttle = SigninThrottle(paths.throttle)
        # Work the composition root asks for after each sign-in (e.g. governance's automatic
        # disabling of inactive accounts), kept out of this module to keep imports one way.
        self.after_sign_in: list[Callable[[Workspace], object]] = []
        # Checks a sign-in must pass once the password is right, before it is logged as a sign-in
        # (e.g. governance's six months unused): each may log its refusal, then raise.
        self.admission_checks: list[Callable[[Workspace], object]] = []

    # -- sign in ----------------------------------------------------------------

    def _open_as(self, slots: KeySlotFile, username: str, password: str, *, read_only: bool = False
                 ) -> tuple[Vault, str]:
        """Find and open the user's slot, counting failures towards the lockout.

        A name with no account goes through the same steps, under its own locator, with the
        same messages and the same Argon2id cost: only the access log tells the cases apart.
        """
        locator = keyslots.locator_for(normalise_username(username), slots.locator_salt)
        slot = slots.find_user_slot(locator)
        # From the lockout check to recording the outcome, password check included, one
        # attempt at a time per vault (across processes): otherwise a burst of parallel
        # attempts all pass the check before the first failure is counted.
        with self._throttle.guard():
            now = self.env.clock.now()  # after any wait for the lock
            until = self._throttle.locked_until(locator, now)
            if until is not None:
                self._throttle.record_failure(locator, "locked" if slot else "unknown_user_while_locked", now)
                raise AccountLocked(_locked_message(until, self.env.tz))
            if slot is None:
                # Inside the guard too, so an unknown name waits and costs what a known one does.
                keyslots.burn(self.env.kdf)
                locked = self._throttle.record_failure(locator, "unknown_user", now)
                if locked is not None:
                    raise AccountLocked(_locked_message(locked, self.env.tz))
                raise AuthenticationError(WRONG_CREDENTIALS)
            try:
                vault = Vault.open_slot(self.paths, slots, slot, password, self.env.device, read_only=read_only)
            except AuthenticationError:
                locked = self._throttle.record_failure(locator, "wrong_password", now)
                if locked is not None:
                    raise AccountLocked(_locked_message(locked, self.env.tz)) from None
                raise
            try:
                account = unit.reading(vault).accounts.by_locator(locator)
                if account is None or account.id != slot.user_id or account.slot_version != slot.version:
                    raise VaultCorrupt("This account's key slot does not match the vault's account records.")
                if not account.active:
                    raise AuthenticationError(WRONG_CREDENTIALS)
                self._throttle.record_success(locator)
            except BaseException:
                vault.close()  # no open vault (and no key) is left behind by a refused sign-in
                raise
        return vault, locator

    def open_read_only(self, username: str, password: str) -> tuple[Vault, Session]:
        """Check the password and open the vault without writing anything (for `log verify`)."""
        vault, locator = self._open_as(load_slots(self.paths), username, password, read_only=True)
        try:
            if self._unbound_against_policy(vault, locator):
                # Not logged: this open writes nothing, and a refusal queued for the log would count as a failure.
                bound_here = vault.slots.device_binding and self.env.device.get(vault.vault_id) is not None
                refusal = UNBOUND_SLOT_REFUSAL if bound_here else UNBOUND_REFUSAL
                raise PermissionDenied(refusal.format(why=self.env.machine_policy.why()))
            return vault, self._session(vault, locator)
        except BaseException:
            vault.close()
            raise

    def _session(self, vault: Vault, locator: str) -> Session:
        account = unit.reading(vault).accounts.by_locator(locator)
        if account is None:  # checked in _open_as; gone since only if the file changed under us
            raise VaultCorrupt("This account's key slot does not match the vault's account records.")
        return Session(account.id, account.username, account.display_name, account.role, account.bcu,
                       to_iso(self.env.clock.now()))

    def sign_in(self, username: str, password: str) -> Workspace:
        slots = load_slots(self.paths)
        vault, locator = self._open_as(slots, username, password)
        ws: Workspace | None = None
        try:
            session = self._session(vault, locator)
            ws = Workspace(vault, session, self.env)
            # Before the policy's check: a bound vault's account not bound yet is bound now, not refused.
            bound = self._bind_own_slot(ws, password)
            try:
                if self._unbound_against_policy(vault, locator):
                    self._refuse_unbound(ws, Action.SIGN_IN)
                self._admit(ws)
            except BaseException:
                if bound:  # refused after all (by an admission check): the slot stays bound, and the log says so
                    with ws.operation(None, Action.VAULT_BIND) as op:
                        op.log(record_ref=f"user:{session.user_id}", detail=SLOT_BOUND)
                raise
            self._record_opening(ws, Action.SIGN_IN, signed_in_at=session.started_at, slot_bound=bound)
            self._finish_revocations(ws)
            keys_at_sign_in(ws)
            self._share_log_key(ws)
            for hook in self.after_sign_in:
                hook(ws)
        except BaseException:
            # Whatever fails after the unlock (a hook, a check, the log, an interrupt), no open
            # vault and no key is left behind: the workspace is detached and the vault closed.
            if ws is not None:
                ws._detach()
            vault.close()
            raise
        return ws

    def _record_opening(self, ws: Workspace, action: Action, *, signed_in_at: str | None = None,
                        slot_bound: bool = False) -> None:
        """One transaction: the failures queued while the vault was shut, the slot bound by this opening
        (if it was), the opening itself, and what the auditor's pin did since it was last recorded (a first
        pin, a read-only verify).

        The throttle's lock spans reading the queued failures, logging them and dropping them,
        so two sessions opening at once neither log one twice nor drop a newer one.
        """
        with self._throttle.guard():
            with ws.operation(None, action) as op:
                pin_entry = self._pin_entry(op)
                pending, dropped = self._throttle.pending()
                self._flush_pending(op.store, pending, dropped)
                op.vault.record_own_slot()
                if signed_in_at is not None:
                    op.store.accounts.touch_signin(op.session.user_id, signed_in_at)
                if slot_bound:
                    op.log(Action.VAULT_BIND, record_ref=f"user:{op.session.user_id}", detail=SLOT_BOUND)
                op.log()
                if pin_entry is not None:
                    op.append(pin_entry)
            self._throttle.forget_pending(len(pending))  # committed: they are in the log now
        if pin_entry is not None:
            with ws.operation(None, action, writes=False, alone=True) as op:
                op.vault.pin_log_key(recorded=True)

    def _bind_own_slot(self, ws: Workspace, password: str) -> bool:
        """The account's slot bound to this workstation now, if the vault is bound to it and the slot is not yet.

        Its slot file write happens here, outside any transaction (it takes the slot lock); the caller logs it.
        """
        with ws.operation(None, Action.VAULT_BIND, writes=False, alone=True) as op:
            return op.vault.bind_own_slot(password)

    def _unbound_against_policy(self, vault: Vault, locator: str) -> bool:
        """Whether the workstation's policy requires binding and this opening did not depend on this workstation.

        The slot that opened is what counts: a slot marked bound needs this workstation's device secret to open
        at all, so the mark cannot be forged into a pass. Asked once the password is known right, so a stranger
        learns nothing of how the vault is kept.
        """
        if not self.env.machine_policy.device_binding_required:
            return False
        slot = vault.slots.find_user_slot(locator)
        if slot is not None and slot.device_bound:
            return False
        # A demo vault's passwords are published with it: binding protects nothing there, and refusing it would
        # stop the training a BCU runs on its managed workstations.
        return unit.reading(vault).meta.get_meta("demo") != "1"

    def _refuse_unbound(self, ws: Workspace, action: Action) -> None:
        why = self.env.machine_policy.why()
        with ws.operation(None, action) as op:
            op.log(outcome=Outcome.REFUSED, detail=UNBOUND_LOGGED.format(why=why))
        raise PermissionDenied(UNBOUND_REFUSAL.format(why=why))

    def _admit(self, ws: Workspace) -> None:
        for check in self.admission_checks:
            check(ws)

    def _pin_entry(self, op: Operation) -> LogEntry | None:
        """The log entry for what this auditor's pin did since it was last recorded, if anything.

        A first pin (the key arrived sealed and is now trusted on first use) and a
        verification made with the read-only `log verify` are both recorded at the
        auditor's next ordinary sign-in, since neither may write the database.
        """
        pin = op.vault.log_pin
        if pin is None or pin.recorded:
            return None
        if pin.seq == 0:  # nothing verified yet: the pin was made at first use of a delivered key
            return op.entry(Action.LOG_KEY_PIN, detail=(
                f"log verification key pinned at first use, fingerprint {pin.fingerprint()}: compare it with "
                "another auditor's or the recovery holder's"))
        return op.entry(Action.LOG_VERIFY, detail=(
            f"intact: head {pin.seq}:{pin.head_hash.hex()[:16]}, checked read-only with 'log verify' at "
            f"{pin.verified_at}; verification key {pin.fingerprint()}"))

    def _share_log_key(self, ws: Workspace) -> None:
        """An auditor who holds the log verification key passes it to auditors who lack it."""
        # The slot file is written outside any transaction (its own lock is taken inside), then logged.
        with ws.operation(None, Action.LOG_KEY_GRANT, writes=False, alone=True) as op:
            if op.vault.log_key0 is None or op.session.role is not Role.AUDITOR:
                return
            auditors = {a.id for a in op.store.accounts.all_accounts() if a.role is Role.AUDITOR and a.active}
            granted = op.vault.grant_log_key(auditors)
        if granted:
            with ws.operation(None, Action.LOG_KEY_GRANT) as op:
                op.log(detail=f"log verification key sealed to {len(granted)} auditor slot(s): "
                       + ", ".join(f"user:{u}" for u in granted))

    def _flush_pending(self, store: Unit, pending: list[PendingEvent], dropped: int) -> None:
        """Failed sign-ins recorded while the vault was shut go into the log now.

        An event keeps its own time only between the log's last entry and now: the throttle
        file is not authenticated, and a time from the future (or one older than entries
        another session wrote meanwhile) would break the log's time order for ever. A time
        moved is said in the entry's detail.
        """
        now = to_iso(self.env.clock.now())
        floor = store.log.last_time() or ""
        for event in pending:
            action, outcome, detail = _PENDING_ACTIONS.get(
                event.outcome, (Action.SIGN_IN_FAILED, Outcome.FAILED, event.outcome)
            )
            who = store.accounts.by_locator(event.locator) if event.locator else None
            at = min(max(event.at or now, floor), now)
            if event.at and at != event.at:
                detail = f"{detail} (recorded as at {event.at[:32]})"
            entry = system_entry(
                self.env, action, outcome, detail=detail,
                user_id=who.id if who else None, username=who.username if who else None,
                role=who.role.value if who else None, bcu=who.bcu if who else None,
            )
            store.log.append(replace(entry, at_utc=at))
            floor = at
        if dropped:
            store.log.append(system_entry(
                self.env, Action.SIGN_IN_FAILED, Outcome.FAILED,
                detail=f"{dropped} older failed sign-ins overflowed the throttle file and were not kept",
            ))

    def _finish_revocations(self, ws: Workspace) -> None:
        """A disable interrupted before its key rotation is completed by the next sign-in."""
        # Rekeying cannot run inside a transaction: the rotation is vault work, logged once done.
        with ws.operation(None, Action.KEY_ROTATE, writes=False, alone=True) as op:
            disabled = {a.id for a in op.store.accounts.all_accounts() if not a.active}
            vault = op.vault
            stale = any(s.kind == "user" and s.user_id in disabled for s in vault.slots.slots)
            if not stale and not vault.rotation_pending():
                return
            # The rotation re-reads the slot file and keeps only the slots the database vouches for, which
            # leaves a disabled account's slot out: nothing to remove from the copy held here.
            vault.revoke_and_rotate(None)
        with ws.operation(None, Action.KEY_ROTATE) as op:
            op.log(detail="completed an interrupted revocation")

    # -- lock, unlock, sign out -------------------------------------------------

    def lock(self, ws: Workspace, *, reason: str = "on request") -> None:
        """Close the connection whatever happens: a lock that fails to log must still lock."""
        if not ws.locked:
            self._log_and_close(ws, Action.SESSION_LOCK, reason)

    def unlock(self, ws: Workspace, password: str) -> None:
        """Reopen the vault for the same user; a wrong password counts towards lockout."""
        slots = load_slots(self.paths)
        vault, locator = self._open_as(slots, ws.session.username, password)
        if not ws.locked:
            vault.close()  # the password was checked; there was nothing to unlock
            return
        ws._attach(vault)
        try:
            bound = self._bind_own_slot(ws, password)  # the vault bound while this session was open
        except BaseException:
            ws._detach()
            vault.close()
            raise
        if self._unbound_against_policy(vault, locator):
            try:
                self._refuse_unbound(ws, Action.SESSION_UNLOCK)
            finally:
                ws._detach()  # locked again: no open vault and no key stay behind the refusal
                vault.close()
        self._record_opening(ws, Action.SESSION_UNLOCK, slot_bound=bound)

    def sign_out(self, ws: Workspace) -> None:
        self._log_and_close(ws, Action.SIGN_OUT, None)

    def signing_key_for(self, ws: Workspace, password: str, action: Action) -> bytes:
        """The password typed again to sign: returns the key that wraps the user's signing key (see signing_key_for)."""
        return signing_key_for(ws, password, action, throttle=self._throttle)

    def _log_and_close(self, ws: Workspace, action: Action, detail: str | None) -> None:
        try:
            # A rotated key (StaleSession) has already detached and closed the vault.
            with contextlib.suppress(StaleSession):
                if not ws.locked:
                    with ws.operation(None, action) as op:
                        op.log(detail=detail)
        finally:
            vault = ws._detach()
            if vault is not None:
                vault.close()


def signing_key_for(ws: Workspace, password: str, action: Action, *, throttle: SigninThrottle | None = None) -> bytes:
    """The password typed again to sign: returns the key that wraps the user's signing key.

    Any role may sign what it exports (a SPOC's review sheet, an auditor's audit pack, an
    administrator's report): the key is the person's own, issued at first need. A wrong
    password counts towards the lockout exactly as at sign-in, and is logged against
    `action` as refused; nothing else changes. Services without the AuthService pass no
    `throttle`: the vault's own throttle file is used, which every process shares anyway.
    """
    locked: datetime | None = None
    with ws.operation(None, action, writes=False) as op:
        guard = throttle or SigninThrottle(op.vault.paths.throttle)
        locator = op.vault.locator(op.session.username)
        # Serialised with sign-ins, for the same reason as in AuthService._open_as.
        with guard.guard():
            now = ws.env.clock.now()
            until = guard.locked_until(locator, now)
            if until is not None:
                raise AccountLocked(_locked_message(until, ws.env.tz))
            try:
                key = op.vault.signing_wrap_key(op.session.user_id, password)
            except AuthenticationError:
                # Counted towards the lockout; logged below as the signing refusal, not as a sign-in.
                locked = guard.record_failure(locator, "wrong_password", now, queue=False)
            else:
                guard.record_success(locator)
                return key
        # Logged once the throttle's lock is let go: a database write may wait on other sessions,
        # and no sign-in should wait on that. Inside a use case's transaction, the refusal is
        # logged after that transaction rolls back.
        error = (AccountLocked(_locked_message(locked, ws.env.tz)) if locked is not None
                 else AuthenticationError("The password is wrong: nothing was signed."))
        raise op.refuse(error, logged_reason="wrong password at signing")
