"""The review sheet's victim side comes from what the review stored (issue 15, schema version 12): a person removed
at sign-off keeps their victim-risk score and classification on the sheet; a vault upgraded from version 11 reads
NULL for its older items and re-scores only people still on the matrix."""

from __future__ import annotations

from pathlib import Path

from gvm_desktop.app import App
from gvm_desktop.core.audit import Action
from gvm_desktop.core.review import ReviewSheet
from gvm_desktop.reports.review_sheet import NOT_RECORDED, victim_side
from gvm_desktop.services.vaults import DEMO_ACCOUNTS
from gvm_desktop.store.migrations import LATEST
from tests.reports.pdftools import text
from tests.services.test_reviews import OFFICER, SPOC, decide_all, sign_in
from tests.store.test_compartments import open_alone
from tests.support.vault_access import conn_of, held_keys, read_bcu

AUDITOR = next(a for a in DEMO_ACCOUNTS if a.role.value == "auditor")


def _review_id(app: App) -> int:
    review = app.reviews.find(sign_in(app, OFFICER))
    assert review is not None
    return review.id


def _victim_first(app: App, review_id: int) -> str:
    """The reference of someone the review saw as a victim (the demo has some), else of anyone."""
    rows = read_bcu(app, "CE", "SELECT ref FROM review_items WHERE review_id = ? ORDER BY victim_score DESC, ref",
                    (review_id,))
    return str(rows[0][0])


def _sheet(app: App, review_id: int) -> ReviewSheet:
    spoc = sign_in(app, SPOC)
    with spoc.operation(None, Action.REVIEW_READ, writes=False) as op:
        return app.reviews.sheet_in(op.store, app.reviews.review_row(op, review_id))


def _sign_removing(app: App, review_id: int, ref: str) -> None:
    officer, spoc = sign_in(app, OFFICER), sign_in(app, SPOC)
    decide_all(app, officer, spoc, review_id, remove={ref})
    app.reviews.sign(spoc, review_id, SPOC.password)


def test_a_review_stores_the_victim_side_of_every_person_as_it_saw_them(demo_app: App) -> None:
    review_id = _review_id(demo_app)
    stored = read_bcu(demo_app, "CE", "SELECT ref, victim_score, classification FROM review_items WHERE review_id = ?",
                      (review_id,))
    live = {ref: (victim, classification) for ref, victim, classification in conn_of(sign_in(demo_app, OFFICER))
            .execute("SELECT ref, victim_score, classification FROM nominals")}
    assert stored and all(victim is not None and classification for _ref, victim, classification in stored)
    assert {ref: (victim, classification) for ref, victim, classification in stored} == {
        ref: live[ref] for ref, _v, _c in stored}  # opened today, as last scored
    assert any(victim for _ref, victim, _c in stored), "the demo has victims: the test would prove nothing"


def test_the_sheet_prints_the_victim_side_of_a_person_removed_at_sign_off(demo_app: App, tmp_path: Path) -> None:
    review_id = _review_id(demo_app)
    removed = _victim_first(demo_app, review_id)
    ((victim, classification),) = read_bcu(demo_app, "CE", "SELECT victim_score, classification FROM review_items "
                                           "WHERE review_id = ? AND ref = ?", (review_id, removed))
    _sign_removing(demo_app, review_id, removed)
    gone = next(p for p in _sheet(demo_app, review_id).people if p.ref == removed)
    assert gone.age is None  # left the matrix: the name and age went, the victim side the review saw stays
    assert (gone.victim_score, gone.classification) == (victim, classification)
    assert NOT_RECORDED not in " ".join(victim_side(gone))
    out = tmp_path / "sheet.pdf"
    demo_app.reports.export_review(sign_in(demo_app, SPOC), review_id, out, account_password=SPOC.password,
                                   pdf_password=None, unencrypted=True)
    assert NOT_RECORDED not in " ".join(text(out).split())


def _as_version_11(app: App) -> None:
    """The demo vault as version 11 left it: common and every BCU file at 11, review items without the victim side."""
    keys = held_keys(app, AUDITOR.username, AUDITOR.password)
    for name, key in keys.items():
        if name == "common":
            conn = open_alone(app.paths.database, key)
        elif name.startswith("bcu:"):
            conn = open_alone(app.paths.folder / f"bcu-{name[4:]}.db", key)
            conn.execute("ALTER TABLE review_items DROP COLUMN classification")
            conn.execute("ALTER TABLE review_items DROP COLUMN victim_score")
        else:
            continue
        conn.execute("PRAGMA user_version = 11")
        conn.close()


def test_a_vault_from_version_11_upgrades_and_its_older_items_read_null(demo_app: App) -> None:
    review_id = _review_id(demo_app)
    removed = _victim_first(demo_app, review_id)
    _as_version_11(demo_app)
    _sign_removing(demo_app, review_id, removed)  # sign-in upgrades common, attaching upgrades CE's file
    assert read_bcu(demo_app, "CE", "SELECT count(victim_score), count(classification) FROM review_items") == [(0, 0)]
    assert read_bcu(demo_app, "CE", "PRAGMA bcu_ce.user_version") == [(LATEST,)]
    people = _sheet(demo_app, review_id).people
    # Older items: re-scored for people still on the matrix, "not recorded" for the one who left.
    assert all(p.victim_score is not None and p.classification for p in people if p.ref != removed)
    gone = next(p for p in people if p.ref == removed)
    assert (gone.victim_score, gone.classification) == (None, None)
    assert victim_side(gone) == (NOT_RECORDED, f"classification {NOT_RECORDED}")
    for code in ("EA", "WA"):  # the other BCUs' files, once a holder of their keys attaches them
        assert read_bcu(demo_app, code, f"PRAGMA bcu_{code.lower()}.user_version") == [(LATEST,)]
