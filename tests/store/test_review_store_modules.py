"""The store modules split out of store/reviews.py, each on its own tables, through one unit of work."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

import pytest

from gvm_desktop.core.review_rows import ReferenceRow, ReferenceSource
from gvm_desktop.store import database
from gvm_desktop.store.migrations import migrate
from gvm_desktop.store.unit import VaultUnit

NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
VAULT_ID = "3fa2c9e1b7d04e5f9a1c2b3d4e5f6a7b"


@pytest.fixture
def store(tmp_path: Path) -> VaultUnit:
    conn = database.connect(tmp_path / "v.db", os.urandom(32), create=True)
    migrate(conn)
    conn.execute("INSERT INTO users (id, username, display_name, role, bcu, locator, status, created_at) "
                 "VALUES (7, 'demo.spoc', 'Demo Spoc', 'spoc', 'CE', 'ab', 'active', '2026-01-01T00:00:00Z')")
    return VaultUnit(conn)


def test_a_signing_key_opens_only_with_the_key_that_wrapped_it(store: VaultUnit) -> None:
    certificates = store.certificates
    assert certificates.authority() is None
    ca = certificates.create_authority(VAULT_ID, NOW)
    assert certificates.authority() == ca
    assert not certificates.has_signer(7) and certificates.signer(VAULT_ID, 7, b"k" * 32) is None
    issued = certificates.issue_signer(ca, VAULT_ID, 7, full_name="Demo Spoc", username="demo.spoc", role="spoc",
                                       bcu="CE", wrap_key=b"k" * 32, now=NOW)
    assert certificates.signer(VAULT_ID, 7, b"k" * 32) == issued
    # Another password's key, another vault or another person: the key stays shut, and one is issued anew.
    assert certificates.signer(VAULT_ID, 7, b"j" * 32) is None
    assert certificates.signer("0" * 32, 7, b"k" * 32) is None
    assert certificates.has_signer(7)


def test_the_reference_population_is_replaced_whole(store: VaultUnit) -> None:
    reference = store.reference
    assert reference.rows() == [] and reference.source() is None
    first = [ReferenceRow("Hackney", "gender", "Male", 120), ReferenceRow("Hackney", "gender", "Female", 130)]
    assert reference.replace(first, source="ONS 2021", at="2026-11-01T09:00:00Z") == 2
    assert reference.replace(first[:1], source="ONS 2021 (men only)", at="2026-11-02T09:00:00Z") == 1
    assert reference.rows() == first[:1]
    assert reference.source() == ReferenceSource("ONS 2021 (men only)", "2026-11-02T09:00:00Z")


def test_a_disclosure_is_registered_once_per_entry(store: VaultUnit) -> None:
    disclosures = store.disclosures
    disclosures.record(5, ["N-000001", "N-000002", "N-000001"])
    disclosures.record(9, ["N-000001"])
    assert disclosures.seqs_of("N-000001") == [5, 9] and disclosures.seqs_of("N-000002") == [5]
    assert disclosures.seqs_of("N-000003") == []
