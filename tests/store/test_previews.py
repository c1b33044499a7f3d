"""A data sharing agreement's preview compartment (store/previews.py): what a partner's key opens, kept by the BCU's holders.

Built as tests/store/test_compartments.py builds a split vault (common and BCU compartments),
plus an agreement's `dsa-7.db`. A holder's session (an officer of CE) attaches CE and the
preview and installs the triggers; a partner's session attaches the preview alone.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from datetime import date
from pathlib import Path

import pytest
import sqlcipher3
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from gvm_desktop.core.agreements import Agreement
from gvm_desktop.core.errors import StorageError, VaultCorrupt, VaultExists
from gvm_desktop.core.people import NominalDraft, age_on
from gvm_desktop.core.previews import PreviewInfo, PreviewRow
from gvm_desktop.core.records import DSA_FIELDS
from gvm_desktop.core.scoring import Band, Classification, ScoreCard
from gvm_desktop.services.matrix import _row_values
from gvm_desktop.store import compartments as cx
from gvm_desktop.store import database, nominals, previews, records
from tests.store.test_compartments import CODES, NOW, Vault, make_common

TODAY = date(2026, 3, 1)
DSA = 7
SCHEMA = "dsa_7"
ADDRESS = "17 Zqxvandergrove Mews"  # distinctive: found in a file, it leaked there
SURNAME = "Brellingtonne"
SOME = ("ref", "age", "harm_band")  # no name, no borough
ALL = DSA_FIELDS


def agreement(fields: Sequence[str] = ALL, *, dsa_id: int = DSA, bcu: str = "CE",
              starts_on: date = date(2026, 1, 1), ends_on: date = date(2026, 12, 31)) -> Agreement:
    return Agreement(dsa_id, "Fictive Youth Trust", bcu, tuple(fields), starts_on, ends_on)


def draft(given: str, family: str, born: date, *, borough: str = "Hackney", bcu: str = "CE",
          address: str = "1 Fictive Way", aliases: tuple[str, ...] = ()) -> NominalDraft:
    return NominalDraft(given, family, born, "F", "W1", "N", address, "ZZ1 1AA", borough, bcu, aliases)


class Setting:
    """A vault with CE, EA and NE compartments and agreement previews, and sessions on it."""

    def __init__(self, vault: Vault) -> None:
        self.vault = vault

    def create(self, deal: Agreement) -> Path:
        self.vault.keys[f"dsa{deal.id}"] = os.urandom(32)
        return previews.create_preview(self.vault.folder, deal.id, self.vault.keys[f"dsa{deal.id}"], deal.fields)

    def holder(self, *deals: Agreement, held: Sequence[str] = ("CE",), triggers: bool = True) -> database.Connection:
        """An officer's connection: their BCU, the agreements' previews, the views and the preview triggers."""
        conn = self.vault.session(held)
        for deal in deals:
            cx.attach(conn, self.vault.folder, cx.agreement(deal.id), self.vault.keys[f"dsa{deal.id}"])
        if triggers:
            previews.install_triggers(conn, deals, held)
        return conn

    def partner(self, deal: Agreement) -> database.Connection:
        """A partner's connection: common and their agreement's preview, no BCU."""
        conn = self.vault.session([])
        cx.attach(conn, self.vault.folder, cx.agreement(deal.id), self.vault.keys[f"dsa{deal.id}"])
        return conn


@pytest.fixture
def setting(tmp_path: Path) -> Iterator[Setting]:
    vault = Vault(tmp_path / "vault", {"common": os.urandom(32)})
    vault.folder.mkdir()
    make_common(vault.main_file, vault.keys["common"])
    for id_index, code in enumerate(CODES, start=1):
        vault.keys[code] = os.urandom(32)
        cx.create_compartment(vault.folder, cx.bcu(code), vault.keys[code], id_index=id_index)
    yield Setting(vault)
    for conn in vault.opened:
        conn.close()


def add(conn: database.Connection, *people: NominalDraft, status: str = "active") -> list[int]:
    with database.transaction(conn):
        return nominals.insert_many(conn, people, status=status, at=NOW, created_by=None)


def fill(conn: database.Connection, deal: Agreement, on: date = TODAY) -> int:
    with database.transaction(conn):
        return previews.fill(conn, cx.agreement(deal.id).schema, cx.bcu(deal.bcu).schema, deal.bcu, deal.fields,
                             on=on, at=NOW)


def shown(conn: database.Connection, deal: Agreement) -> dict[int, dict[str, object]]:
    """What the partner is shown from the preview: every row's cells, by id."""
    columns = previews.shared_fields(deal.fields)
    found = previews.rows_by_id(conn, deal.id, previews.ids(conn, deal.id))
    return {i: row.cells(columns) for i, row in found.items()}


def today_shown(conn: database.Connection, deal: Agreement, on: date = TODAY) -> dict[int, dict[str, object]]:
    """What the partner's matrix showed before issue 13: its cells computed from the records, as of `on`."""
    columns = previews.shared_fields(deal.fields)
    rows = nominals.rows_by_id(conn, nominals.live_ids(conn, bcu=deal.bcu, statuses=("active",), sort="ref"))
    return {i: _row_values(r, columns, on) for i, r in rows.items()}


def plaintext_pages(path: Path, key: bytes) -> bytes:
    """Every page of a SQLCipher 4 file (raw key, 4096-byte pages), decrypted: in use and free alike.

    sqlcipher_export copies only what the tables hold; this also shows what deleted rows left in free space.
    """
    data, page, reserve = path.read_bytes(), 4096, 16 + 64  # each page ends with its IV and HMAC-SHA512
    out = []
    for start in range(0, len(data), page):
        chunk = data[start : start + page]
        body = chunk[16:page - reserve] if start == 0 else chunk[:page - reserve]  # page 1 opens with the salt
        iv = chunk[page - reserve : page - reserve + 16]
        decryptor = Cipher(algorithms.AES(key), modes.CBC(iv)).decryptor()
        out.append(decryptor.update(body) + decryptor.finalize())
    return b"".join(out)


def exported(conn: database.Connection, schema: str, folder: Path) -> bytes:
    """The attached compartment's content as a plain SQLite file (what its key holder can read), as bytes."""
    plain = folder / f"{schema}-plain.db"
    conn.execute("ATTACH DATABASE ? AS plain KEY ''", (str(plain),))
    try:
        conn.execute(f"SELECT sqlcipher_export('plain', '{schema}')").fetchall()
    finally:
        conn.execute("DETACH DATABASE plain")
    return plain.read_bytes()


# --- the file ------------------------------------------------------------------------------------


@pytest.mark.parametrize(("fields", "columns"), [
    (("ref",), ["id", "ref", "bcu"]),
    (SOME, ["id", "ref", "bcu", "age", "harm_band"]),
    (("harm_band", "name"), ["id", "ref", "bcu", "given_name", "family_name", "harm_band"]),
    (ALL, ["id", "ref", "bcu", "given_name", "family_name", "age", "borough", "classification", "harm_band",
           "victim_band", "in_custody"]),
])
def test_the_file_holds_only_the_columns_its_agreement_lists(setting: Setting, fields: tuple[str, ...],
                                                             columns: list[str]) -> None:
    path = setting.create(agreement(fields))
    assert path == setting.vault.folder / "dsa-7.db"
    conn = setting.partner(agreement(fields))
    assert [r[1] for r in conn.execute("PRAGMA dsa_7.table_info(preview)")] == columns
    tables = {r[0] for r in conn.execute("SELECT name FROM dsa_7.sqlite_master WHERE type = 'table'")}
    assert {"compartment_info", "preview", "preview_info"} <= tables
    assert ("preview_search" in tables) == ("name" in fields)
    assert conn.execute("SELECT kind, label FROM dsa_7.compartment_info").fetchone() == ("dsa", "7")
    assert previews.info(conn, DSA) == PreviewInfo(previews.shared_fields(fields), False, None, None)
    assert previews.ids(conn, DSA) == []


def test_the_name_index_is_tokenized_as_the_records_name_index_is() -> None:
    ddl = next(s for s in cx.bcu_schema().ddl if "nominal_search USING fts5" in s)
    assert previews._SEARCH_TOKENS in ddl


@pytest.mark.parametrize("fields", [(), ("ref", "address"), ("status",), "ref"])
def test_only_an_agreement_s_fields_make_a_preview(setting: Setting, fields: object) -> None:
    with pytest.raises(ValueError, match="fields"):
        previews.create_preview(setting.vault.folder, DSA, os.urandom(32), fields)  # type: ignore[arg-type]  # the point: refused
    assert not (setting.vault.folder / "dsa-7.db").exists()
    setting.create(agreement(SOME))
    with pytest.raises(VaultExists):
        setting.create(agreement(SOME))


# --- filling and keeping ---------------------------------------------------------------------------


def test_fill_holds_the_active_people_of_the_agreement_s_bcu_and_nobody_else(setting: Setting) -> None:
    deal = agreement()
    setting.create(deal)
    officer = setting.holder(deal, held=("CE", "EA"))
    active = add(officer, draft("Ada", SURNAME, date(2004, 1, 2)), draft("Bea", "Quill", date(2001, 5, 6), borough="Camden"))
    proposed = add(officer, draft("Cy", "Quill", date(2003, 3, 3)), status="proposed")
    elsewhere = add(officer, draft("Dee", "Quill", date(2002, 2, 2), bcu="EA"))
    with pytest.raises(RuntimeError, match="inside the caller's transaction"):
        previews.fill(officer, SCHEMA, "bcu_ce", "CE", deal.fields, on=TODAY, at=NOW)

    assert fill(officer, deal) == 2
    assert sorted(previews.ids(officer, DSA)) == active
    assert not set(proposed + elsewhere) & set(previews.ids(officer, DSA))
    assert shown(officer, deal) == today_shown(officer, deal)
    assert previews.info(officer, DSA) == PreviewInfo(DSA_FIELDS, True, TODAY, NOW)


def test_the_partner_sees_the_same_cells_as_today(setting: Setting) -> None:
    deal = agreement()
    setting.create(deal)
    officer = setting.holder(deal)
    ids = add(officer, draft("Zoë", "Ångström", date(2008, 2, 29)), draft("Ada", SURNAME, date(1999, 12, 31)))
    with database.transaction(officer):
        records.update(officer, ids[0], {"in_custody": 1})
        records.store_score(officer, ids[1], ScoreCard(12, 3, Band.RED, Band.AMBER, Classification.OFFENDER,
                                                       "p1", TODAY, ()))
    fill(officer, deal)

    partner = setting.partner(deal)
    assert shown(partner, deal) == today_shown(officer, deal)
    row = previews.rows_by_id(partner, DSA, [ids[0]])[ids[0]]
    assert row == PreviewRow(ids[0], row.ref, "CE", "Zoë Ångström", 18, "Hackney", "no scored events", "Green",
                             "Green", True)
    assert partner.execute("SELECT count(*) FROM nominals").fetchone()[0] == 0  # the partner holds no BCU
    with pytest.raises(ValueError, match="holds no status"):
        row.cells(["ref", "status"])


def test_every_change_to_a_person_reaches_the_preview_in_the_same_transaction(setting: Setting) -> None:
    deal = agreement()
    setting.create(deal)
    officer = setting.holder(deal)
    fill(officer, deal)
    (ada,) = add(officer, draft("Ada", SURNAME, date(2004, 1, 2)), status="proposed")
    assert previews.ids(officer, DSA) == []

    def agree() -> None:
        assert shown(officer, deal) == today_shown(officer, deal)

    steps = [
        {"status": "active"},  # activated: in
        {"borough": "Camden"},  # a shared field
        {"address": ADDRESS, "postcode": "ZZ9 9ZZ"},  # not shared: the row stays as it is
        {"date_of_birth": "2008-03-02"},  # the age follows (17 on TODAY, 18 the day after)
        {"in_custody": 1},
        {"status": "proposed"},  # no longer active: out
        {"status": "active"},  # back
    ]
    for step in steps:
        with database.transaction(officer):
            records.update(officer, ada, step)
        agree()
        assert (ada in previews.ids(officer, DSA)) == (step.get("status", "active") == "active")
    assert shown(officer, deal)[ada]["age"] == 17

    with database.transaction(officer):  # rescoring writes the bands
        records.store_score(officer, ada, ScoreCard(20, 9, Band.RED, Band.RED, Classification.BOTH, "p1", TODAY, ()))
    agree()
    with database.transaction(officer):  # renamed: the old name no longer finds them
        records.update(officer, ada, {"given_name": "Adaeze"})
        nominals.reindex(officer, ada)
    agree()
    assert previews.ids(officer, DSA, "adaeze") == [ada]
    assert previews.ids(officer, DSA, "ada brell") == [ada]
    with database.transaction(officer):
        records.update(officer, ada, {"given_name": "Bo"})
        nominals.reindex(officer, ada)
    assert previews.ids(officer, DSA, "adaeze") == []

    before = shown(officer, deal)
    with pytest.raises(RuntimeError, match="changed its mind"), database.transaction(officer):
        records.update(officer, ada, {"borough": "Hackney", "status": "proposed"})
        assert ada not in previews.ids(officer, DSA)  # inside the transaction, the preview already follows
        raise RuntimeError("the officer changed its mind")
    assert shown(officer, deal) == before == today_shown(officer, deal)

    with database.transaction(officer):  # removed from the matrix
        records.archive_and_delete(officer, ada, removed_at=NOW, reason="synthetic", proposed_by=None,
                                   approved_by=None, purge_after="2030-01-01", age_band="18-24")
    assert previews.ids(officer, DSA) == [] == previews.ids(officer, DSA, "bo")

    (new,) = add(officer, draft("Eve", "Quill", date(2005, 5, 5)))  # added straight as active: in
    assert list(shown(officer, deal)) == [new]
    agree()


def test_people_of_another_bcu_never_reach_the_preview(setting: Setting) -> None:
    ce, ea = agreement(), agreement(dsa_id=8, bcu="EA")
    setting.create(ce)
    setting.create(ea)
    auditor_like = setting.holder(ce, ea, held=("CE", "EA"))
    fill(auditor_like, ce)
    fill(auditor_like, ea)
    (in_ce,) = add(auditor_like, draft("Ada", "Quill", date(2004, 1, 2)))
    (in_ea,) = add(auditor_like, draft("Bea", "Quill", date(2004, 1, 2), bcu="EA"))
    assert previews.ids(auditor_like, 7) == [in_ce]
    assert previews.ids(auditor_like, 8) == [in_ea]
    # A row of the CE file that says another BCU (only a direct write could make one) stays out of CE's preview.
    with database.transaction(auditor_like):
        auditor_like.execute("UPDATE bcu_ce.nominals SET bcu = 'EA' WHERE id = ?", (in_ce,))
    assert previews.ids(auditor_like, 7) == [] and previews.ids(auditor_like, 8) == [in_ea]


def test_ages_are_as_of_the_preview_s_day_which_each_fill_moves(setting: Setting) -> None:
    deal = agreement(SOME)
    setting.create(deal)
    officer = setting.holder(deal)
    leap, other = add(officer, draft("Lea", "Quill", date(2008, 2, 29)), draft("Oli", "Quill", date(2008, 3, 2)))
    fill(officer, deal, on=date(2026, 2, 28))

    def ages() -> dict[int, object]:
        return {i: cells["age"] for i, cells in shown(officer, deal).items()}

    assert ages() == {leap: 17, other: 17}
    with database.transaction(officer):  # a change on a later day is still computed as of the preview's day
        records.update(officer, other, {"date_of_birth": "2008-02-28"})
    assert ages() == {leap: 17, other: 18}
    for day in (date(2026, 3, 1), date(2026, 3, 2), date(2027, 2, 28)):
        fill(officer, deal, on=day)
        assert ages() == {leap: age_on(date(2008, 2, 29), day), other: age_on(date(2008, 2, 28), day)}
        assert shown(officer, deal) == today_shown(officer, deal, on=day)


# --- what the partner can do with it --------------------------------------------------------------


PEOPLE = (  # distinct ages, boroughs shared by some, names sharing prefixes
    draft("Alina", "Quillbrook", date(2004, 1, 2), borough="Hackney"),
    draft("alistair", "Quill", date(2001, 5, 6), borough="Camden"),
    draft("Zoë", "Ångström", date(2008, 2, 29), borough="Hackney", aliases=("Zed",)),
    draft("Bob", "O'Neill-Smith", date(1999, 7, 13), borough="Islington"),
    draft("Ada", "quillbrook", date(2006, 11, 30), borough="Camden"),
)


@pytest.mark.parametrize("sort", ["ref", "name", "age", "borough", "harm_score", "nonsense"])
@pytest.mark.parametrize("descending", [False, True])
def test_sorts_and_searches_as_the_partner_s_preview_does_today(setting: Setting, sort: str, descending: bool) -> None:
    deal = agreement()
    setting.create(deal)
    officer = setting.holder(deal)
    add(officer, *PEOPLE)
    add(officer, draft("Alison", "Quill", date(2000, 1, 1)), status="proposed")
    fill(officer, deal)
    partner = setting.partner(deal)
    today_sort = sort if sort in deal.fields else "ref"  # services/matrix.py preview()
    for query in (None, "", "ali", "quill", "zoe", "ZOË ÅNGSTRÖM", "o'neill", "smith", "neill-sm", "'\"*", "nobody"):
        expected = nominals.live_ids(officer, bcu="CE", statuses=("active",), query=query, sort=today_sort,
                                     descending=descending)
        assert previews.ids(partner, DSA, query, sort, descending) == expected, query


def test_a_search_finds_by_the_name_shown_not_by_an_alias(setting: Setting) -> None:
    deal = agreement()
    setting.create(deal)
    officer = setting.holder(deal)
    (zoe,) = add(officer, draft("Zoë", "Ångström", date(2008, 2, 29), aliases=("Zed Marlow",)))
    fill(officer, deal)
    assert nominals.live_ids(officer, bcu="CE", statuses=("active",), query="marlow") == [zoe]  # an officer's list
    assert previews.ids(officer, DSA, "marlow") == []


def test_without_names_shared_a_search_finds_nobody_and_a_name_sort_is_reference_order(setting: Setting) -> None:
    deal = agreement(SOME)
    setting.create(deal)
    officer = setting.holder(deal)
    ids = add(officer, *PEOPLE)
    fill(officer, deal)
    partner = setting.partner(deal)
    assert previews.ids(partner, DSA, "ali") == []
    assert previews.ids(partner, DSA, sort="name") == ids
    assert previews.ids(partner, DSA, sort="borough", descending=True) == ids[::-1]
    by_age = previews.ids(partner, DSA, sort="age")
    assert by_age == nominals.live_ids(officer, bcu="CE", statuses=("active",), sort="age")


def test_people_of_one_age_are_in_reference_order_as_their_birth_dates_are_not_held(setting: Setting) -> None:
    deal = agreement(SOME)
    setting.create(deal)
    officer = setting.holder(deal)
    older, younger = add(officer, draft("Old", "Quill", date(2004, 1, 2)), draft("Young", "Quill", date(2004, 2, 1)))
    fill(officer, deal)
    assert nominals.live_ids(officer, bcu="CE", statuses=("active",), sort="age") == [younger, older]
    assert previews.ids(officer, DSA, sort="age") == [older, younger]


def test_the_unit_reads_the_preview_through_its_repository(setting: Setting) -> None:
    deal = agreement(("ref", "borough"))
    setting.create(deal)
    officer = setting.holder(deal)
    ids = add(officer, *PEOPLE[:2])
    partner = setting.partner(deal)
    repo = previews.PreviewsRepository(partner)
    assert repo.ids(DSA) == []  # not filled yet: closed
    store = previews.PreviewsRepository(officer)
    with database.transaction(officer):
        assert store.upkeep(deal, on=TODAY, at=NOW) == "filled"
    assert repo.ids(DSA, None, "borough") == ids[::-1]
    assert repo.rows_by_id(DSA, ids)[ids[0]].cells(["ref", "borough"]) == {"ref": "N-000001", "borough": "Hackney"}
    assert repo.info(DSA).as_of == TODAY
    with pytest.raises(StorageError, match="not open in this session"):
        repo.ids(8)


# --- what the file does not hold -----------------------------------------------------------------


def test_what_the_agreement_does_not_list_is_not_in_the_file(setting: Setting, tmp_path: Path) -> None:
    deal = agreement(SOME)
    path = setting.create(deal)
    officer = setting.holder(deal)
    (ada,) = add(officer, draft("Ada", SURNAME, date(1999, 7, 13), address=ADDRESS, borough="Islington"))
    fill(officer, deal)
    with database.transaction(officer):
        records.update(officer, ada, {"address": ADDRESS + " East", "family_name": SURNAME + "r"})
        nominals.reindex(officer, ada)
        records.update(officer, ada, {"date_of_birth": "1999-07-14"})

    export = exported(officer, SCHEMA, tmp_path)
    assert export.startswith(b"SQLite format 3")  # a plain file: the export did read the compartment
    for data in (export, plaintext_pages(path, setting.vault.keys["dsa7"])):
        assert b"N-000001" in data  # the reference: the disclosure register needs it
        for secret in (ADDRESS, SURNAME, "Ada", "Islington", "1999-07-1", "ZZ1 1AA", "Hackney"):
            assert secret.encode() not in data, secret


def test_who_leaves_the_preview_leaves_no_word_behind(setting: Setting) -> None:
    deal = agreement()
    path = setting.create(deal)
    officer = setting.holder(deal)
    key = setting.vault.keys["dsa7"]
    add(officer, *(draft(f"Given{i}", f"Family{i}", date(2000, 1, 1)) for i in range(200)))
    ada, bea = add(officer, draft("Ada", SURNAME, date(2004, 1, 2)), draft("Bea", "Zqxvwold", date(2004, 1, 2)))
    fill(officer, deal)
    # The name index stores words folded and each after the common start it shares with the word before it.
    words = (b"rellingtonne", b"qxvwold")
    assert all(w in plaintext_pages(path, key) for w in words)
    with database.transaction(officer):
        records.archive_and_delete(officer, ada, removed_at=NOW, reason="synthetic", proposed_by=None,
                                   approved_by=None, purge_after="2030-01-01", age_band="18-24")
        records.update(officer, bea, {"family_name": "Quill"})
        nominals.reindex(officer, bea)
    data = plaintext_pages(path, key)
    assert not [w for w in words if w in data]
    assert b"Given199" in data and previews.ids(officer, DSA, "family199") != []


def test_a_key_other_than_the_agreement_s_cannot_open_the_file(setting: Setting) -> None:
    deal = agreement()
    path = setting.create(deal)
    other = setting.create(agreement(dsa_id=8))
    keys = setting.vault.keys
    for key in (keys["CE"], keys["common"], keys["dsa8"], os.urandom(32)):
        raw = sqlcipher3.connect(str(path))
        try:
            raw.execute("PRAGMA cipher_log_level = NONE")
            raw.execute(f"PRAGMA key = \"x'{key.hex()}'\"")
            with pytest.raises(sqlcipher3.DatabaseError, match=r"^file is not a database$"):
                raw.execute("SELECT * FROM preview").fetchall()
        finally:
            raw.close()
    conn = setting.vault.session(["CE"])
    with pytest.raises(VaultCorrupt, match="does not open with this key"):
        cx.attach(conn, setting.vault.folder, cx.agreement(DSA), keys["CE"])
    other.write_bytes(path.read_bytes())  # 7's file under 8's name, with 7's key
    with pytest.raises(VaultCorrupt, match="is not that compartment"):
        cx.attach(conn, setting.vault.folder, cx.agreement(8), keys["dsa7"])


# --- closed, emptied, drifted -----------------------------------------------------------------------


def test_an_emptied_preview_stays_empty_until_it_is_filled_again(setting: Setting) -> None:
    deal = agreement()
    path = setting.create(deal)
    officer = setting.holder(deal)
    (ada,) = add(officer, draft("Ada", SURNAME, date(2004, 1, 2)))
    assert previews.ids(officer, DSA) == []  # a new preview is closed: the triggers add nobody
    fill(officer, deal)
    assert previews.ids(officer, DSA) == [ada]
    assert b"rellingtonne" in plaintext_pages(path, setting.vault.keys["dsa7"])

    with pytest.raises(RuntimeError, match="inside the caller's transaction"):
        previews.empty(officer, SCHEMA)
    with database.transaction(officer):
        assert previews.empty(officer, SCHEMA) == 1
    (bea,) = add(officer, draft("Bea", "Quill", date(2004, 1, 2)))
    with database.transaction(officer):
        records.update(officer, ada, {"borough": "Camden"})
    assert previews.ids(officer, DSA) == [] and not previews.info(officer, DSA).open
    assert b"rellingtonne" not in plaintext_pages(path, setting.vault.keys["dsa7"])
    assert fill(officer, deal) == 2
    assert previews.ids(officer, DSA) == [ada, bea]


def test_upkeep_fills_once_a_day_while_in_force_and_empties_after(setting: Setting) -> None:
    deal = agreement(SOME, starts_on=date(2026, 3, 1), ends_on=date(2026, 3, 2))
    setting.create(deal)
    officer = setting.holder(deal)
    add(officer, *PEOPLE[:2])

    def upkeep(on: date) -> str | None:
        with database.transaction(officer):
            return previews.upkeep(officer, deal, on=on, at=f"{on.isoformat()}T08:00:00Z")

    assert [upkeep(d) for d in (date(2026, 2, 28), date(2026, 3, 1), date(2026, 3, 1), date(2026, 3, 2),
                                date(2026, 3, 3), date(2026, 3, 4))] == [None, "filled", None, "filled", "emptied", None]
    assert previews.info(officer, DSA) == PreviewInfo(SOME, False, date(2026, 3, 2), "2026-03-02T08:00:00Z")


def test_fill_repairs_drift_and_drift_never_blocks_a_change(setting: Setting) -> None:
    deal = agreement()
    setting.create(deal)
    officer = setting.holder(deal)
    ada, bea = add(officer, draft("Ada", "Quill", date(2004, 1, 2)), draft("Bea", "Quill", date(2004, 1, 2)))
    fill(officer, deal)
    with database.transaction(officer):  # as a connection without the triggers would leave it
        officer.execute("DELETE FROM dsa_7.preview WHERE id = ?", (ada,))
        officer.execute("UPDATE dsa_7.preview SET borough = 'Nowhere' WHERE id = ?", (bea,))
        officer.execute("INSERT INTO dsa_7.preview_search (rowid, names) VALUES (?, 'ghost')", (ada + 100,))
    (cy,) = add(officer, draft("Cy", "Quill", date(2004, 1, 2)))
    with database.transaction(officer):
        records.update(officer, ada, {"borough": "Camden"})  # its row was missing: written again
    assert set(previews.ids(officer, DSA)) == {ada, bea, cy}
    assert fill(officer, deal) == 3
    assert shown(officer, deal) == today_shown(officer, deal)
    assert previews.ids(officer, DSA, "ghost") == []


def test_many_people_leaving_in_one_transaction(setting: Setting) -> None:
    deal = agreement()
    setting.create(deal)
    officer = setting.holder(deal)
    ids = add(officer, *(draft(f"Given{i}", f"Family{i}", date(2000, 1, 1)) for i in range(400)))
    fill(officer, deal)
    with database.transaction(officer):
        add_more = nominals.insert_many(officer, [draft(f"New{i}", "Quill", date(2000, 1, 1)) for i in range(300)],
                                        status="active", at=NOW, created_by=None)
        for nominal_id in ids[:300]:
            records.update(officer, nominal_id, {"status": "proposed"})
    assert sorted(previews.ids(officer, DSA)) == sorted(ids[300:] + add_more)
    officer.execute("INSERT INTO dsa_7.preview_search (preview_search, rank) VALUES ('integrity-check', 0)")
    assert previews.ids(officer, DSA, "given3") == ids[300:] == nominals.live_ids(
        officer, bcu="CE", statuses=("active",), query="given3", sort="ref")


# --- installing ------------------------------------------------------------------------------------


def test_the_triggers_are_the_session_s_and_go_with_its_views(setting: Setting) -> None:
    deal = agreement()
    setting.create(deal)
    officer = setting.holder(deal)
    names = [r[0] for r in officer.execute("SELECT name FROM sqlite_temp_master WHERE type = 'trigger' "
                                           "AND tbl_name = 'nominals' AND sql LIKE '%dsa_7.%'")]
    assert sorted(names) == ["cx_dsa_7_added", "cx_dsa_7_changed", "cx_dsa_7_removed", "cx_dsa_7_search_changed"]
    statements = previews.refresh_sql(SCHEMA, "bcu_ce", "CE", SOME)
    assert len(statements) == 3 and all(s.startswith("CREATE TEMP TRIGGER cx_dsa_7_") for s in statements)
    cx.install_views(officer, ["CE"])  # drops every cx_ trigger: the vault installs the previews' again
    assert not officer.execute("SELECT name FROM sqlite_temp_master WHERE sql LIKE '%dsa_7.%'").fetchall()


def test_triggers_are_refused_for_a_preview_they_cannot_keep(setting: Setting) -> None:
    deal = agreement(SOME)
    setting.create(deal)
    officer = setting.holder(deal, triggers=False)
    with pytest.raises(StorageError, match="does not hold"):
        previews.session_triggers(officer, [agreement(SOME, bcu="EA")], ["CE"])
    with pytest.raises(VaultCorrupt, match="other fields"):
        previews.session_triggers(officer, [agreement(("ref", "name"))], ["CE"])
    with pytest.raises(StorageError, match="not attached"):
        previews.session_triggers(officer, [agreement(SOME, dsa_id=8)], ["CE"])
    with pytest.raises(ValueError):
        previews.refresh_sql(SCHEMA, "bcu_ea", "CE", SOME)
    with pytest.raises(ValueError):
        previews.refresh_sql("bcu_ce", "bcu_ce", "CE", SOME)
    named = agreement(("ref", "name"), dsa_id=8)
    setting.create(named)
    cx.attach(officer, setting.vault.folder, cx.agreement(8), setting.vault.keys["dsa8"])
    assert previews.check_preview(officer, "dsa_8", named.fields) == named.fields
    with database.transaction(officer):
        officer.execute("INSERT INTO dsa_8.preview_search (preview_search, rank) VALUES ('secure-delete', 0)")
    with pytest.raises(VaultCorrupt, match="keep removed people's words"):
        previews.check_preview(officer, "dsa_8", named.fields)
    with database.transaction(officer):
        officer.execute("DROP TABLE dsa_7.preview")
    with pytest.raises(VaultCorrupt, match="never finished"):
        previews.check_preview(officer, SCHEMA, SOME)
