"""An OS file lock beside a vault file: one reader-writer of that file at a time, across processes.

The sign-in throttle (`signin-throttle.lock`) and the key slots (`keyslots.lock`) each
take one. The lock is the operating system's (flock on POSIX, msvcrt on Windows), so a
process that dies holding it lets it go; threads sharing one FileLock are kept apart by
a mutex, and holding it again inside itself is fine.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

from gvm_desktop.core.errors import StorageError

if sys.platform == "win32":
    import msvcrt
else:
    import fcntl

_CONTENDED = {errno.EAGAIN, errno.EWOULDBLOCK, errno.EACCES, getattr(errno, "EDEADLOCK", errno.EDEADLK)}


def _open_lock_file(path: Path) -> int | None:
    """The lock file's descriptor, created 0600 if absent; None if the folder is read-only to us."""
    # O_NOFOLLOW: a symlink planted under the lock's name must not make us open, let alone
    # chmod, some other file.
    flags = os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_BINARY", 0)
    try:
        fd = os.open(path, flags, 0o600)
    except OSError as exc:
        if exc.errno not in (errno.EACCES, errno.EPERM, errno.EROFS):
            raise StorageError(f"The lock file {path.name} could not be opened ({exc.strerror}).") from exc
        # A vault on read-only media (say, a copy checked with `log verify`): lock it if the
        # file is there; otherwise nobody can write the file it guards here either.
        try:
            return os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_BINARY", 0))
        except OSError:
            return None
    if sys.platform != "win32":
        # A lock file left by an older version, or made under a loose umask, is narrowed;
        # os.open's mode only applies when it creates the file.
        with contextlib.suppress(OSError):
            if stat.S_IMODE(os.fstat(fd).st_mode) != 0o600:
                os.fchmod(fd, 0o600)
    return fd


def _try_lock(fd: int, what: str) -> bool:
    """Take the lock without waiting; False if another holder has it."""
    try:
        if sys.platform == "win32":
            os.lseek(fd, 0, os.SEEK_SET)  # msvcrt locks bytes from the current position
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        else:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError as exc:
        if exc.errno in _CONTENDED:
            return False
        # No file locking on this drive (some network shares): refuse rather than let
        # parallel writers past each other unseen.
        raise StorageError(f"The vault's drive does not support file locks ({exc.strerror}): "
                           f"{what.lower()} is refused.") from exc
    return True


def _unlock(fd: int) -> None:
    try:
        if sys.platform == "win32":
            os.lseek(fd, 0, os.SEEK_SET)
            msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)
        else:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)  # closing releases the lock anyway, as does the process ending


class FileLock:
    """`hold()` waits up to `timeout` seconds for other holders, then says `what` is busy."""

    def __init__(self, path: Path, *, what: str, timeout: float) -> None:
        self.path = path
        self._what = what
        self._timeout = timeout
        self._mutex = threading.RLock()
        self._depth = 0
        self._fd: int | None = None

    def _busy(self, detail: str) -> StorageError:
        return StorageError(f"{self._what} is busy: {detail}. Try again in a moment.")

    @contextlib.contextmanager
    def hold(self) -> Iterator[None]:
        deadline = time.monotonic() + self._timeout
        if not self._mutex.acquire(timeout=self._timeout):
            raise self._busy("another one in this program has not finished")
        try:
            if self._depth == 0:
                self._fd = self._acquire(deadline)
            self._depth += 1
            try:
                yield
            finally:
                self._depth -= 1
                if self._depth == 0 and self._fd is not None:
                    fd, self._fd = self._fd, None
                    _unlock(fd)
        finally:
            self._mutex.release()

    def _acquire(self, deadline: float) -> int | None:
        fd = _open_lock_file(self.path)
        if fd is None:
            return None
        delay = 0.002
        try:
            # Polled, because neither flock nor msvcrt can wait with a time limit.
            while not _try_lock(fd, self._what):
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise self._busy(f"another one on this vault has not finished within {self._timeout:g} seconds")
                time.sleep(min(delay, remaining))
                delay = min(delay * 2, 0.05)
        except BaseException:
            os.close(fd)
            raise
        return fd
