"""Typed errors with a code; the CLI and the GUI word them for people.

Every message here is written to be shown as it is: one clear sentence, with
no secret (password, key, recovery code) and no person's details in it.
"""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    """The command-line contract's exit codes (docs/architecture.md, "Contracts")."""

    OTHER = 1
    USAGE = 2
    AUTH = 3
    INTEGRITY = 4


class GvmError(Exception):
    """Base of every error the application expects and words for its users."""

    exit_code: ExitCode = ExitCode.OTHER
    code = "error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class UsageError(GvmError):
    exit_code = ExitCode.USAGE
    code = "usage"


class ValidationError(GvmError):
    """Input that breaks a rule; nothing was written."""

    code = "invalid"


class UndecidedError(ValidationError):
    """Sign-off refused: these people have no recommendation or no SPOC verdict yet."""

    def __init__(self, refs: list[str]) -> None:
        shown = ", ".join(refs[:20]) + (f" and {len(refs) - 20} more" if len(refs) > 20 else "")
        super().__init__(f"{len(refs)} {'person is' if len(refs) == 1 else 'people are'} still undecided: {shown}")
        self.refs = refs


class NotFound(GvmError):
    code = "not_found"


class AuthenticationError(GvmError):
    """Wrong username or password. Deliberately does not say which."""

    exit_code = ExitCode.AUTH
    code = "auth_failed"


class AccountLocked(AuthenticationError):
    code = "account_locked"


class PermissionDenied(GvmError):
    exit_code = ExitCode.AUTH
    code = "permission_denied"


class SessionLocked(PermissionDenied):
    """The session is locked (idle or on request); unlock with the password."""

    code = "session_locked"


class StaleSession(SessionLocked):
    """The vault changed under an open session (key rotated, file replaced): sign in again."""

    code = "stale_session"


class VaultError(GvmError):
    """The vault cannot be opened or trusted: missing, corrupt, foreign, wrong type."""

    exit_code = ExitCode.INTEGRITY
    code = "vault"


class VaultNotFound(VaultError):
    exit_code = ExitCode.OTHER
    code = "vault_missing"


class VaultExists(VaultError):
    exit_code = ExitCode.OTHER
    code = "vault_exists"


class VaultCorrupt(VaultError):
    code = "vault_corrupt"


class WrongFileType(VaultError):
    code = "wrong_file_type"


class StorageError(GvmError):
    """The database refused a read or write (disk full, busy, damaged page)."""

    code = "storage"


class FileWriteError(GvmError, OSError):
    """An export could not be written where asked (folder missing, no permission, disk full).

    An OSError too, so code that handles file errors generically still catches it.
    Nothing is left behind: not the file, not its temporary copy.
    """

    code = "file_write"
