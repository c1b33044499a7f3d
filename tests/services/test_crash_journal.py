"""A process killed while it commits record changes: the vault opens, the log verifies, and every change has its entry.

The vault keeps rollback journals (store/database.py). Another process, here a real session
committing record changes through the services, is killed:
- with SIGKILL at random moments, as a crash or `kill -9` would;
- by the kernel at one chosen point inside a commit, every time: it sets a file size limit
  (RLIMIT_FSIZE, SIGXFSZ's default action restored) at the database's size, so the first
  commit that needs a new page dies writing it, after the journal was made hot and the
  lower pages were already overwritten (SQLite writes them in page order).
What the crash leaves, a hot `vault.db-journal`, is SQLite's to roll back at the next open,
whichever opens first: a sign-in, `log verify` (a read-only open) or `gvm-desktop check`. It
is never reported as damage.

Each edit sets the person's address to "<n> Crash Road", n one more than the address it
read, and each activity added carries a note; so after any crash the address's number must
equal the edits logged, and the notes the activity entries logged, or a change and its entry
were split.
"""

from __future__ import annotations

import random
import re
import shutil
import signal
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from gvm_desktop.app import App, build_app
from gvm_desktop.core.audit import Action
from gvm_desktop.core.clock import ManualClock
from gvm_desktop.core.passwords import normalise_username
from gvm_desktop.core.policy import Role
from gvm_desktop.services.vaults import DEMO_ACCOUNTS
from gvm_desktop.store import integrity, keyslots
from gvm_desktop.store.database import journal_of
from gvm_desktop.store.device import DeviceSecrets
from gvm_desktop.store.files import VaultPaths
from gvm_desktop.store.keyslots import TEST_KDF
from gvm_desktop.store.vault import load_slots
from tests.support.memory_keyring import MemoryKeyring
from tests.support.vault_access import conn_of

ROOT = Path(__file__).resolve().parents[2]
ACC = {a.role: a for a in DEMO_ACCOUNTS}
OFFICER, AUDITOR, ADMIN, SPOC = ACC[Role.OFFICER], ACC[Role.AUDITOR], ACC[Role.ADMIN], ACC[Role.SPOC]
KILLS = 8
NOTE = "crash-test activity"
STREET = re.compile(r"(\d+) Crash Road")
PAGE = 4096
HOT = bytes.fromhex("d9d505f920a163d7")  # the magic number a rollback journal's header gets once it is hot

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL and RLIMIT_FSIZE")


# -- the writer, in its own process ------------------------------------------------------------


def open_app(folder: Path) -> App:
    return build_app(folder, clock=ManualClock(), keyring_backend=MemoryKeyring(), kdf=TEST_KDF,
                     workstation="ws-crash", tz="UTC")


def write_until_stopped(folder: str, ref: str, crash_in_commit: bool) -> None:
    """Sign in as the officer and commit record changes, one operation each, until killed."""
    app = open_app(Path(folder))
    officer = app.auth.sign_in(OFFICER.username, OFFICER.password)
    today = app.env.clock.now().date()
    if crash_in_commit:
        import resource

        limit = app.paths.database.stat().st_size
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        signal.signal(signal.SIGXFSZ, signal.SIG_DFL)  # Python ignores it; the crash is what is wanted
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
    print("ready", flush=True)
    for i in range(100_000):
        if i % 2:
            app.changes.add_activity(officer, ref, "stop", today, NOTE)
        else:
            (address,) = conn_of(officer).execute("SELECT address FROM nominals WHERE ref = ?", (ref,)).fetchone()
            number = int(m[1]) if (m := STREET.fullmatch(address)) else 0
            app.changes.edit(officer, ref, {"address": f"{number + 1} Crash Road"}, "Moved again, says the housing team.")


def start_writer(folder: Path, ref: str, *, crash_in_commit: bool = False) -> subprocess.Popen[str]:
    code = (f"from tests.services.test_crash_journal import write_until_stopped; "
            f"write_until_stopped({str(folder)!r}, {ref!r}, {crash_in_commit!r})")
    proc = subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
    return proc


# -- what the next session finds -------------------------------------------------------------------


@dataclass(frozen=True)
class Tally:
    number: int  # in the address "<n> Crash Road"
    edits_logged: int
    activities: int
    activities_logged: int

    @property
    def split(self) -> bool:
        return self.number != self.edits_logged or self.activities != self.activities_logged


def tally(app: App, ref: str, since: int) -> Tally:
    """Read as the SPOC (who holds the person's BCU compartment), after the access log entries numbered above `since`."""
    ws = app.auth.sign_in(SPOC.username, SPOC.password)
    try:
        conn = conn_of(ws)
        address, nominal_id = conn.execute("SELECT address, id FROM nominals WHERE ref = ?", (ref,)).fetchone()
        logged = dict(conn.execute("SELECT action, count(*) FROM access_log WHERE record_ref = ? AND seq > ? "
                                   "GROUP BY action", (ref, since)).fetchall())
        activities = conn.execute("SELECT count(*) FROM police_activity WHERE nominal_id = ? AND note = ?",
                                  (nominal_id, NOTE)).fetchone()[0]
    finally:
        app.auth.sign_out(ws)
    m = STREET.fullmatch(address)
    return Tally(int(m[1]) if m else 0, logged.get(Action.RECORD_EDIT.value, 0), activities,
                 logged.get(Action.ACTIVITY_ADD.value, 0))


def journal_state(folder: Path) -> str:
    journal = journal_of(VaultPaths(folder).database)
    if not journal.exists():
        return "none"
    return "hot" if journal.read_bytes()[:8] == HOT else "not hot"


def a_person(app: App) -> tuple[str, int]:
    """A CE person the officer may edit, and the access log's last entry before the writers start."""
    ws = app.auth.sign_in(OFFICER.username, OFFICER.password)
    try:
        conn = conn_of(ws)
        ref = conn.execute("SELECT ref FROM nominals WHERE bcu = 'CE' AND status = 'active' LIMIT 1").fetchone()[0]
        since = conn.execute("SELECT max(seq) FROM access_log").fetchone()[0]
    finally:
        app.auth.sign_out(ws)
    return ref, since


def opens_intact(app: App) -> None:
    """What a next session does first, in turn: `log verify` (read-only), `gvm-desktop check`, a sign-in."""
    assert app.audit.verify_vault(AUDITOR.username, AUDITOR.password).intact
    checked = app.integrity.check_as(ADMIN.username, ADMIN.password)
    assert checked.intact and checked.signed_in, checked.report.summary()


# -- the tests -----------------------------------------------------------------------------------


def test_kill_9_at_random_never_splits_a_record_change_from_its_log_entry(demo_app: App) -> None:
    folder = demo_app.paths.folder
    ref, since = a_person(demo_app)
    rand = random.Random(13)
    found: list[tuple[str, Tally]] = []
    for _ in range(KILLS):
        proc = start_writer(folder, ref)
        try:
            proc.wait(timeout=rand.uniform(0.05, 0.6))
        except subprocess.TimeoutExpired:
            proc.send_signal(signal.SIGKILL)
        assert proc.wait(timeout=30) == -signal.SIGKILL, "the writer stopped on its own"
        left = journal_state(folder)
        app = open_app(folder)
        opens_intact(app)
        found.append((left, tally(app, ref, since)))
    assert [f for f in found if f[1].split] == [], found
    last = found[-1][1]
    assert last.edits_logged + last.activities_logged >= KILLS, found  # the writers did commit, many times
    assert journal_state(folder) == "none"


@pytest.mark.parametrize("torn", [False, True], ids=["whole", "page-1-torn"])
@pytest.mark.parametrize("first_open", ["log verify", "check", "check without a session", "sign-in"])
def test_a_crash_inside_a_commit_leaves_a_hot_journal_that_the_next_open_rolls_back(
    _demo_template: Path, tmp_path: Path, first_open: str, torn: bool
) -> None:
    folder = tmp_path / "vault"
    shutil.copytree(_demo_template, folder)
    app = open_app(folder)
    ref, since = a_person(app)
    proc = start_writer(folder, ref, crash_in_commit=True)
    assert proc.wait(timeout=120) == -signal.SIGXFSZ
    assert journal_state(folder) == "hot"
    if torn:
        # As a power cut in the middle of writing page 1 could leave it. Every commit changes page 1 (its
        # change counter), so the journal holds it as it was: the vault is whole again once rolled back.
        with VaultPaths(folder).database.open("r+b") as db:
            db.write(bytes(PAGE))
    if first_open == "log verify":
        assert app.audit.verify_vault(AUDITOR.username, AUDITOR.password).intact
    elif first_open == "check":
        result = app.integrity.check_as(ADMIN.username, ADMIN.password)
        assert result.intact and result.signed_in, result.report.summary()
    elif first_open == "check without a session":
        # What `gvm-desktop check` falls back on when damage stops the sign-in: the file and a key, nothing else.
        paths = VaultPaths(folder)
        slots = load_slots(paths)
        locator = keyslots.locator_for(normalise_username(ADMIN.username), slots.locator_salt)
        slot = slots.find_user_slot(locator)
        assert slot is not None
        keys = integrity.slot_keys(slots, slot, ADMIN.password, DeviceSecrets(MemoryKeyring()))
        report, account = integrity.check_file(paths.database, keys, locator)
        assert report.intact and account is not None, report.summary()
    else:
        app.auth.sign_out(app.auth.sign_in(OFFICER.username, OFFICER.password))
    assert journal_state(folder) == "none"  # rolled back by that first open
    opens_intact(app)
    found = tally(app, ref, since)
    assert not found.split, found
