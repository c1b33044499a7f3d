"""Checking the whole vault database: every page's HMAC, then SQLite's structure.

`gvm-desktop check` calls `check_as`; anything that must not go ahead on a damaged
vault (the backup, before it overwrites a good copy) calls `check` in its session.
Administrators and auditors may check: it reads no person's data, but it is about the
vault as a whole, which is their business. Every check is in the access log, with its
outcome and page count, unless the damage reaches the log itself.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass

from gvm_desktop.core.audit import Action
from gvm_desktop.core.errors import GvmError, StorageError, VaultCorrupt, VaultError
from gvm_desktop.core.passwords import normalise_username
from gvm_desktop.core.policy import Permission, require
from gvm_desktop.services.auth import AuthService
from gvm_desktop.services.context import Workspace
from gvm_desktop.store import integrity, keyslots
from gvm_desktop.store.integrity import IntegrityReport, combined
from gvm_desktop.store.vault import load_slots

_PAGES_IN_LOG = 20  # damaged page numbers an access-log entry lists


@dataclass(frozen=True)
class CheckResult:
    report: IntegrityReport
    logged: bool  # the check and its outcome are in the access log
    signed_in: bool = True  # False: damage stopped the sign-in, and the check ran on the account's key alone
    role_checked: bool = True  # False: the damage hid the account itself, so its role could not be read

    @property
    def intact(self) -> bool:
        return self.report.intact


def _detail(report: IntegrityReport) -> str:
    if report.intact:
        return f"intact: {report.pages} pages checked"
    pages = report.damaged_pages
    shown = ", ".join(str(p) for p in pages[:_PAGES_IN_LOG]) + (" ..." if len(pages) > _PAGES_IN_LOG else "")
    return (f"damaged: {len(report.problems)} problem(s) in {report.pages} pages checked"
            + (f"; pages {shown}" if pages else ""))


def storage_problem(exc: BaseException) -> GvmError | None:
    """For a front end's last line of defence: a SQLite error that reached it untyped, worded; else None."""
    return integrity.storage_problem(exc)


class IntegrityService:
    def __init__(self, auth: AuthService) -> None:
        self.auth = auth

    def check(self, ws: Workspace) -> CheckResult:
        """Check the open vault and log the outcome. Reads only, apart from the log entry."""
        # A read, so no transaction: the check must run on a connection that has met damage, which
        # refuses to begin one, and it logs its outcome in a write of its own that damage may stop.
        with ws.operation(Permission.VAULT_CHECK, Action.VAULT_CHECK, writes=False) as op:
            # Common, and every compartment whose key the session holds (an auditor's: every BCU's).
            report = combined([op.store.integrity.check(), *op.vault.check_compartments()])
        return CheckResult(report, self._record(ws, report))

    def check_as(self, username: str, password: str) -> CheckResult:
        """Sign in, check, sign out. If damage stops the sign-in, check with the account's key alone."""
        try:
            ws = self.auth.sign_in(username, password)
        except VaultCorrupt as trouble:
            return self._check_without_session(username, password, trouble)
        try:
            return self.check(ws)
        finally:
            # The check's answer (or refusal) is what matters; a sign-out the damage stops adds nothing.
            with contextlib.suppress(VaultError, StorageError):
                self.auth.sign_out(ws)

    def _record(self, ws: Workspace, report: IntegrityReport) -> bool:
        try:
            with ws.operation(None, Action.VAULT_CHECK) as op:
                op.log(detail=_detail(report))
        except (VaultError, StorageError):
            if report.intact:
                raise
            return False  # the damage reaches the log's own pages: the report still stands
        return True

    def _check_without_session(self, username: str, password: str, trouble: VaultCorrupt) -> CheckResult:
        """The sign-in met damage (page 1, the accounts, the log's state...): check the file anyway.

        Only after the sign-in failed on the database, which it opens after the password has
        opened the account's key slot; the slot is opened again here for the data key. The
        role is read if the damage spares the account; if not, the report still goes to the
        holder of a valid password, because it names pages and nothing else. Nothing is
        logged: the log lives in the damaged database.
        """
        paths = self.auth.paths
        try:
            slots = load_slots(paths)
            locator = keyslots.locator_for(normalise_username(username), slots.locator_salt)
            slot = slots.find_user_slot(locator)
            if slot is None:
                raise trouble
            keys = integrity.slot_keys(slots, slot, password, self.auth.env.device)
            report, account = integrity.check_file(paths.database, keys, locator)
        except (GvmError, OSError):
            raise trouble from None
        if report.intact:
            raise trouble  # the sign-in failed for another reason than a damaged page: its own words say which
        if account is not None:
            if account.id != slot.user_id or not account.active:
                raise trouble
            require(account.role, Permission.VAULT_CHECK)  # refused, and not logged: the log is in the damaged file
        return CheckResult(report, logged=False, signed_in=False, role_checked=account is not None)
