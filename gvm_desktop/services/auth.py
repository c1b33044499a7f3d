"""Signing in, locking, unlocking and signing out."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from gvm_desktop.core.audit import Action, LogEntry, Outcome
from gvm_desktop.core.clock import to_iso
from gvm_desktop.core.errors import AccountLocked, AuthenticationError, StaleSession, VaultCorrupt
from gvm_desktop.core.passwords import normalise_username
from gvm_desktop.core.policy import Role
from gvm_desktop.core.settings import LOCKOUT_THRESHOLD
from gvm_desktop.services.context import Environment, Session, Workspace, system_entry
from gvm_desktop.store import access_log, accounts, database, keyslots
from gvm_desktop.store.files import VaultPaths
from gvm_desktop.store.keyslots import KeySlotFile
from gvm_desktop.store.throttle import PendingEvent, SigninThrottle
from gvm_desktop.store.vault import Vault, load_slots

WRONG_CREDENTIALS = "Sign-in failed: the username or password is wrong."

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
                account = accounts.by_locator(vault.conn, locator)
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
        account = accounts.by_locator(vault.conn, locator)
        assert account is not None  # checked in _open_as
        return vault, Session(account.id, account.username, account.display_name, account.role, account.bcu,
                              to_iso(self.env.clock.now()))

    def sign_in(self, username: str, password: str) -> Workspace:
        slots = load_slots(self.paths)
        vault, locator = self._open_as(slots, username, password)
        account = accounts.by_locator(vault.conn, locator)
        assert account is not None  # checked in _open_as
        now = to_iso(self.env.clock.now())
        session = Session(account.id, account.username, account.display_name, account.role, account.bcu, now)
        ws = Workspace(vault, session, self.env)
        try:
            self._admit(ws)
            self._record_opening(ws, Action.SIGN_IN, signed_in_at=now)
            self._finish_revocations(ws)
            self._share_log_key(ws)
            for hook in self.after_sign_in:
                hook(ws)
        except BaseException:
            # Whatever fails after the unlock, no open vault (and no key) is left behind.
            vault = ws._detach() or vault
            vault.close()
            raise
        return ws

    def _record_opening(self, ws: Workspace, action: Action, *, signed_in_at: str | None = None) -> None:
        """One transaction: the failures queued while the vault was shut, the opening itself, and
        what the auditor's pin did since it was last recorded (a first pin, a read-only verify).

        The throttle's lock spans reading the queued failures, logging them and dropping them,
        so two sessions opening at once neither log one twice nor drop a newer one.
        """
        vault = ws.vault
        pin_entry = self._pin_entry(ws)
        with self._throttle.guard():
            pending, dropped = self._throttle.pending()
            with ws.write() as conn:
                self._flush_pending(conn, vault, pending, dropped)
                vault.record_own_slot()
                if signed_in_at is not None:
                    accounts.touch_signin(conn, ws.session.user_id, signed_in_at)
                access_log.append(conn, ws.entry(action))
                if pin_entry is not None:
                    access_log.append(conn, pin_entry)
            self._throttle.forget_pending(len(pending))
        if pin_entry is not None:
            vault.pin_log_key(recorded=True)

    def _admit(self, ws: Workspace) -> None:
        for check in self.admission_checks:
            check(ws)

    def _pin_entry(self, ws: Workspace) -> LogEntry | None:
        """The log entry for what this auditor's pin did since it was last recorded, if anything.

        A first pin (the key arrived sealed and is now trusted on first use) and a
        verification made with the read-only `log verify` are both recorded at the
        auditor's next ordinary sign-in, since neither may write the database.
        """
        vault = ws.vault
        pin = vault.log_pin
        if pin is None or pin.recorded:
            return None
        if pin.seq == 0:  # nothing verified yet: the pin was made at first use of a delivered key
            return ws.entry(Action.LOG_KEY_PIN, detail=(
                f"log verification key pinned at first use, fingerprint {pin.fingerprint()}: compare it with "
                "another auditor's or the recovery holder's"))
        return ws.entry(Action.LOG_VERIFY, detail=(
            f"intact: head {pin.seq}:{pin.head_hash.hex()[:16]}, checked read-only with 'log verify' at "
            f"{pin.verified_at}; verification key {pin.fingerprint()}"))

    def _share_log_key(self, ws: Workspace) -> None:
        """An auditor who holds the log verification key passes it to auditors who lack it."""
        if ws.vault.log_key0 is None or ws.session.role is not Role.AUDITOR:
            return
        auditors = {a.id for a in accounts.all_accounts(ws.conn) if a.role is Role.AUDITOR and a.active}
        granted = ws.vault.grant_log_key(auditors)
        if granted:
            with ws.write() as conn:
                access_log.append(conn, ws.entry(Action.LOG_KEY_GRANT, detail=(
                    f"log verification key sealed to {len(granted)} auditor slot(s): "
                    + ", ".join(f"user:{u}" for u in granted))))

    def _flush_pending(
        self, conn: database.Connection, vault: Vault, pending: list[PendingEvent], dropped: int
    ) -> None:
        """Failed sign-ins recorded while the vault was shut go into the log now.

        An event keeps its own time only between the log's last entry and now: the throttle
        file is not authenticated, and a time from the future (or one older than entries
        another session wrote meanwhile) would break the log's time order for ever. A time
        moved is said in the entry's detail.
        """
        now = to_iso(self.env.clock.now())
        floor = access_log.last_time(conn) or ""
        for event in pending:
            action, outcome, detail = _PENDING_ACTIONS.get(
                event.outcome, (Action.SIGN_IN_FAILED, Outcome.FAILED, event.outcome)
            )
            who = accounts.by_locator(conn, event.locator) if event.locator else None
            at = min(max(event.at or now, floor), now)
            if event.at and at != event.at:
                detail = f"{detail} (recorded as at {event.at[:32]})"
            entry = system_entry(
                self.env, action, outcome, detail=detail,
                user_id=who.id if who else None, username=who.username if who else None,
                role=who.role.value if who else None, bcu=who.bcu if who else None,
            )
            access_log.append(conn, replace(entry, at_utc=at))
            floor = at
        if dropped:
            access_log.append(
                conn,
                system_entry(
                    self.env, Action.SIGN_IN_FAILED, Outcome.FAILED,
                    detail=f"{dropped} older failed sign-ins overflowed the throttle file and were not kept",
                ),
            )

    def _finish_revocations(self, ws: Workspace) -> None:
        """A disable interrupted before its key rotation is completed by the next sign-in."""
        disabled = {a.id for a in accounts.all_accounts(ws.conn) if not a.active}
        stale = [s.user_id for s in ws.vault.slots.slots if s.kind == "user" and s.user_id in disabled]
        if not stale and not ws.vault.rotation_pending():
            return
        for user_id in stale:
            ws.vault.slots.remove_user_slot(user_id)
        ws.vault.revoke_and_rotate(None)
        with ws.write() as conn:
            access_log.append(conn, ws.entry(Action.KEY_ROTATE, detail="completed an interrupted revocation"))

    # -- lock, unlock, sign out -------------------------------------------------

    def lock(self, ws: Workspace, *, reason: str = "on request") -> None:
        """Close the connection whatever happens: a lock that fails to log must still lock."""
        if not ws.locked:
            self._log_and_close(ws, Action.SESSION_LOCK, reason)

    def unlock(self, ws: Workspace, password: str) -> None:
        """Reopen the vault for the same user; a wrong password counts towards lockout."""
        slots = load_slots(self.paths)
        vault, _locator = self._open_as(slots, ws.session.username, password)
        if not ws.locked:
            vault.close()  # the password was checked; there was nothing to unlock
            return
        ws._attach(vault)
        self._record_opening(ws, Action.SESSION_UNLOCK)

    def sign_out(self, ws: Workspace) -> None:
        self._log_and_close(ws, Action.SIGN_OUT, None)

    def signing_key_for(self, ws: Workspace, password: str, action: Action) -> bytes:
        """The password typed again to sign: returns the key that wraps the user's signing key.

        A wrong password counts towards the lockout exactly as at sign-in, and is
        logged against `action` as refused; nothing else changes.
        """
        locator = ws.vault.locator(ws.session.username)
        locked: datetime | None = None
        # Serialised with sign-ins, for the same reason as in _open_as.
        with self._throttle.guard():
            now = self.env.clock.now()
            until = self._throttle.locked_until(locator, now)
            if until is not None:
                raise AccountLocked(_locked_message(until, self.env.tz))
            try:
                key = ws.vault.signing_wrap_key(ws.session.user_id, password)
            except AuthenticationError:
                # Counted towards the lockout; logged below as the signing refusal, not as a sign-in.
                locked = self._throttle.record_failure(locator, "wrong_password", now, queue=False)
            else:
                self._throttle.record_success(locator)
                return key
        # Logged once the lock is let go: a database write may wait on other sessions,
        # and no sign-in should wait on that.
        with ws.write() as conn:
            access_log.append(conn, ws.entry(action, Outcome.REFUSED, detail="wrong password at signing"))
        if locked is not None:
            raise AccountLocked(_locked_message(locked, self.env.tz))
        raise AuthenticationError("The password is wrong: nothing was signed.")

    def _log_and_close(self, ws: Workspace, action: Action, detail: str | None) -> None:
        try:
            # A rotated key (StaleSession) has already detached and closed the vault.
            with contextlib.suppress(StaleSession):
                if not ws.locked:
                    with ws.write() as conn:
                        access_log.append(conn, ws.entry(action, detail=detail))
        finally:
            vault = ws._detach()
            if vault is not None:
                vault.close()
