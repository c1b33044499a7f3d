"""The lockout holds when many sign-ins for one account start at the same moment (issue 10).

Each attempt is a separate process with its own App on the same vault folder, as
several copies of the program on a shared workstation would be.
"""

from __future__ import annotations

import json
import multiprocessing
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from gvm_desktop.app import build_app
from gvm_desktop.core.audit import Action, Outcome
from gvm_desktop.core.clock import ManualClock
from gvm_desktop.core.errors import AccountLocked, AuthenticationError
from gvm_desktop.core.policy import Role
from gvm_desktop.core.settings import LOCKOUT_THRESHOLD
from gvm_desktop.store import access_log
from gvm_desktop.store.slot import TEST_KDF, KdfParams
from tests.conftest import ADMIN, ADMIN_PW
from tests.support.memory_keyring import MemoryKeyring
from tests.support.vault_access import conn_of

ATTEMPTS = 16
TARGET = "o.target"
TARGET_PW = "granite-lantern-meadow-63"
WRONG_PW = "definitely-not-it-42"
# Slots made with a costlier Argon2id than TEST_KDF, so that each password check takes
# long enough (tens of milliseconds) for a race to be real if attempts are not serialised.
RACE_KDF = KdfParams(time_cost=2, memory_kib=32 * 1024, parallelism=1)

# Exit codes of an attempt, read by the parent.
WRONG, LOCKED, OTHER = 10, 11, 12


def _attempt(folder: str, start: multiprocessing.synchronize.Barrier) -> None:
    """One process, one wrong password: what a second copy of the program would do."""
    app = build_app(Path(folder), clock=ManualClock(), keyring_backend=MemoryKeyring(), kdf=TEST_KDF,
                    workstation="ws-race")
    start.wait(timeout=120)
    try:
        app.auth.sign_in(TARGET, WRONG_PW)
    except AccountLocked:
        sys.exit(LOCKED)
    except AuthenticationError:
        sys.exit(WRONG)
    except BaseException as exc:  # anything else is a finding: say what it was
        print(f"attempt failed unexpectedly: {exc!r}", file=sys.stderr)
        sys.exit(OTHER)
    sys.exit(OTHER)


def _context() -> multiprocessing.context.BaseContext:
    # fork is much quicker on Linux (no re-import of the application per process); spawn elsewhere.
    methods = multiprocessing.get_all_start_methods()
    return multiprocessing.get_context("fork" if "fork" in methods else "spawn")


def test_sixteen_parallel_wrong_passwords_check_five_and_log_every_attempt(tmp_path: Path) -> None:
    folder = tmp_path / "vault"
    app = build_app(folder, clock=ManualClock(), keyring_backend=MemoryKeyring(), kdf=RACE_KDF,
                    workstation="ws-test-01")
    # Unbound: each process has its own in-memory keyring, so a device-bound slot would open nowhere else.
    admin_ws = app.init_vault(ADMIN, "Alice Admin (synthetic)", ADMIN_PW, bind=False).workspace
    app.accounts.add(admin_ws, username=TARGET, display_name="Target Officer (synthetic)", role=Role.OFFICER,
                     bcu="CE", password=TARGET_PW)
    app.auth.sign_out(admin_ws)

    ctx = _context()
    start = ctx.Barrier(ATTEMPTS)
    procs = [ctx.Process(target=_attempt, args=(str(folder), start)) for _ in range(ATTEMPTS)]
    began = time.monotonic()
    for p in procs:
        p.start()
    for p in procs:
        p.join(timeout=180)
    elapsed = time.monotonic() - began
    codes = Counter(p.exitcode for p in procs)
    assert codes[OTHER] == 0 and sum(codes.values()) == ATTEMPTS, codes
    # Four plain failures; the fifth locks (and says so), the other eleven are refused unchecked.
    assert codes == {WRONG: LOCKOUT_THRESHOLD - 1, LOCKED: ATTEMPTS - LOCKOUT_THRESHOLD + 1}, (codes, elapsed)

    pending = Counter(p["outcome"] for p in json.loads(app.paths.throttle.read_text("utf-8"))["pending"])
    assert pending == {"wrong_password": LOCKOUT_THRESHOLD, "account_locked": 1,
                       "locked": ATTEMPTS - LOCKOUT_THRESHOLD}, (pending, elapsed)

    # The next session moves the burst into the access log: one entry per attempt
    # (_PENDING_ACTIONS: wrong_password and locked are both SIGN_IN_FAILED, as FAILED and
    # REFUSED) plus the ACCOUNT_LOCKED entry, so 5 + 11 + 1 = 17 entries naming the target.
    ws = app.auth.sign_in(ADMIN, ADMIN_PW)
    burst = [e.entry for e in access_log.recent(conn_of(ws), 500) if e.entry.username == TARGET
             and e.entry.action in (Action.SIGN_IN_FAILED, Action.ACCOUNT_LOCKED)]
    kinds = Counter((e.action, e.outcome, e.detail) for e in burst)
    assert kinds == {
        (Action.SIGN_IN_FAILED, Outcome.FAILED, "wrong password"): LOCKOUT_THRESHOLD,
        (Action.SIGN_IN_FAILED, Outcome.REFUSED, "account locked"): ATTEMPTS - LOCKOUT_THRESHOLD,
        (Action.ACCOUNT_LOCKED, Outcome.REFUSED, f"{LOCKOUT_THRESHOLD} failed sign-ins in a row"): 1,
    }, kinds
    assert len(burst) == ATTEMPTS + 1
    app.auth.sign_out(ws)
    # And the lock is real: even the right password is refused now.
    with pytest.raises(AccountLocked):
        app.auth.sign_in(TARGET, TARGET_PW)
