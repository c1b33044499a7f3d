"""Reading the access log (the auditors' workspace grows from here)."""

from __future__ import annotations

from gvm_desktop.core.audit import Action, LoggedEntry
from gvm_desktop.core.errors import ValidationError
from gvm_desktop.core.policy import Permission
from gvm_desktop.services.context import Workspace
from gvm_desktop.store import access_log

MAX_PAGE = 1000


class AuditService:
    def recent(self, ws: Workspace, limit: int = 100) -> list[LoggedEntry]:
        ws.authorize(Permission.ACCESS_LOG_READ, Action.ACCESS_LOG_READ)
        if not 1 <= limit <= MAX_PAGE:
            raise ValidationError(f"Ask for 1 to {MAX_PAGE} entries at a time.")
        with ws.write() as conn:
            rows = access_log.recent(conn, limit)
            access_log.append(conn, ws.entry(Action.ACCESS_LOG_READ, detail=f"latest {limit}"))
        return rows
