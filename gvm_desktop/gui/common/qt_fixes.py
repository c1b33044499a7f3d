"""Work-arounds for bugs in the Qt binding, applied once at start, and only where the bug shows.

PySide6 6.12.0: `SignalInstance.emit()` returns True without taking a new reference to
it, so every signal emitted from Python takes one reference away from True. True is
an ordinary object on Python 3.11, so after some thousands of emits its count reaches
zero and the interpreter aborts ("bool_dealloc: deallocating True or False"): a long
session would end in a crash, and so does the GUI test suite. True and False live as
long as the interpreter anyway; giving them a reference count no session can use up
is what Python 3.12 does for them (immortal objects). The probe finds the bug, so a
fixed binding (or Python 3.12+) gets nothing done to it.
"""

from __future__ import annotations

import ctypes
import sys
import sysconfig

from PySide6.QtCore import QObject, Signal

# References given to True and False when the bug shows: far beyond any session's emits.
_PAD = 1 << 40


class _Probe(QObject):
    ping = Signal()


def emit_takes_a_reference_from_true() -> bool:
    """True when emitting a signal from Python leaves True with one reference fewer."""
    probe = _Probe()
    before = sys.getrefcount(True)
    probe.ping.emit()
    return sys.getrefcount(True) < before


def protect_bool_singletons() -> bool:
    """Pad True's and False's reference counts if emit() leaks them; True if it did (once per process)."""
    if not emit_takes_a_reference_from_true():
        return False
    if sys.implementation.name != "cpython" or sysconfig.get_config_var("Py_GIL_DISABLED"):
        return False  # the object layout below is CPython's with the GIL
    for singleton in (True, False):
        ctypes.c_ssize_t.from_address(id(singleton)).value += _PAD  # ob_refcnt, the object's first field
    return True
