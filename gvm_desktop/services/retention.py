"""Purging what is past its retention period: archive records and signed quarterly reviews.

Deleted for real (secure_delete zeroes the freed pages) and the space reclaimed (VACUUM).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from gvm_desktop.core.audit import Action
from gvm_desktop.core.policy import Permission
from gvm_desktop.core.retention import DueReview, Purged, PurgePreview, years_after, years_before
from gvm_desktop.core.settings import RETENTION_YEARS
from gvm_desktop.services.context import Operation, Workspace
from gvm_desktop.services.settings import SettingsService


@dataclass(frozen=True)
class _Cutoffs:
    """What "due" means on a day: the one place purge and preview take it from."""

    today: date
    years: int

    @property
    def archive_due_on_or_before(self) -> str:
        return self.today.isoformat()

    @property
    def signed_on_or_before(self) -> str:
        return years_before(self.today, self.years).isoformat()


def _unheard(done: int, total: int) -> None:
    """No one asked how far the purge is."""


class RetentionService:
    def __init__(self, settings: SettingsService | None = None) -> None:
        self.settings = settings or SettingsService()

    def purge_expired(self, ws: Workspace) -> int:
        """Purge what is past retention (see purge); returns the number of archive rows purged."""
        return self.purge(ws).archive

    def purge(self, ws: Workspace, progress: Callable[[int, int], None] | None = None) -> Purged:
        """Delete archive rows past their purge date and signed reviews as old as the retention period.

        A signed review names everyone it reviewed, so it is kept no longer than the archive row of a
        person removed the day it was signed (the setting read now, as the admin has it today).

        Two steps, because SQLite refuses VACUUM inside a transaction:
          1. One transaction deletes the rows and logs the purge: both or neither.
          2. After the commit, the file is compacted and the write-ahead log emptied, outside any
             transaction. secure_delete zeroed the freed pages in step 1, so a crash between the
             steps leaves nothing of the purged rows readable, only a file not yet shrunk: the
             next purge, or any later compaction, gives the pages back.
        Run it on its own, not inside another operation (step 2 would then be inside a transaction).

        `progress(done, total)` hears of each step as it ends: the archive's rows, each signing day's
        reviews, the commit, the compaction.
        """
        tell = progress or _unheard
        with ws.operation(Permission.RETENTION_PURGE, Action.PURGE) as op:
            due = self._cutoffs(ws, op)
            # The reviews go a signing day at a time, oldest first: each day's purge is all the reviews signed
            # on or before it, so together they remove what one purge at the cutoff would, and progress can
            # say how far it is. Still one transaction: a failure on any day keeps every row.
            days = sorted({str(r.signed_at)[:10] for r in op.store.reviews.signed_due(due.signed_on_or_before)})
            steps = 1 + len(days) + 2
            archive = op.store.records.purge_archive(due.archive_due_on_or_before)
            tell(1, steps)
            gone = items = 0
            for done, day in enumerate(days, start=2):
                day_gone, day_items = op.store.reviews.purge_signed(day)
                gone, items = gone + day_gone, items + day_items
                tell(done, steps)
            op.log(detail=(f"{archive} archive records past retention; {gone} signed reviews ({items} items) signed "
                           f"{due.years} or more years ago"))
        tell(steps - 1, steps)
        if archive or gone:
            # secure_delete already zeroed the freed pages; VACUUM gives them back to the file system.
            with ws.operation(None, Action.PURGE, writes=False, alone=True) as op:
                op.store.compact()
                op.vault.flush_wal()
        tell(steps, steps)
        return Purged(archive, gone, items)

    def preview(self, ws: Workspace) -> PurgePreview:
        """What `purge` would remove now, read with its cutoffs: archive rows per BCU and signed reviews by id.

        Refused as the purge is (its permission): a preview is the first half of the administrator's purge.
        """
        with ws.operation(Permission.RETENTION_PURGE, Action.PURGE, writes=False) as op:
            due = self._cutoffs(ws, op)
            archive = op.store.records.due_archive_rows(due.archive_due_on_or_before)
            reviews = []
            for r in op.store.reviews.signed_due(due.signed_on_or_before):
                signed = date.fromisoformat(str(r.signed_at)[:10])
                reviews.append(DueReview(r.id, r.bcu, r.quarter, signed, years_after(signed, due.years)))
            return PurgePreview(due.today, due.years, tuple(archive), tuple(reviews))

    def _cutoffs(self, ws: Workspace, op: Operation) -> _Cutoffs:
        return _Cutoffs(op.env.clock.now().date(), self.settings.value(ws, RETENTION_YEARS.key))
