"""Creating a vault (empty or demo); with the recovery code, recovering an account or binding the vault."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from gvm_desktop.core.audit import Action, Outcome
from gvm_desktop.core.clock import to_iso
from gvm_desktop.core.demo_accounts import DEMO_ACCOUNTS, DEMO_BCU  # the services hand them out too
from gvm_desktop.core.errors import AuthenticationError, GvmError, NotFound, ValidationError
from gvm_desktop.core.governance import REQUIRED_COURSE
from gvm_desktop.core.passwords import check_display_name, check_password, check_username
from gvm_desktop.core.people import NominalDraft
from gvm_desktop.core.policy import Role
from gvm_desktop.core.scoring import default_policy
from gvm_desktop.core.settings import RETENTION_YEARS
from gvm_desktop.core.synthetic import generate_nominals
from gvm_desktop.services import demo_matrix
from gvm_desktop.services.accounts import create_account
from gvm_desktop.services.context import Environment, Session, Workspace, system_entry
from gvm_desktop.services.key_custody import deliver_entitled, keep_previews
from gvm_desktop.store import unit
from gvm_desktop.store.files import VaultPaths
from gvm_desktop.store.keyslots import key_fingerprint, normalise_recovery_code
from gvm_desktop.store.vault import Vault, load_slots


@dataclass
class CreatedVault:
    workspace: Workspace
    recovery_code: str
    bound: bool
    notice: str | None
    log_key_fingerprint: str = ""  # what every auditor's `log verify` must print too


def _session_for(vault: Vault, user_id: int, env: Environment) -> Workspace:
    account = unit.reading(vault).accounts.by_id(user_id)
    if account is None:  # created in this very call: missing only if the file changed under us
        raise NotFound("The account just created is missing from the vault.")
    session = Session(account.id, account.username, account.display_name, account.role, account.bcu,
                      to_iso(env.clock.now()))
    return Workspace(vault, session, env)


def create_vault(
    paths: VaultPaths,
    env: Environment,
    *,
    admin_username: str,
    admin_display_name: str,
    admin_password: str,
    bind: bool = True,
    keep_compartments: bool = False,
) -> CreatedVault:
    """A new vault with its first administrator, signed in; the recovery code is shown once.

    The vault is made with every BCU's compartment, whose keys only the recovery slot holds;
    the administrator's session gives them up before it is handed over (`keep_compartments`:
    the demo build keeps them while it fills the vault, then gives them up).
    """
    name = check_username(admin_username)
    check_display_name(admin_display_name)  # every check before any file (or keyring entry) exists
    check_password(admin_password, name)
    notice = None
    if bind and not env.device.available():
        bind, notice = False, env.device.why_unavailable()
    created = system_entry(env, Action.VAULT_CREATE, Outcome.ALLOWED,
                           detail="device-bound" if bind else "not device-bound")
    vault, recovery_code = Vault.create(paths, device=env.device, bind=bind, kdf=env.kdf, first_entry=created)
    try:
        at = to_iso(env.clock.now())
        with unit.transaction(vault) as store:
            user_id, detail = create_account(
                store, vault, username=name, display_name=admin_display_name, role=Role.ADMIN, bcu=None,
                password=admin_password, created_by=None, at=at,
            )
            store.log.append(system_entry(env, Action.ACCOUNT_ADD, Outcome.ALLOWED,
                                          record_ref=f"user:{user_id}", detail=detail))
            vault.put_user_slot(user_id, 1, vault.locator(name), admin_password, env.kdf)
            store.certificates.create_authority(vault.vault_id, env.clock.now())
    except BaseException:
        vault.close()
        for path in (paths.database, paths.keyslots, *paths.folder.glob("bcu-*.db")):
            path.unlink(missing_ok=True)
        raise
    if not keep_compartments:
        vault.release_compartments()
    fingerprint = key_fingerprint(vault.log_key0) if vault.log_key0 else ""
    return CreatedVault(_session_for(vault, user_id, env), recovery_code, bind, notice, fingerprint)


# The demo build's progress, in thousandths. Shares measured at 1,200 people (5.5 s, the people written in bulk): the
# vault and its administrator 29%, each other account 14% (each an Argon2id key slot), sealing the keys to their
# holders 1%, the people 11%, the partner's agreement 3%.
_DEMO_STEPS = 1000
_DEMO_VAULT_DONE = 290
_DEMO_PER_ACCOUNT = 140
_DEMO_ACCOUNTS_DONE = _DEMO_VAULT_DONE + _DEMO_PER_ACCOUNT * (len(DEMO_ACCOUNTS) - 1) + 10
_DEMO_PEOPLE_DONE = 970


def create_demo_vault(paths: VaultPaths, env: Environment, *, nominals_count: int, seed: int = 2026,
                      progress: Callable[[int, int], None] | None = None) -> CreatedVault:
    """A vault marked DEMO, with one account per role and synthetic people.

    `progress(done, total)` hears how far the build is, as it goes (a progress bar's percentage).
    """
    if not 0 <= nominals_count <= 1_000_000:
        raise ValidationError("A demo vault holds from 0 to 1,000,000 people.")

    def step(done: int) -> None:
        if progress is not None:
            progress(done, _DEMO_STEPS)

    step(0)
    admin = DEMO_ACCOUNTS[-1]
    created = create_vault(paths, env, admin_username=admin.username, admin_display_name=admin.display_name,
                           admin_password=admin.password, bind=False, keep_compartments=True)
    step(_DEMO_VAULT_DONE)
    ws = created.workspace
    at = to_iso(env.clock.now())
    people = generate_nominals(nominals_count, seed=seed, today=env.clock.now().date())
    with ws.operation(None, Action.NOMINALS_IMPORT) as op:
        store, me = op.store, op.session.user_id
        store.meta.set_meta("demo", "1")
        for number, acct in enumerate(DEMO_ACCOUNTS[:-1], start=1):
            user_id, detail = create_account(
                store, op.vault, username=acct.username, display_name=acct.display_name, role=acct.role,
                bcu=acct.bcu, password=acct.password, created_by=me, at=at,
            )
            op.log(Action.ACCOUNT_ADD, record_ref=f"user:{user_id}", detail=detail)
            op.vault.put_user_slot(user_id, 1, op.vault.locator(acct.username), acct.password, env.kdf,
                                   auditor=acct.role is Role.AUDITOR)
            if acct.role in (Role.OFFICER, Role.SPOC):
                # Demo accounts are trained and granted, with a long validity so a demo vault keeps working.
                today = env.clock.now().date()
                store.governance.add_training(user_id, REQUIRED_COURSE, today - timedelta(days=30),
                                              today + timedelta(days=3650), at, me)
                if acct.role is Role.OFFICER:
                    store.governance.set_grant(user_id, at, me)
            step(_DEMO_VAULT_DONE + _DEMO_PER_ACCOUNT * number)
    # The builder holds every key: it seals each to the accounts entitled to it, as a holder's sign-in would.
    deliver_entitled(ws)
    step(_DEMO_ACCOUNTS_DONE)
    # A connection attaches at most ten files: the people go in by turns of BCUs, each turn one transaction.
    by_bcu: dict[str, list[NominalDraft]] = {}
    for person in people:
        by_bcu.setdefault(person.bcu, []).append(person)
    codes = sorted(by_bcu)
    filled = 0

    def people_step(done_in_turn: int, _in_turn: int) -> None:
        share = _DEMO_PEOPLE_DONE - _DEMO_ACCOUNTS_DONE
        step(_DEMO_ACCOUNTS_DONE + share * (filled + done_in_turn) // max(1, len(people)))

    for start in range(0, len(codes), DEMO_BCUS_PER_TURN):
        turn = codes[start:start + DEMO_BCUS_PER_TURN]
        drafts = [p for code in turn for p in by_bcu[code]]
        with ws.operation(None, Action.NOMINALS_IMPORT, bcus=turn) as op:
            counts = demo_matrix.fill(op.store, drafts, seed=seed, today=env.clock.now().date(), at=at,
                                      by=op.session.user_id, policy=default_policy(),
                                      retention_years=RETENTION_YEARS.default, progress=people_step)
            op.log(detail=(
                f"{len(drafts)} synthetic demo people of {', '.join(turn)}: {counts['active']} active, "
                f"{counts['proposed']} proposed, {counts['removed']} removed, {counts['evidence']} evidence entries"))
        filled += len(drafts)
    _demo_agreement(ws, at)
    with ws.operation(None, Action.NOMINALS_IMPORT, writes=False, alone=True) as op:
        op.vault.release_compartments()
    step(_DEMO_STEPS)
    return created


DEMO_BCUS_PER_TURN = 6  # BCUs filled per transaction (the demo's random draws are made per turn: keep it fixed)


# What the demo partner's agreement shares: what a probation service plausibly needs to plan its work, and no name.
DEMO_AGREEMENT_FIELDS = ("ref", "age", "borough", "harm_band", "victim_band")


def _demo_agreement(ws: Workspace, at: str) -> None:
    """The demo partner previews under an agreement of the demo BCU, so the demo shows what a partner sees.

    The builder holds the BCU's key, so it makes the preview's compartment itself (as the BCU's next
    officer or SPOC would in a real vault) and seals its key to the partner and the BCU's holders.
    """
    partner = next(a for a in DEMO_ACCOUNTS if a.role is Role.PARTNER)
    today = ws.env.clock.now().date()
    with ws.operation(None, Action.DSA_ADD) as op:
        account = op.store.accounts.by_username(partner.username)
        assert account is not None  # made above
        dsa_id = op.store.agreements.add(organisation="Demo Probation Service (synthetic)", bcu=DEMO_BCU,
                                         fields=DEMO_AGREEMENT_FIELDS, starts_on=today - timedelta(days=30),
                                         ends_on=today + timedelta(days=365), at=at, by=op.session.user_id)
        op.store.agreements.link_user(account.id, dsa_id)
        op.log(record_ref=f"user:{account.id}", detail=f"demo agreement DSA #{dsa_id}, {partner.username} previews under it")
    with ws.operation(None, Action.DSA_PREVIEW, writes=False, alone=True) as op:
        if DEMO_BCU in op.vault.held_bcus():  # always, but for a vault built unsplit (the split's upgrade tests)
            op.vault.hold_bcu(DEMO_BCU)  # the preview is made from the demo BCU's people
    keep_previews(ws)
    deliver_entitled(ws)


def is_demo(ws: Workspace) -> bool:
    with ws.operation(None, Action.SIGN_IN, writes=False) as op:
        return op.store.meta.get_meta("demo") == "1"


def _open_with_recovery(paths: VaultPaths, env: Environment, recovery_code: str) -> Vault:
    slots = load_slots(paths)
    candidates = [s for s in slots.slots if s.kind == "recovery"]
    if not candidates:
        raise NotFound("This vault has no recovery slot.")
    # Normally one. Should someone have added another (the file is not authenticated), the code
    # still opens its own, and that session records which one is real (Vault.record_own_slot).
    for slot in candidates:
        try:
            return Vault.open_slot(paths, slots, slot, normalise_recovery_code(recovery_code), env.device)
        except AuthenticationError:
            continue
    raise AuthenticationError("The recovery code is wrong: it is the 25 characters shown once when the vault "
                              "was created.")


def recover_account(paths: VaultPaths, env: Environment, *, recovery_code: str, username: str, new_password: str) -> None:
    """Open with the recovery slot and give `username` a new password (and this workstation's binding)."""
    vault = _open_with_recovery(paths, env, recovery_code)
    try:
        target = unit.reading(vault).accounts.by_username(check_username(username))
        if target is None or not target.active:
            raise NotFound(f"There is no active account '{username[:40]}'.")
        check_password(new_password, target.username)
        version = target.slot_version + 1
        with unit.transaction(vault) as store:
            vault.record_own_slot()
            store.accounts.set_slot_version(target.id, version)
            store.log.append(system_entry(
                env, Action.RECOVERY_USED, Outcome.ALLOWED, user_id=target.id, username=target.username,
                role=target.role.value, bcu=target.bcu, record_ref=f"user:{target.id}",
                detail="password reset with the vault recovery code",
            ))
            vault.put_user_slot(target.id, version, vault.locator(target.username), new_password, env.kdf,
                                auditor=target.role is Role.AUDITOR)
    finally:
        vault.close()


def deliver_keys_with_recovery(paths: VaultPaths, env: Environment, *, recovery_code: str) -> dict[str, list[int]]:
    """Seal each compartment key to the active accounts entitled to it that lack it, from the recovery slot.

    A new vault's BCU keys are held by its recovery slot alone (the administrator is never entitled to them),
    so a BCU's first SPOC or auditor can only get theirs this way; after that, holders pass keys on at each
    sign-in (key_custody.deliver_entitled). Returns compartment -> the user ids it was sealed to.
    """
    vault = _open_with_recovery(paths, env, recovery_code)
    try:
        keyed = unit.reading(vault).accounts.keyed_compartments(env.clock.now().date().isoformat())
        delivered = vault.deliver_keyed(keyed)
        with unit.transaction(vault) as store:
            vault.record_own_slot()
            for name, users in sorted(delivered.items()):
                store.log.append(system_entry(
                    env, Action.KEY_DELIVER, Outcome.ALLOWED,
                    detail=f"key of compartment {name} sealed with the recovery code to "
                           + ", ".join(f"user:{u}" for u in users)))
            if not delivered:
                store.log.append(system_entry(env, Action.KEY_DELIVER, Outcome.ALLOWED,
                                              detail="recovery code: every entitled account already held its keys"))
        return delivered
    finally:
        vault.close()


# Said before the recovery code is asked for: no credential store, no binding, whoever asks.
NO_CREDENTIAL_STORE = ("Binding is impossible on this workstation: no OS credential store was found (on Linux, a "
                       "Secret Service such as GNOME Keyring or KWallet, unlocked in this session), so the device "
                       "secret that binds the vault would have nowhere to be kept. Nothing was changed.")


@dataclass(frozen=True)
class Binding:
    """What binding the vault did, for the command to say."""

    already: bool  # bound to this workstation before: nothing was changed
    # Active accounts whose slots are not bound yet: each is bound at its holder's next sign-in here.
    at_next_sign_in: int = 0
    # Active accounts bound to the workstation the vault was bound to before: their passwords no longer open
    # it here, and they need new ones here (`gvm-desktop recover`).
    bound_elsewhere: int = 0


def bound_here(paths: VaultPaths, env: Environment) -> bool:
    """Whether the vault is bound to this workstation: marked bound, and its device secret is here."""
    slots = load_slots(paths)
    return slots.device_binding and env.device.get(slots.vault_id) is not None


def binding_needed(paths: VaultPaths, env: Environment) -> bool:
    """False when the vault is bound to this workstation already; GvmError when binding is impossible here."""
    if bound_here(paths, env):
        return False
    if not env.device.available():
        raise GvmError(NO_CREDENTIAL_STORE)
    return True


def bind_vault(paths: VaultPaths, env: Environment, *, recovery_code: str) -> Binding:
    """Bind the vault to this workstation with the recovery code, which proves custody of the vault.

    The slot file is marked bound and this workstation's device secret made (or kept, if here already). The
    accounts' slots are wrapped under their passwords, which nobody here knows: each is bound at its holder's next
    sign-in here (AuthService). The recovery slot stays unbound, as create_vault makes it: losing the
    workstation must not lose the vault. A vault bound to another workstation (its folder moved here) is bound to
    this one instead. The slot file is written inside the transaction that logs it, as recover_account does.
    """
    if not binding_needed(paths, env):
        return Binding(already=True)
    vault = _open_with_recovery(paths, env, recovery_code)
    try:
        moved = vault.slots.device_binding  # marked bound, yet the secret is not here: bound to another workstation
        with unit.transaction(vault) as store:
            active = {a.id for a in store.accounts.all_accounts() if a.active}
            user_slots = [s for s in vault.slots.slots if s.kind == "user" and s.user_id in active]
            binding = Binding(already=False, at_next_sign_in=sum(not s.device_bound for s in user_slots),
                              bound_elsewhere=sum(s.device_bound for s in user_slots) if moved else 0)
            vault.record_own_slot()
            detail = (f"vault bound to this workstation with the recovery code; {binding.at_next_sign_in} account(s) "
                      "bound at their next sign-in here")
            if moved:
                detail += (f"; it was bound to another workstation, where {binding.bound_elsewhere} account(s) stay "
                           "bound until given new passwords here")
            store.log.append(system_entry(env, Action.VAULT_BIND, Outcome.ALLOWED, detail=detail))
            vault.bind_to_workstation()
        return binding
    finally:
        vault.close()


def grant_log_key_with_recovery(paths: VaultPaths, env: Environment, *, recovery_code: str, auditor: str) -> bool:
    """Give an auditor the log verification key from the recovery slot (e.g. the first auditor of a vault).

    False when the auditor already holds a pinned key (nothing to give)."""
    vault = _open_with_recovery(paths, env, recovery_code)
    try:
        target = unit.reading(vault).accounts.by_username(check_username(auditor))
        if target is None or not target.active or target.role is not Role.AUDITOR:
            raise NotFound(f"There is no active auditor account '{auditor[:40]}'.")
        granted = vault.grant_log_key({target.id})
        with unit.transaction(vault) as store:
            vault.record_own_slot()
            store.log.append(system_entry(
                env, Action.LOG_KEY_GRANT, Outcome.ALLOWED, user_id=target.id, username=target.username,
                role=target.role.value, record_ref=f"user:{target.id}",
                detail="log verification key granted with the recovery code" if granted else "already held"))
        return bool(granted)
    finally:
        vault.close()
