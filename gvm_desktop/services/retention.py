"""Purging what is past its retention period: archive records and signed quarterly reviews.

Deleted for real (secure_delete zeroes the freed pages) and the space reclaimed (VACUUM).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from gvm_desktop.core.audit import Action
from gvm_desktop.core.policy import Permission
from gvm_desktop.core.settings import RETENTION_YEARS
from gvm_desktop.services.context import Workspace
from gvm_desktop.services.settings import SettingsService


@dataclass(frozen=True)
class Purged:
    archive: int  # archive rows past their purge date
    reviews: int  # signed reviews signed at least the retention period ago
    review_items: int  # their items (the people each one listed)


def years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return date(day.year - years, 2, 28)


class RetentionService:
    def __init__(self, settings: SettingsService | None = None) -> None:
        self.settings = settings or SettingsService()

    def purge_expired(self, ws: Workspace) -> int:
        """Purge what is past retention (see purge); returns the number of archive rows purged."""
        return self.purge(ws).archive

    def purge(self, ws: Workspace) -> Purged:
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
        """
        with ws.operation(Permission.RETENTION_PURGE, Action.PURGE) as op:
            today = op.env.clock.now().date()
            years = self.settings.value(ws, RETENTION_YEARS.key)
            archive = op.store.records.purge_archive(today.isoformat())
            gone, items = op.store.reviews.purge_signed(years_before(today, years).isoformat())
            op.log(detail=(f"{archive} archive records past retention; {gone} signed reviews ({items} items) signed "
                           f"{years} or more years ago"))
        if archive or gone:
            # secure_delete already zeroed the freed pages; VACUUM gives them back to the file system.
            with ws.operation(None, Action.PURGE, writes=False, alone=True) as op:
                op.store.compact()
                op.vault.flush_wal()
        return Purged(archive, gone, items)
