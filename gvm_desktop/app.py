"""The composition root: builds the services once and hands them to the front ends.

Both the CLI and the GUI get everything they use from an `App`; neither imports
`store/`. Tests build an `App` with a ManualClock, an in-memory keyring and
cheap Argon2id parameters, all passed explicitly.
"""

from __future__ import annotations

import os
import platform
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

import platformdirs

from gvm_desktop.core.clock import Clock, SystemClock
from gvm_desktop.core.machine_policy import MachinePolicy, MachinePolicyError
from gvm_desktop.core.scoring import default_policy
from gvm_desktop.services.about import AboutService
from gvm_desktop.services.accounts import AccountService
from gvm_desktop.services.audit import AuditService
from gvm_desktop.services.audit_forms import AuditFormService
from gvm_desktop.services.auth import AuthService
from gvm_desktop.services.backup import BackupService
from gvm_desktop.services.changes import ChangeService
from gvm_desktop.services.context import Environment, Workspace
from gvm_desktop.services.dsa import DsaService
from gvm_desktop.services.governance import GovernanceService
from gvm_desktop.services.importing import ImportService
from gvm_desktop.services.integrity import IntegrityService
from gvm_desktop.services.log_export import LogExportService
from gvm_desktop.services.log_queries import LogQueryService
from gvm_desktop.services.machine_policy import load_machine_policy
from gvm_desktop.services.matrix import MatrixService
from gvm_desktop.services.records import RecordService
from gvm_desktop.services.reports import ReportService
from gvm_desktop.services.retention import RetentionService
from gvm_desktop.services.reviews import ReviewService
from gvm_desktop.services.settings import SettingsService
from gvm_desktop.services.vaults import (
    Binding,
    CreatedVault,
    bind_vault,
    binding_needed,
    bound_here,
    create_demo_vault,
    create_vault,
    deliver_keys_with_recovery,
    grant_log_key_with_recovery,
    is_demo,
    recover_account,
)
from gvm_desktop.store.backup_archive import BackupArchive
from gvm_desktop.store.device import DeviceSecrets
from gvm_desktop.store.files import VaultPaths
from gvm_desktop.store.slot import DEFAULT_KDF, KdfParams

if TYPE_CHECKING:
    import keyring.backend

APP_NAME = "gvm-desktop"


def default_vault_dir() -> Path:
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False)) / "vault"


def default_demo_vault_dir() -> Path:
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False)) / "demo-vault"


def _local_tz() -> str:
    """The workstation's zone as an IANA name where the system says it ("Europe/London"), which
    messages can convert to; otherwise its abbreviation ("BST")."""
    named = os.environ.get("TZ", "").lstrip(":")
    if not named:
        try:
            target = os.readlink("/etc/localtime")  # e.g. /usr/share/zoneinfo/Europe/London
            named = target.split("zoneinfo/", 1)[1] if "zoneinfo/" in target else ""
        except OSError:
            named = ""
    if named and "/" in named and ".." not in named:
        return named
    return time.strftime("%Z") or "UTC"


@dataclass
class App:
    vault_dir: Path
    env: Environment
    auth: AuthService = field(init=False)
    accounts: AccountService = field(init=False)
    settings: SettingsService = field(init=False)
    matrix: MatrixService = field(init=False)
    audit: AuditService = field(init=False)
    records: RecordService = field(init=False)
    changes: ChangeService = field(init=False)
    dsa: DsaService = field(init=False)
    retention: RetentionService = field(init=False)
    governance: GovernanceService = field(init=False)
    log: LogQueryService = field(init=False)
    exports: LogExportService = field(init=False)
    forms: AuditFormService = field(init=False)
    reviews: ReviewService = field(init=False)
    reports: ReportService = field(init=False)
    integrity: IntegrityService = field(init=False)
    about: AboutService = field(init=False)
    backup: BackupService = field(init=False)
    importing: ImportService = field(init=False)

    def __post_init__(self) -> None:
        self.paths = VaultPaths(self.vault_dir)
        self.auth = AuthService(self.paths, self.env)
        self.accounts = AccountService()
        self.settings = SettingsService()
        policy = default_policy()  # read and checked once, shared by every service that scores
        self.matrix = MatrixService(policy)
        self.audit = AuditService(self.auth)
        self.records = RecordService(policy)
        self.changes = ChangeService(policy, settings=self.settings)
        self.dsa = DsaService()
        self.retention = RetentionService()
        self.governance = GovernanceService(self.accounts)
        # Matrix access unused for six months: an officer's own sign-in is refused (and the grant
        # withdrawn), and a SPOC's or administrator's sign-in withdraws it for those in their scope.
        self.auth.admission_checks.append(self.governance.admit)
        self.auth.after_sign_in.append(self.governance.withdraw_unused)
        self.auth.after_sign_in.append(lambda ws: self.governance.auto_disable(ws, self.settings))
        self.reviews = ReviewService(self.auth, self.changes, policy)
        # A quarter's review opens on the first sign-in of anyone of the BCU in that quarter.
        self.auth.after_sign_in.append(self.reviews.ensure_current)
        self.reports = ReportService(self.auth, self.reviews, self.records, self.settings)
        self.log = LogQueryService()
        self.exports = LogExportService()
        self.forms = AuditFormService()
        self.integrity = IntegrityService(self.auth)
        self.about = AboutService()
        self.backup = BackupService(self.auth, BackupArchive(), self.settings)
        self.importing = ImportService(policy)

    def vault_exists(self) -> bool:
        return self.paths.exists()

    def init_vault(self, admin_username: str, admin_display_name: str, admin_password: str, *, bind: bool = True) -> CreatedVault:
        machine = self.env.machine_policy
        if machine.device_binding_required and not (bind and self.env.device.available()):
            # Unbound, the vault would open anywhere its file is copied: the administrator ruled that out.
            reason = "was not asked for" if not bind else "is impossible: no OS credential store was found"
            raise MachinePolicyError(f"Binding the vault to this workstation is required by {machine.why()}, "
                                     f"and binding {reason}. The vault was not created.")
        return create_vault(self.paths, self.env, admin_username=admin_username,
                            admin_display_name=admin_display_name, admin_password=admin_password, bind=bind)

    def create_demo(self, nominals: int, seed: int = 2026,
                    progress: Callable[[int, int], None] | None = None) -> CreatedVault:
        return create_demo_vault(self.paths, self.env, nominals_count=nominals, seed=seed, progress=progress)

    def recover(self, recovery_code: str, username: str, new_password: str) -> None:
        recover_account(self.paths, self.env, recovery_code=recovery_code, username=username,
                        new_password=new_password)

    def binding_needed(self) -> bool:
        """False when the vault is bound to this workstation already; GvmError when binding is impossible here."""
        return binding_needed(self.paths, self.env)

    def bind(self, recovery_code: str) -> Binding:
        return bind_vault(self.paths, self.env, recovery_code=recovery_code)

    def bound_here(self) -> bool:
        return bound_here(self.paths, self.env)

    def grant_log_key(self, recovery_code: str, auditor: str) -> bool:
        return grant_log_key_with_recovery(self.paths, self.env, recovery_code=recovery_code, auditor=auditor)

    def deliver_keys(self, recovery_code: str) -> dict[str, list[int]]:
        return deliver_keys_with_recovery(self.paths, self.env, recovery_code=recovery_code)

    def is_demo(self, ws: Workspace) -> bool:
        return is_demo(ws)


def progress_line(stream: TextIO, what: str) -> Callable[[int, int], None]:
    """A `progress(done, total)` that rewrites one line of `stream` ("Creating a demo vault... 42%") at each
    change of whole per cent, and ends it at 100%: for a build before any window is up, or in a terminal."""
    last = [-1]

    def report(done: int, total: int) -> None:
        now = max(0, min(100, done * 100 // total)) if total > 0 else 0
        if now == last[0]:
            return
        last[0] = now
        stream.write(f"\r{what}... {now}%" + ("\n" if now == 100 else ""))
        stream.flush()

    return report


def build_app(
    vault_dir: Path | str | None = None,
    *,
    clock: Clock | None = None,
    keyring_backend: keyring.backend.KeyringBackend | None = None,
    kdf: KdfParams = DEFAULT_KDF,
    workstation: str | None = None,
    tz: str | None = None,
    machine_policy: MachinePolicy | None = None,
) -> App:
    """The App; `machine_policy` None reads the workstation's (MachinePolicyError if it is broken: fail closed)."""
    env = Environment(
        clock=clock or SystemClock(),
        device=DeviceSecrets(keyring_backend),
        kdf=kdf,
        workstation=workstation or platform.node() or "unknown-workstation",
        tz=tz or _local_tz(),
        machine_policy=machine_policy if machine_policy is not None else load_machine_policy(),
    )
    return App(Path(vault_dir).expanduser() if vault_dir else default_vault_dir(), env)
