"""Choosing where an export goes, and wording a file system's refusal for people.

Qt's own (non-native) file dialog, opened with open() and never exec(): it is a
child of the page, so a lock hides and blanks it like any other dialog, and
tests can drive it. A platform dialog would run outside our reach.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from PySide6.QtCore import QDir, Qt
from PySide6.QtWidgets import QFileDialog, QWidget

from gvm_desktop.core.errors import FileWriteError, GvmError
from gvm_desktop.gui.common.shortcuts import add_lock_shortcut

T = TypeVar("T")


def write_error(path: Path, exc: OSError) -> FileWriteError:
    return FileWriteError(f"Cannot write {path}: {exc.strerror or type(exc).__name__}.")


def writing_to(path: Path, fn: Callable[[], T]) -> T:
    """Run `fn` (which writes `path`); an OSError becomes a FileWriteError naming the file and the reason.

    Done where the call runs (off the GUI thread too): the worker only passes a GvmError's
    own message on, so a bare OSError would otherwise read as "Unexpected error".
    """
    try:
        return fn()
    except GvmError:
        raise
    except OSError as exc:
        raise write_error(path, exc) from None


def ask_save_path(parent: QWidget, title: str, suggested: str, name_filter: str, suffix: str,
                  on_chosen: Callable[[Path], object], *, folder: Path | None = None,
                  on_lock: Callable[[], None] | None = None) -> QFileDialog:
    """Open a window-modal save dialog; `on_chosen(path)` runs when a file is accepted, and
    `on_lock` when Ctrl+L is pressed in it (the main window's shortcut does not reach a dialog)."""
    dialog = QFileDialog(parent, title, str(folder or Path(QDir.homePath())), name_filter)
    dialog.setOption(QFileDialog.Option.DontUseNativeDialog, True)
    dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
    dialog.setFileMode(QFileDialog.FileMode.AnyFile)
    dialog.setDefaultSuffix(suffix)
    dialog.setWindowModality(Qt.WindowModality.WindowModal)
    dialog.selectFile(suggested)
    dialog.fileSelected.connect(lambda name: on_chosen(Path(name)))
    if on_lock is not None:
        add_lock_shortcut(dialog).triggered.connect(on_lock)
    # Gone once answered: the next export starts a fresh dialog, and nothing lingers to be wiped.
    dialog.finished.connect(lambda _result: dialog.deleteLater())
    dialog.open()
    return dialog
