"""Reads the workstation administrator's policy (checked by core/machine_policy.py) from the machine.

Linux: /etc/gvm-desktop/policy.toml; Windows: HKLM\\Software\\Policies\\gvm-desktop, where group policy
writes. GVM_DESKTOP_POLICY names a further file (tests, a packaged trial) that can only tighten it: a user who
sets the variable cannot escape the workstation's own policy. No file or key means no policy;
a file or key that cannot be read or is wrong stops the start: ignoring it would run looser than the
administrator decided.
"""

from __future__ import annotations

import os
import stat
import sys
import tomllib
from pathlib import Path

from gvm_desktop.core.machine_policy import NO_POLICY, MachinePolicy, MachinePolicyError, parse_machine_policy

POLICY_ENV = "GVM_DESKTOP_POLICY"
LINUX_POLICY_FILE = Path("/etc/gvm-desktop/policy.toml")
WINDOWS_POLICY_KEY = r"Software\Policies\gvm-desktop"
# Group policy can only write DWORDs: 0 and 1 stand for false and true there.
_FLAGS = ("unencrypted_exports", "device_binding_required")
# A policy is a handful of keys: anything this large is not one, and is not read into memory.
MAX_POLICY_BYTES = 64 * 1024


def load_machine_policy(path: Path | None = None) -> MachinePolicy:
    """Where this system keeps its policy, tightened by the file in `path` or $GVM_DESKTOP_POLICY (if named);
    NO_POLICY if there is none. The system's own is always read: a named file adds, it never replaces."""
    system = _from_registry() if sys.platform == "win32" else _from_file(LINUX_POLICY_FILE)
    named = path or (Path(os.environ[POLICY_ENV]) if os.environ.get(POLICY_ENV) else None)
    return system if named is None else system.tightened_by(_from_file(named))


def _from_file(path: Path) -> MachinePolicy:
    raw = _read_policy_bytes(path)
    if raw is None:
        return NO_POLICY
    try:
        values = tomllib.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise MachinePolicyError(f"The machine policy {path} is not valid TOML: {exc}.") from None
    return _parsed(values, str(path))


def _read_policy_bytes(path: Path) -> bytes | None:
    """The file's bytes, None if there is no file; MachinePolicyError if it is not a regular file of at most
    MAX_POLICY_BYTES. O_NONBLOCK and the second stat: a FIFO must not hang the start, nor /dev/zero fill memory."""
    def refused(why: str) -> MachinePolicyError:
        return MachinePolicyError(f"The machine policy {path} cannot be read ({why}).")

    try:
        if not stat.S_ISREG(os.stat(path).st_mode):
            raise refused("it is not a regular file")
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise refused(exc.strerror or "I/O error") from None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise refused("it is not a regular file")
        chunks: list[bytes] = []
        size = 0
        while chunk := os.read(fd, MAX_POLICY_BYTES + 1 - size):
            chunks.append(chunk)
            size += len(chunk)
            if size > MAX_POLICY_BYTES:
                raise refused(f"it is larger than {MAX_POLICY_BYTES // 1024} KB: not a policy file")
        return b"".join(chunks)
    except OSError as exc:
        raise refused(exc.strerror or "I/O error") from None
    finally:
        os.close(fd)


def _parsed(values: dict[str, object], where: str) -> MachinePolicy:
    try:
        return parse_machine_policy(values, where)
    except MachinePolicyError as exc:
        # The administrator fixing it needs the file (or key) as well as the line that is wrong.
        raise MachinePolicyError(f"{exc.message} ({where})") from None


def _from_registry() -> MachinePolicy:
    if sys.platform != "win32":  # for mypy on other systems: winreg exists only on Windows
        return NO_POLICY
    import winreg

    where = "HKLM\\" + WINDOWS_POLICY_KEY
    values: dict[str, object] = {}
    try:
        key = winreg.OpenKey(winreg.HKEY_LOCAL_MACHINE, WINDOWS_POLICY_KEY)
    except FileNotFoundError:
        return NO_POLICY
    except OSError as exc:
        raise MachinePolicyError(f"The machine policy {where} cannot be read ({exc.strerror or 'error'}).") from None
    with key:
        index = 0
        while True:
            try:
                name, value, _kind = winreg.EnumValue(key, index)
            except OSError:  # no more values
                break
            values[name] = bool(value) if name in _FLAGS and value in (0, 1) else value
            index += 1
    return _parsed(values, where)
