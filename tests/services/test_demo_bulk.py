"""The demo's people go in by bulk statements, and the vault holds what adding them one by one left.

The one-by-one path is kept here as the reference (`_fill_one_by_one`, the demo build before issue 14:
insert, update, rescore, one statement per row). A small demo is built both ways, with the split on
and off, and every table of every file compared: references, ids, scores, bands, statuses, evidence,
the reference index, the status tags, the name index's every word, the archive and the log's entries.
The bulk-built vault then answers through the services as a demo must: search, a record, a status
check, the log's chain and the files' integrity.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from gvm_desktop.app import App, build_app
from gvm_desktop.core.changes import archive_age_band
from gvm_desktop.core.clock import ManualClock
from gvm_desktop.core.justification import Justification
from gvm_desktop.core.people import NominalDraft, age_on
from gvm_desktop.core.policy import Role
from gvm_desktop.core.scoring import ScoringPolicy, score
from gvm_desktop.core.synthetic_matrix import extras_for
from gvm_desktop.services import demo_matrix
from gvm_desktop.services.vaults import DEMO_ACCOUNTS
from gvm_desktop.store import compartment_split, database, keyslots, status_tags
from gvm_desktop.store.protocols import Unit
from gvm_desktop.store.slot import TEST_KDF
from gvm_desktop.store.vault import Vault, load_slots
from tests.support.memory_keyring import MemoryKeyring

ACC = {a.role: a for a in DEMO_ACCOUNTS}
PEOPLE = 150  # every profile: proposed, removed, in custody, with interventions and activity, in all 12 BCUs
WHY = Justification.make("linked_operation", "Checking the demo build of the synthetic matrix", "Op DEMO/14")


def _fill_one_by_one(store: Unit, people: list[NominalDraft], *, seed: int, today: date, at: str, by: int,
                     policy: ScoringPolicy, retention_years: int,
                     progress: Callable[[int, int], None] | None = None) -> dict[str, int]:
    """demo_matrix.fill as it was: each person proposed, updated and rescored, each row its own statement."""
    records = store.records
    ids = store.nominals.insert_many(people, status="proposed", at=at, created_by=by)
    extras = extras_for([p.date_of_birth for p in people], seed=seed, today=today)
    counts = {"active": 0, "proposed": 0, "removed": 0, "evidence": 0}
    for nominal_id, person, x in zip(ids, people, extras, strict=True):
        for e in x.evidence:
            records.add_evidence(nominal_id, e, at, by)
        counts["evidence"] += len(x.evidence)
        changes: dict[str, object] = {"gangs": "\n".join(x.gangs)}
        if x.status != "proposed":
            changes.update(status="active", date_added=min(e.on for e in x.evidence).isoformat())
        if x.in_custody:
            changes.update(in_custody=1, custody_from=x.custody_from.isoformat() if x.custody_from else None)
        records.update(nominal_id, changes)
        records.store_score(nominal_id, score(records.scoring_events(nominal_id), today, policy))
        for referral, provider, offered, taken, outcome in x.interventions:
            records.add_intervention(nominal_id, {
                "referral": referral, "provider": provider, "offered_on": offered.isoformat(), "taken_up": taken,
                "outcome": outcome, "starts_on": offered.isoformat() if taken else None, "ends_on": None}, by)
        for kind, on in x.activity:
            records.add_activity(nominal_id, kind, on, "Synthetic demo entry.", by)
        if x.status == "proposed":
            records.add_proposal(nominal_id, "add", "Synthetic demo proposal awaiting a second source.", by, at)
            counts["proposed"] += 1
        elif x.status == "remove":
            records.archive_and_delete(
                nominal_id, removed_at=at, reason="Synthetic demo removal: no current evidence of involvement.",
                proposed_by=by, approved_by=by, purge_after=today.replace(year=today.year + retention_years).isoformat(),
                age_band=archive_age_band(age_on(person.date_of_birth, today)))
            counts["removed"] += 1
        else:
            counts["active"] += 1
    if counts["removed"]:
        records.compact_search_index()
    return counts


def _build(folder: Path, *, split: bool, one_by_one: bool) -> App:
    app = build_app(folder, clock=ManualClock(), keyring_backend=MemoryKeyring(), kdf=TEST_KDF,
                    workstation="ws-bulk", tz="UTC")
    with pytest.MonkeyPatch.context() as patch:
        if one_by_one:
            patch.setattr(demo_matrix, "fill", _fill_one_by_one)
        if not split:  # as tests/services/test_split_upgrade.py builds a vault from before compartments
            patch.setattr(compartment_split, "split", lambda *_args, **_kw: {})
            patch.setattr(Vault, "open_compartments", lambda _self: None)
        app.auth.sign_out(app.create_demo(PEOPLE).workspace)
    return app


# What differs between two builds whatever the path: keys, MACs, salts, the vault's id and certificate.
_RANDOM = {"certificate_authority", "users", "log_state", "keyslot_pins", "signing_keys"}


def _contents(app: App) -> dict[str, list[tuple[Any, ...]]]:
    """Every table of every file, rows sorted; key-dependent columns left out or checked on the way."""
    auditor = ACC[Role.AUDITOR]
    ring = keyslots.open_keyring_with_password(load_slots(app.paths), auditor.username, auditor.password, None)
    files = {"common": app.paths.database}
    files.update({name: app.paths.folder / f"bcu-{name[4:]}.db" for name in ring if name.startswith("bcu:")})
    out: dict[str, list[tuple[Any, ...]]] = {}
    tags: dict[int, bytes] = {}
    # The BCUs' people first: common's status tags are checked against them.
    for name, path in sorted(files.items(), key=lambda item: (item[0] == "common", item[0])):
        with contextlib.closing(database.connect(path, ring[name])) as conn:  # temp.words aside, only read
            for (table,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").fetchall():
                if table in _RANDOM or table.startswith("nominal_search"):
                    continue
                rows = [tuple(r) for r in conn.execute(f'SELECT * FROM "{table}"')]  # names from the file's own catalogue
                if table == "access_log":
                    rows = [r[:-1] for r in rows]  # its MAC, under the vault's own log key
                elif table == "meta":
                    rows = [r for r in rows if r[0] not in ("vault_id", "recovery_slot_public")]
                elif table == "status_index":
                    rows = [(i, tags.get(i) == bytes(tag), harm, victim) for i, tag, harm, victim in rows]
                elif table == "nominals" and "status" in ring:
                    tags.update({int(i): status_tags.tag(ring["status"], str(k), str(d)) for i, k, d in
                                 conn.execute("SELECT id, search_key, date_of_birth FROM nominals")})
                out[f"{name}.{table}"] = sorted(rows, key=repr)
            if any(t == "nominal_search" for (t,) in conn.execute("SELECT name FROM sqlite_master")):
                conn.execute("CREATE VIRTUAL TABLE temp.words USING fts5vocab(main, nominal_search, instance)")
                out[f"{name}.nominal_search words"] = sorted(tuple(r) for r in conn.execute("SELECT * FROM temp.words"))
    return out


@pytest.fixture(scope="module")
def builds(tmp_path_factory: pytest.TempPathFactory) -> Callable[[bool, bool], App]:
    """The demo built (split, one by one), once per module each."""
    made: dict[tuple[bool, bool], App] = {}

    def built(split: bool, one_by_one: bool) -> App:
        if (split, one_by_one) not in made:
            folder = tmp_path_factory.mktemp("split" if split else "one-file")
            made[split, one_by_one] = _build(folder / "vault", split=split, one_by_one=one_by_one)
        return made[split, one_by_one]

    return built


@pytest.mark.parametrize("split", [True, False], ids=["split", "one-file"])
def test_the_bulk_build_holds_what_the_one_by_one_build_held(builds: Callable[[bool, bool], App], split: bool) -> None:
    bulk, one_by_one = _contents(builds(split, False)), _contents(builds(split, True))
    if not split:
        # One file's tables of rows about a person allocate no AUTOINCREMENT ids (a compartment's do): one by one,
        # a removed person's rows, the last inserted, left their ids free for the next person's. The rows are the same.
        for table in ("evidence", "interventions", "police_activity", "proposals"):
            bulk[f"common.{table}"], one_by_one[f"common.{table}"] = (
                sorted((r[1:] for r in rows[f"common.{table}"]), key=repr) for rows in (bulk, one_by_one))
    assert bulk.keys() == one_by_one.keys()
    for table, rows in one_by_one.items():
        assert bulk[table] == rows, table
    people = [n for key, rows in bulk.items() if key.endswith(".nominals") for n in rows]
    assert len(people) > PEOPLE * 0.9 and bulk["common.archive"]  # people kept, and some removed
    statuses = {row[3] for row in bulk["common.person_index"]}
    assert statuses == {"active", "proposed"}
    tags = bulk["common.status_index"]
    assert all(tag_matches for _id, tag_matches, _harm, _victim in tags)
    assert len(tags) == (len(people) if split else 0)  # a one-file vault gets its tags at the split


def test_the_people_go_in_by_few_statements(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A statement per table per batch, not one per row: the one-by-one build issued about 20 per person."""
    statements = [0]
    filling = [False]
    fill = demo_matrix.fill

    def counted(*args: Any, **kwargs: Any) -> dict[str, int]:
        filling[0] = True
        try:
            return fill(*args, **kwargs)
        finally:
            filling[0] = False

    for method in ("execute", "executemany"):
        original = getattr(database._Cursor, method)

        def counting(self: Any, *args: Any, _original: Any = original) -> Any:
            statements[0] += filling[0]
            return _original(self, *args)

        monkeypatch.setattr(database._Cursor, method, counting)
    monkeypatch.setattr(demo_matrix, "fill", counted)
    app = build_app(tmp_path / "vault", clock=ManualClock(), keyring_backend=MemoryKeyring(), kdf=TEST_KDF,
                    workstation="ws-bulk", tz="UTC")
    steps: list[int] = []
    app.auth.sign_out(app.create_demo(600, progress=lambda done, _total: steps.append(done)).workspace)
    assert 0 < statements[0] < 600 // 5
    assert steps == sorted(steps) and steps[-1] == 1000


def test_the_bulk_built_vault_answers_through_the_services(builds: Callable[[bool, bool], App]) -> None:
    app = builds(True, False)  # a sign-in splits a one-file vault: only the split one is signed into
    officer, auditor = ACC[Role.OFFICER], ACC[Role.AUDITOR]
    ws = app.auth.sign_in(officer.username, officer.password)
    try:
        view = app.matrix.list(ws)
        active = next(r for r in app.matrix.rows(ws, view, view.ids)
                      if r.values["status"] == "active" and r.values["harm_score"])
        record = app.records.open(ws, str(active.values["ref"]), WHY)  # rescored as it opens: the stored score held
        assert (record.status, record.harm_score, record.harm_band, record.victim_band) == (
            "active", active.values["harm_score"], active.values["harm_band"], active.values["victim_band"])
        assert record.date_added is not None and record.score_lines and record.evidence
        assert record.id in app.matrix.list(ws, query=f"{record.given_name} {record.family_name}").ids
        answer = app.matrix.status_check(ws, record.given_name, record.family_name, record.date_of_birth, WHY)
        assert (answer.on_matrix, answer.ref, answer.harm_band) == (True, record.ref, record.harm_band)
    finally:
        app.auth.sign_out(ws)
    ws = app.auth.sign_in(auditor.username, auditor.password)
    try:
        assert app.audit.verify(ws).intact
        assert app.integrity.check(ws).intact
    finally:
        app.auth.sign_out(ws)
