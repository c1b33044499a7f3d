"""Reading the access log (the auditors' workspace grows from here)."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

from gvm_desktop.core.audit import Action, LoggedEntry
from gvm_desktop.core.clock import to_iso
from gvm_desktop.core.errors import PermissionDenied, ValidationError
from gvm_desktop.core.log_verification import VerifyResult
from gvm_desktop.core.policy import Permission, require
from gvm_desktop.services.auth import AuthService
from gvm_desktop.services.context import Operation, Workspace
from gvm_desktop.store.keyslots import key_fingerprint
from gvm_desktop.store.protocols import Unit

MAX_PAGE = 1000


def parse_head(text: str) -> tuple[int, str]:
    """A head as printed on a document, 'SEQ:HASH' (the hash in hex, whole or its first 16+ digits)."""
    seq, _, digest = text.strip().partition(":")
    if not seq.isdigit() or len(digest) < 16 or any(c not in "0123456789abcdef" for c in digest.lower()):
        raise ValidationError(f"A log head is SEQ:HASH, e.g. 1234:9f86d081884c7d65 (got '{text[:40]}').")
    return int(seq), digest.lower()


def check_chain(op: Operation, key0: bytes, document_heads: Sequence[tuple[int, str]] = (),
                progress: Callable[[int, int], None] | None = None) -> VerifyResult:
    """The whole check, reading only: chain, MACs, time order, the checkpoint file, the auditor's
    pinned head, printed heads. `progress(done, total)` hears how many entries the chain walk has passed."""
    start = time.perf_counter()
    # The checkpoint file first: in a read operation the log's snapshot begins at its first read,
    # so the checkpoint is never of a later state than the log checked against it.
    checkpoint = op.vault.read_checkpoint()
    # Progress is passed only when someone listens: the plain call is the one the CLI makes and every
    # stand-in for the walk (tests/services/test_log_queries.py) answers.
    report = op.store.chain.verify(key0) if progress is None else op.store.chain.verify(key0, progress=progress)
    problems = [f"entry {p.seq}: {p.what}" if p.seq else p.what for p in report.problems]
    if checkpoint is None:
        problems.append("the log checkpoint file beside the database is missing")
    else:
        seq, digest = checkpoint
        if seq > report.head_seq:
            problems.append(f"the checkpoint beside the database is at entry {seq} but the log ends at entry "
                            f"{report.head_seq}: the database was restored from an older copy or cut short")
        elif _hash_at(op.store, seq) != digest:
            problems.append(f"entry {seq} differs from the checkpoint kept beside the database")
    problems.extend(op.vault.pin_problems())
    # Searches read the log through its indexes: an index rebuilt to leave an entry out would hide it
    # from every search while the table itself verifies. SQLite's own check of the table and its indexes.
    problems.extend(f"the access log's indexes do not match its entries ({p})" for p in op.store.chain.index_problems())
    for seq, printed in document_heads:
        stored = _hash_at(op.store, seq)
        if stored is None or not stored.hex().startswith(printed):
            problems.append(f"the head printed on a document (entry {seq}, {printed[:16]}) is not in this log")
    return VerifyResult(not problems, report.entries, report.head_seq, report.head_hash.hex(), tuple(problems),
                        time.perf_counter() - start, key_fingerprint(key0), op.vault.log_pin is None)


def _hash_at(store: Unit, seq: int) -> bytes | None:
    """An entry's stored hash, or None when it is missing or not a hash at all (a damaged row)."""
    try:
        return store.chain.hash_at(seq)
    except (TypeError, ValueError):
        return None


_NO_KEY = ("Your account does not hold the log verification key yet: another auditor's sign-in passes it on, "
           "or use 'gvm-desktop log grant' with the recovery code.")


class AuditService:
    def __init__(self, auth: AuthService) -> None:
        self.auth = auth

    def verify(self, ws: Workspace, document_heads: Sequence[tuple[int, str]] = (),
               progress: Callable[[int, int], None] | None = None) -> VerifyResult:
        """The verification button: the same check inside an auditor's session (reads only;
        an intact result is then logged and pinned, a damaged log is left exactly as found).
        `progress(done, total)`: entries walked so far (check_chain).

        The check reads the whole log, so it runs in a read operation (no write lock held while
        it walks ten million entries). An intact result is then logged in a short write
        operation, and only once that has committed is the pin moved (the key slot file is
        vault work, outside any transaction): a pin marked as recorded always has its entry.
        """
        with ws.operation(Permission.ACCESS_LOG_READ, Action.LOG_VERIFY, writes=False) as op:
            if op.vault.log_key0 is None:
                raise PermissionDenied(_NO_KEY)
            result = check_chain(op, op.vault.log_key0, document_heads, progress)
        if result.intact:
            with ws.operation(Permission.ACCESS_LOG_READ, Action.LOG_VERIFY) as op:
                op.log(detail=(f"intact: {result.entries} entries, head {result.head_seq}:{result.head_hash[:16]}; "
                               f"verification key {result.key_fingerprint}"))
            with ws.operation(None, Action.LOG_VERIFY, writes=False, alone=True) as op:
                op.vault.pin_log_key((result.head_seq, bytes.fromhex(result.head_hash)),
                                     verified_at=to_iso(op.env.clock.now()), recorded=True)
        return result

    def verify_vault(self, username: str, password: str,
                     document_heads: Sequence[tuple[int, str]] = ()) -> VerifyResult:
        """`log verify`: an auditor checks the log without writing to the database.

        The one file it writes, and only for an intact log, is the auditor's own key
        slot: the pin moves to the head just verified (and a key used for the first
        time is pinned). The verification enters the access log at the auditor's
        next sign-in (services/auth.py), since writing it now would mean changing
        what was just checked.
        """
        vault, session = self.auth.open_read_only(username, password)
        try:
            # Refused before the workspace exists: a read-only vault cannot log the refusal (nor this check).
            require(session.role, Permission.ACCESS_LOG_READ)
            ws = Workspace(vault, session, self.auth.env)
            with ws.operation(None, Action.LOG_VERIFY, writes=False) as op:
                if op.vault.log_key0 is None:
                    raise PermissionDenied(_NO_KEY)
                result = check_chain(op, op.vault.log_key0, document_heads)
                if result.intact:
                    op.vault.pin_log_key((result.head_seq, bytes.fromhex(result.head_hash)),
                                         verified_at=to_iso(op.env.clock.now()), recorded=False)
        finally:
            vault.close()
        return result

    def recent(self, ws: Workspace, limit: int = 100) -> list[LoggedEntry]:
        with ws.operation(Permission.ACCESS_LOG_READ, Action.ACCESS_LOG_READ) as op:
            if not 1 <= limit <= MAX_PAGE:
                raise ValidationError(f"Ask for 1 to {MAX_PAGE} entries at a time.")
            rows = op.store.log.recent(limit)
            op.log(detail=f"latest {limit}")
        return rows
