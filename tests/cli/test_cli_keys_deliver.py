"""A new vault's first BCU keys reach its SPOC through `gvm-desktop keys deliver` and the recovery code.

Before: a vault made with `init` (not the demo) had every BCU's key in its recovery slot only, so no SPOC or
officer could ever add a person (the database refused the row: "no compartment held").
"""

from __future__ import annotations

import io
from datetime import date
from pathlib import Path

from gvm_desktop.app import App, build_app
from gvm_desktop.cli import main
from gvm_desktop.core.clock import ManualClock
from gvm_desktop.core.errors import PermissionDenied
from gvm_desktop.core.evidence import EvidenceDraft, EvidenceType, Grading, SourceType
from gvm_desktop.core.people import NominalDraft
from gvm_desktop.core.policy import Role
from gvm_desktop.store.slot import TEST_KDF
from tests.support.memory_keyring import MemoryKeyring

ADMIN_PW = "Velvet-harbour-quartz-2718"
SPOC_PW = "Spoc-Lighthouse-Orbit-56"
PERSON = NominalDraft("Tamsin", "Quillbrook", date(2004, 5, 6), "F", "W1", "N", "1 Fictive Row", "ZZ1 1AA",
                      "Hackney", "CE")
EVIDENCE = [EvidenceDraft(EvidenceType.GANG_ASSOCIATION, SourceType.POLICE, "CRIS-1", Grading.parse("1B P"),
                          date(2026, 1, 5), "Seen with the gang at a fictive address")]


def test_a_new_vaults_spoc_gets_the_bcu_key_from_the_recovery_code(tmp_path: Path) -> None:
    keyring, clock = MemoryKeyring(), ManualClock()

    def factory(folder: Path | None) -> App:
        return build_app(tmp_path / "v", clock=clock, keyring_backend=keyring, kdf=TEST_KDF, workstation="w")

    app = factory(None)
    created = app.init_vault("ada.admin", "Ada Admin", ADMIN_PW)
    ws = created.workspace
    app.accounts.add(ws, username="sam.spoc", display_name="Sam Spoc", role=Role.SPOC, bcu="CE",
                     password=SPOC_PW)
    app.governance.record_training(ws, "sam.spoc", completed_on=date(2026, 10, 1),
                                   expires_on=date(2027, 10, 1))
    app.auth.sign_out(ws)

    spoc = app.auth.sign_in("sam.spoc", SPOC_PW)
    try:
        app.changes.propose(spoc, PERSON, evidence=EVIDENCE, reason="A hand proposal on a new vault")
        raise AssertionError("proposed without the BCU's key")
    except PermissionDenied as refused:
        assert "keys deliver" in str(refused)
    app.auth.sign_out(spoc)

    out, err = io.StringIO(), io.StringIO()
    code = main(["keys", "deliver", "--vault", str(tmp_path / "v"), "--password-stdin"], app_factory=factory,
                stdin=io.StringIO(created.recovery_code + "\n"), stdout=out, stderr=err)
    assert code == 0, err.getvalue()
    assert "bcu:CE: sealed to 1 account" in out.getvalue()

    spoc = app.auth.sign_in("sam.spoc", SPOC_PW)
    ref = app.changes.propose(spoc, PERSON, evidence=EVIDENCE, reason="A hand proposal on a new vault")
    assert ref.startswith("N-")
    app.auth.sign_out(spoc)

    # A second delivery has nothing to do; a wrong code is an authentication failure.
    out = io.StringIO()
    assert main(["keys", "deliver", "--vault", str(tmp_path / "v"), "--password-stdin"], app_factory=factory,
                stdin=io.StringIO(created.recovery_code + "\n"), stdout=out, stderr=io.StringIO()) == 0
    assert "nothing was changed" in out.getvalue()
    err = io.StringIO()
    assert main(["keys", "deliver", "--vault", str(tmp_path / "v"), "--password-stdin"], app_factory=factory,
                stdin=io.StringIO("AAAAA-AAAAA-AAAAA-AAAAA-AAAAA\n"), stdout=io.StringIO(), stderr=err) == 3
    assert "recovery code is wrong" in err.getvalue()
