"""A reader that goes away (`gvm-desktop ... | head`) ends the command quietly, exit 141, not with "Broken pipe"."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path

from gvm_desktop.app import App
from gvm_desktop.cli import main


class _ClosedPipe(io.StringIO):
    def write(self, text: str) -> int:
        raise BrokenPipeError(32, "Broken pipe")


def test_a_closed_pipe_is_not_an_error_message(make_app: Callable[..., App], tmp_path: Path) -> None:
    err = io.StringIO()
    code = main(["demo", "--nominals", "25", "--vault", str(tmp_path / "d")], app_factory=lambda folder: make_app(folder),
                stdin=io.StringIO(), stdout=_ClosedPipe(), stderr=err)
    assert code == 141 and "Broken pipe" not in err.getvalue()  # stderr keeps only the progress line
