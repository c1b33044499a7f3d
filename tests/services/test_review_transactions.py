"""The review's multi-step use cases fail whole: a step that breaks (or a crash) part-way leaves the vault
as it was, and nothing leaves the vault without its log entry and disclosure rows."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import pytest

from gvm_desktop.app import App
from gvm_desktop.core.errors import NotFound, StorageError
from gvm_desktop.core.exports import Exported
from gvm_desktop.core.review import Recommendation, Verdict
from gvm_desktop.services import staged_export
from gvm_desktop.services.context import Workspace
from gvm_desktop.store.disclosures import DisclosuresRepository
from gvm_desktop.store.reviews import ReviewsRepository
from tests.services.test_reviews import COVERS_EVERY_FLAG, OFFICER, SPOC, decide_all, sign_in
from tests.support.vault_access import conn_of

PDF_PASSWORD = "copper-kettle-review-2026"


class Crash(BaseException):
    """The process dying at this point: not an error any handler words or logs."""


def _signed_review(app: App) -> tuple[int, str]:
    officer, spoc = sign_in(app, OFFICER), sign_in(app, SPOC)
    review = app.reviews.find(officer)
    assert review is not None
    refs = decide_all(app, officer, spoc, review.id)
    app.reviews.sign(spoc, review.id, SPOC.password)
    return review.id, refs[0]


def _count(ws: Workspace, sql: str, *args: object) -> int:
    return int(conn_of(ws).execute(sql, args).fetchone()[0])


def _export_state(ws: Workspace) -> dict[str, int]:
    return {
        "authority": _count(ws, "SELECT count(*) FROM certificate_authority"),
        "signing_keys": _count(ws, "SELECT count(*) FROM signing_keys WHERE user_id = ?", ws.session.user_id),
        "key_issued": _count(ws, "SELECT count(*) FROM access_log WHERE action = 'review.signing_key_issue'"),
        "exported": _count(ws, "SELECT count(*) FROM access_log WHERE action = 'review.export' AND outcome = 'allowed'"),
        "failed": _count(ws, "SELECT count(*) FROM access_log WHERE action = 'review.export' AND outcome = 'failed'"),
        "disclosures": _count(ws, "SELECT count(*) FROM disclosures"),
    }


def _every_disclosure_has_its_entry(ws: Workspace) -> bool:
    return _count(ws, "SELECT count(*) FROM disclosures d LEFT JOIN access_log a ON a.seq = d.log_seq "
                      "WHERE a.seq IS NULL OR a.outcome <> 'allowed'") == 0


@pytest.fixture
def out_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "exports"
    folder.mkdir()
    return folder


def _export(app: App, ws: Workspace, review_id: int, out: Path) -> Exported:
    return app.reports.export_review(ws, review_id, out, account_password=SPOC.password, pdf_password=PDF_PASSWORD)


@pytest.fixture
def pre_v6_spoc(demo_app: App) -> tuple[App, Workspace, int]:
    """A signed review and a vault without its certificate authority yet (made before version 6): the export
    makes the authority, issues the SPOC a key and logs that, then builds, logs and registers the sheet."""
    review_id, _ref = _signed_review(demo_app)
    spoc = sign_in(demo_app, SPOC)
    conn_of(spoc).execute("DELETE FROM certificate_authority")
    return demo_app, spoc, review_id


def test_a_step_failing_inside_the_export_leaves_no_authority_key_entry_or_disclosure(
        pre_v6_spoc: tuple[App, Workspace, int], out_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    app, spoc, review_id = pre_v6_spoc
    before = _export_state(spoc)
    assert before["authority"] == before["signing_keys"] == before["key_issued"] == before["exported"] == 0

    def full_disk(_self: DisclosuresRepository, _seq: int, _refs: Iterable[str]) -> None:
        raise StorageError("The disk is full: nothing was saved.")

    # The last vault step: the authority, the key (and its entry) and the export's entry are written by now.
    monkeypatch.setattr(DisclosuresRepository, "record", full_disk)
    with pytest.raises(StorageError, match="disk is full"):
        _export(app, spoc, review_id, out_dir / "sheet.pdf")
    assert _export_state(spoc) == {**before, "failed": before["failed"] + 1}  # only the failure is recorded
    assert list(out_dir.iterdir()) == []  # no file, and no staged one

    monkeypatch.undo()
    done = _export(app, spoc, review_id, out_dir / "sheet.pdf")
    after = _export_state(spoc)
    assert (after["authority"], after["signing_keys"], after["key_issued"], after["exported"]) == (1, 1, 1, 1)
    assert after["disclosures"] == done.people > 0 and _every_disclosure_has_its_entry(spoc)
    assert [p.name for p in out_dir.iterdir()] == ["sheet.pdf"]


def test_a_crash_before_the_commit_leaves_the_vault_as_it_was_and_no_file_under_the_name_asked_for(
        pre_v6_spoc: tuple[App, Workspace, int], out_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    app, spoc, review_id = pre_v6_spoc
    before = _export_state(spoc)
    written = staged_export.write_pdf_atomically

    def write_then_crash(path: Path, build: object) -> None:
        written(path, build)  # type: ignore[arg-type]
        assert path == staged_export.staging_path(out_dir / "sheet.pdf")  # on disk, under the hidden name only
        raise Crash

    monkeypatch.setattr(staged_export, "write_pdf_atomically", write_then_crash)
    with pytest.raises(Crash):
        _export(app, spoc, review_id, out_dir / "sheet.pdf")
    assert _export_state(spoc) == before  # rolled back whole: the authority and the key with it
    assert not (out_dir / "sheet.pdf").exists()


def test_a_crash_between_the_commit_and_the_rename_leaves_the_export_logged_never_a_file_without_its_entry(
        pre_v6_spoc: tuple[App, Workspace, int], out_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    app, spoc, review_id = pre_v6_spoc

    def crash(_staged: Path, _target: Path) -> None:
        raise Crash

    monkeypatch.setattr(staged_export, "move_into_place", crash)
    with pytest.raises(Crash):
        _export(app, spoc, review_id, out_dir / "sheet.pdf")
    state = _export_state(spoc)
    # Committed: the export is logged with everyone it names, though the file never took its name.
    assert (state["authority"], state["signing_keys"], state["key_issued"], state["exported"]) == (1, 1, 1, 1)
    assert state["disclosures"] > 0 and _every_disclosure_has_its_entry(spoc)
    assert not (out_dir / "sheet.pdf").exists()


def test_sign_off_carries_out_every_decision_or_none(demo_app: App, monkeypatch: pytest.MonkeyPatch) -> None:
    officer, spoc = sign_in(demo_app, OFFICER), sign_in(demo_app, SPOC)
    review = demo_app.reviews.find(officer)
    assert review is not None
    refs = [i.ref for i in demo_app.reviews.items(officer, review.id)]
    decide_all(demo_app, officer, spoc, review.id, remove={refs[0], refs[1]})

    def full_disk(_self: ReviewsRepository, *_args: object, **_kwargs: object) -> None:
        raise StorageError("The disk is full: nothing was saved.")

    def state() -> tuple[int, ...]:
        return (_count(spoc, "SELECT count(*) FROM nominals WHERE status = 'active'"),
                _count(spoc, "SELECT count(*) FROM archive"),
                _count(spoc, "SELECT count(*) FROM nominals WHERE last_reviewed = '2026-11-02'"),
                _count(spoc, "SELECT count(*) FROM access_log WHERE operation_ref = ? AND outcome = 'allowed' "
                             "AND action IN ('matrix.remove', 'matrix.rescore', 'review.sign')", f"review:{review.id}"))

    before = state()
    # The last step: both removals, the "last reviewed" dates and the sign-off entry are written by now.
    monkeypatch.setattr(ReviewsRepository, "mark_signed", full_disk)
    with pytest.raises(StorageError):
        demo_app.reviews.sign(spoc, review.id, SPOC.password)
    assert state() == before
    assert before[1:] == (before[1], 0, 0)  # nobody kept yet, nothing of the sign-off logged
    assert demo_app.reviews.find(spoc).signed_at is None  # type: ignore[union-attr]

    monkeypatch.undo()
    assert demo_app.reviews.sign(spoc, review.id, SPOC.password) == 2
    active, archived, kept, logged = state()
    assert (active, archived, kept) == (before[0] - 2, before[1] + 2, len(refs) - 2)
    assert logged == 3  # the two removals and the signature


def test_agreeing_with_several_recommendations_is_one_transaction(demo_app: App) -> None:
    officer, spoc = sign_in(demo_app, OFFICER), sign_in(demo_app, SPOC)
    review = demo_app.reviews.find(officer)
    assert review is not None
    refs = [i.ref for i in demo_app.reviews.items(officer, review.id)][:3]
    for ref in refs:
        demo_app.reviews.recommend(officer, review.id, ref, Recommendation.RETAIN, COVERS_EVERY_FLAG)
    verdicts = "SELECT count(*) FROM access_log WHERE action = 'review.verdict' AND outcome = 'allowed'"

    with pytest.raises(NotFound, match="N-NOBODY is not in review"):
        demo_app.reviews.agree_with(spoc, review.id, [*refs, "N-NOBODY"])
    assert all(i.verdict is None for i in demo_app.reviews.items(spoc, review.id) if i.ref in refs)
    assert _count(spoc, verdicts) == 0
    assert _count(spoc, "SELECT count(*) FROM access_log WHERE action = 'review.verdict' AND outcome = 'failed' "
                        "AND detail LIKE 'N-NOBODY%'") == 1  # the refusal, logged on its own

    assert demo_app.reviews.agree_with(spoc, review.id, refs) == 3
    agreed = {i.ref: i for i in demo_app.reviews.items(spoc, review.id) if i.ref in refs}
    assert {i.verdict for i in agreed.values()} == {Verdict.AGREE} and _count(spoc, verdicts) == 3
