"""Who holds which compartment key, kept in step with the accounts (issue 13).

Keys follow the account records, and only a holder can pass one on or rotate it:
- at each sign-in, the session logs what its slot's key pins say changed (a first use, a
  rotation followed, a key no longer held), then pins them;
- it carries out the rotations recorded as due on compartments it holds (an account that
  held them was disabled or lost its grant by someone who does not hold them: the
  administrator, or a SPOC for a compartment of another BCU);
- and it seals each compartment key it holds to the active accounts entitled to it that lack
  it (core.policy.bcus_keyed: an officer once granted, the BCU's SPOCs, the auditors).
Every step is logged; a step that fails is logged as failed and the sign-in goes on.
"""

from __future__ import annotations

import json

from gvm_desktop.core.audit import Action, Outcome
from gvm_desktop.core.clock import to_iso
from gvm_desktop.core.errors import GvmError
from gvm_desktop.services.context import Workspace
from gvm_desktop.store.protocols import Unit

ROTATIONS_DUE = "rotations_due"  # meta: compartments whose keys a revoked account held, to rotate


def due(store: Unit) -> list[str]:
    raw = store.meta.get_meta(ROTATIONS_DUE)
    try:
        names = json.loads(raw) if raw else []
    except ValueError:
        return []
    return sorted({n for n in names if isinstance(n, str)}) if isinstance(names, list) else []


def add_due(store: Unit, names: list[str]) -> None:
    """Inside the revoking transaction: these compartments must be rotated by their next holder."""
    wanted = sorted(set(due(store)) | {n for n in names if n.startswith(("bcu:", "dsa:"))})
    if wanted:
        store.meta.set_meta(ROTATIONS_DUE, json.dumps(wanted))


def clear_due(store: Unit, names: list[str]) -> None:
    left = [n for n in due(store) if n not in names]
    if left:
        store.meta.set_meta(ROTATIONS_DUE, json.dumps(left))
    else:
        store.meta.delete_meta(ROTATIONS_DUE)


def keys_at_sign_in(ws: Workspace) -> None:
    """Pins logged then written, due rotations carried out, previews kept, keys delivered: see the module's docstring."""
    _pin_keys(ws)
    _rotate_due(ws)
    _finish_review_purges(ws)
    keep_previews(ws)
    deliver_entitled(ws)


def _finish_review_purges(ws: Workspace) -> None:
    """The administrator's retention purge removes signed reviews from common; their items (names and ages)
    are in the BCU compartments, which it holds no key to: the next session holding each BCU removes them."""
    with ws.operation(None, Action.PURGE, writes=False) as op:
        if not op.vault.held.attached:
            return
    with ws.operation(None, Action.PURGE) as op:
        removed = op.store.reviews.remove_orphaned_items()
        if removed:
            op.log(detail=f"{removed} items of signed reviews purged from common, removed from "
                          f"{', '.join(op.vault.held.attached)}")


def keep_previews(ws: Workspace) -> None:
    """A holder of a BCU's key creates the preview compartment of each agreement of that BCU in force that
    has none, then refills each attached preview once a day (ages move), and empties an ended one."""
    with ws.operation(None, Action.DSA_PREVIEW, writes=False) as op:
        today = op.env.clock.now().date()
        agreements = op.store.agreements.all_agreements()
        keyed = op.store.accounts.keyed_compartments(today.isoformat())
        missing = [a for a in agreements if a.in_force(today) and a.bcu in op.vault.held.attached
                   and a.id not in op.vault.attached_agreements()]
    for agreement in missing:
        name = f"dsa:{agreement.id}"
        holders = sorted(uid for uid, names in keyed.items() if name in names)
        with ws.operation(None, Action.DSA_PREVIEW, writes=False, alone=True) as op:
            made = op.vault.create_preview(agreement, holders)
        if made:
            with ws.operation(None, Action.DSA_PREVIEW) as op:
                op.log(operation_ref=f"DSA-{agreement.id}", detail=(
                    f"preview compartment of DSA #{agreement.id} created, its key sealed to "
                    + (", ".join(f"user:{u}" for u in holders) or "the recovery slot only")))
    with ws.operation(None, Action.DSA_PREVIEW, writes=False) as op:
        kept = [a for a in agreements if a.id in op.vault.attached_agreements() and a.bcu in op.vault.held.attached]
    for agreement in kept:
        with ws.operation(None, Action.DSA_PREVIEW) as op:
            done = op.store.previews.upkeep(agreement, on=today, at=to_iso(op.env.clock.now()))
            if done:
                op.log(operation_ref=f"DSA-{agreement.id}", detail=f"preview of DSA #{agreement.id} {done}")


def rotate_withdrawn(ws: Workspace, names: list[str], why: str) -> None:
    """After a commit that withdrew keys from an account: rotate those this session holds, now."""
    mine = [n for n in names if n]
    with ws.operation(None, Action.KEY_ROTATE, writes=False) as op:
        mine = [n for n in mine if op.vault.holds(n)]
    if mine:
        _rotate(ws, mine, why)


def _pin_keys(ws: Workspace) -> None:
    with ws.operation(None, Action.KEY_PIN, writes=False) as op:
        changes = op.vault.key_changes
        split = op.vault.split_now
    if split:
        with ws.operation(None, Action.VAULT_SPLIT) as op:
            op.log(detail=split)
        op.vault.split_now = None
    with ws.operation(None, Action.VAULT_SPLIT, writes=False) as op:
        made = op.vault.new_bcus
    if made:
        with ws.operation(None, Action.VAULT_SPLIT) as op:
            op.log(detail=f"compartments made for {', '.join(made)}, each key sealed to the recovery slot and the "
                          "accounts entitled to it")
        op.vault.new_bcus = []
    if changes:
        with ws.operation(None, Action.KEY_PIN) as op:
            # One entry for the opening: a first sign-in accepts a key per compartment the role holds.
            op.log(detail="; ".join(change.describe() for change in changes))
    with ws.operation(None, Action.KEY_PIN, writes=False, alone=True) as op:
        op.vault.pin_keys()


def _rotate_due(ws: Workspace) -> None:
    with ws.operation(None, Action.KEY_ROTATE, writes=False) as op:
        mine = [n for n in due(op.store) if op.vault.holds(n)]
    if mine:
        _rotate(ws, mine, "as due after a revocation")


def _rotate(ws: Workspace, names: list[str], why: str) -> None:
    try:
        with ws.operation(None, Action.KEY_ROTATE, writes=False, alone=True) as op:
            op.vault.revoke_and_rotate(None, names=names, common=False)
    except GvmError as failure:
        with ws.operation(None, Action.KEY_ROTATE) as op:
            op.log(outcome=Outcome.FAILED, detail=f"rotation of {', '.join(names)} failed: {type(failure).__name__}")
        return
    with ws.operation(None, Action.KEY_ROTATE) as op:
        clear_due(op.store, names)
        op.log(detail=f"keys rotated {why}: {', '.join(names)}")


def deliver_entitled(ws: Workspace) -> None:
    """Seal each compartment key this session holds to the entitled accounts lacking it, and log it."""
    with ws.operation(None, Action.KEY_DELIVER, writes=False) as op:
        keyed = op.store.accounts.keyed_compartments(op.env.clock.now().date().isoformat())
    with ws.operation(None, Action.KEY_DELIVER, writes=False, alone=True) as op:
        delivered = op.vault.deliver_keyed(keyed)
    if delivered:
        with ws.operation(None, Action.KEY_DELIVER) as op:
            for name, users in sorted(delivered.items()):
                op.log(detail=f"key of compartment {name} sealed to " + ", ".join(f"user:{u}" for u in users))
