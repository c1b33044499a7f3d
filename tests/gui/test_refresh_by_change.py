"""Refresh by what changed: a call names its Change, and only the pages showing that kind read again."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from pytestqt.qtbot import QtBot

from gvm_desktop.app import App
from gvm_desktop.core.policy import Role
from gvm_desktop.core.review import Recommendation
from gvm_desktop.gui.common.operations import Change
from gvm_desktop.gui.matrix.home_matrix import MatrixHome
from gvm_desktop.gui.review.review_dialogs import RecommendDialog
from gvm_desktop.gui.shell.main_window import MainWindow
from tests.gui.conftest import settle
from tests.gui.test_review_panel import RETAIN_ALL, _ok, _review_tab, _select, _type

Opener = Callable[[Role], MainWindow]


def _count(monkeypatch: pytest.MonkeyPatch, service: object, name: str) -> list[tuple[Any, ...]]:
    calls: list[tuple[Any, ...]] = []
    real = getattr(service, name)

    def counted(*args: Any, **kwargs: Any) -> Any:
        calls.append(args)
        return real(*args, **kwargs)

    monkeypatch.setattr(service, name, counted)
    return calls


def test_a_review_change_refreshes_the_review_panel_and_leaves_the_matrix_alone(
        qtbot: QtBot, open_main: Opener, gui_demo_app: App, monkeypatch: pytest.MonkeyPatch) -> None:
    main = open_main(Role.OFFICER)
    home = main.home
    assert isinstance(home, MatrixHome)
    panel = _review_tab(main)
    views = _count(monkeypatch, gui_demo_app.matrix, "view")
    overviews = _count(monkeypatch, gui_demo_app.matrix, "overview")
    items = _count(monkeypatch, gui_demo_app.reviews, "items")
    announced: list[frozenset[Change]] = []
    assert main.ops is not None
    main.ops.changed.connect(announced.append)

    first = panel.model.row_at(0)
    _select(panel, [first.ref])
    dialog = panel.recommend()
    assert isinstance(dialog, RecommendDialog)
    dialog.choose(Recommendation.RETAIN)
    _type(qtbot, dialog, RETAIN_ALL)
    _ok(qtbot, dialog)
    settle()

    assert announced == [frozenset({Change.REVIEW})]
    assert len(items) == 1  # the panel read the review again, once
    assert next(i for i in (panel.model.row_at(r) for r in range(panel.model.rowCount()))
                if i.ref == first.ref).recommendation is Recommendation.RETAIN
    assert views == [] and overviews == []  # the matrix's list and counts were not read again


def test_a_matrix_change_reloads_the_list_and_counts_but_not_the_review(
        qtbot: QtBot, open_main: Opener, gui_demo_app: App, monkeypatch: pytest.MonkeyPatch) -> None:
    main = open_main(Role.OFFICER)
    home = main.home
    assert isinstance(home, MatrixHome)
    _review_tab(main)
    views = _count(monkeypatch, gui_demo_app.matrix, "view")
    overviews = _count(monkeypatch, gui_demo_app.matrix, "overview")
    items = _count(monkeypatch, gui_demo_app.reviews, "items")
    assert main.ops is not None
    main.ops.run(lambda _s, _ws: None, changes={Change.MATRIX})  # as a proposal or an edit announces
    settle()
    assert len(overviews) == 1 and len(views) == 1
    assert items == []
