"""The command line: `main` parses and dispatches; one module per group of subcommands (matrix, log, review,
governance). Every command goes through the services, never the store.

`main` is the `gvm-desktop` entry point. A plain start of the desktop app (no command: `gvm-desktop`,
`--demo`, `--vault DIR`) goes straight to the GUI's `launch`, which shows the sign-in window before the
services are imported; everything else goes through the full parser in the submodule `main` (cli/main.py).
"""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:
    from gvm_desktop.app import App


def _register_lazily(name: str) -> None:
    """Put the module in sys.modules now and run it at its first attribute access (importlib's LazyLoader).

    The submodule `main` shares its name with this package's `main` function, the entry point
    (`gvm_desktop.cli:main`). Imported the usual way, it would be bound over the function on the
    package; registered here it is never bound, whoever imports it, and still loads only when used.
    """
    spec = importlib.util.find_spec(name)
    if spec is None or spec.loader is None:
        raise ImportError(name)
    spec.loader = importlib.util.LazyLoader(spec.loader)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)


_register_lazily(f"{__name__}.main")


@dataclass(frozen=True)
class GuiStart:
    """The desktop app with no command: which vault (None: the default one) and whether it is the demo."""

    vault: Path | None
    demo: bool


def gui_start(argv: Sequence[str]) -> GuiStart | None:
    """The argv of a plain start of the desktop app, read as build_parser() reads it; None for anything else.

    Only the exact forms: `--demo` once, `--vault DIR` or `--vault=DIR` once, in any order. Anything
    else (a command, --help, --version, --as, an abbreviation, a repeat) is None and goes through the
    full parser, so its answer, or its usage error, is the parser's.
    """
    vault: Path | None = None
    demo = False
    rest = list(argv)
    while rest:
        word = rest.pop(0)
        if word == "--demo" and not demo:
            demo = True
        elif word.startswith("--vault=") and vault is None and _folder(word.removeprefix("--vault=")):
            vault = Path(word.removeprefix("--vault="))
        elif word == "--vault" and vault is None and rest and _folder(rest[0]):
            vault = Path(rest.pop(0))
        else:
            return None
    return GuiStart(vault, demo)


def _folder(value: str) -> bool:
    # argparse reads a value starting with "-" as an option (or a negative number): the parser's to judge.
    return bool(value) and not value.startswith("-")


def main(
    argv: Sequence[str] | None = None,
    *,
    app_factory: Callable[[Path | None], App] | None = None,
    stdin: TextIO | None = None,
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
) -> int:
    """`gvm-desktop`: the desktop app, or a command (cli/main.py); returns the exit code."""
    args = list(sys.argv[1:] if argv is None else argv)
    start = gui_start(args) if app_factory is None else None
    if start is not None:
        from gvm_desktop.gui.shell.main import launch

        return launch(start.vault, demo=start.demo)
    from gvm_desktop.cli.main import main as run_command_line

    if app_factory is None:
        return run_command_line(args, stdin=stdin, stdout=stdout, stderr=stderr)
    return run_command_line(args, app_factory=app_factory, stdin=stdin, stdout=stdout, stderr=stderr)


__all__ = ["GuiStart", "gui_start", "main"]
