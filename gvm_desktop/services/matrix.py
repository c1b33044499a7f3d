"""The matrix as a role sees it. For now the home screen's overview; the matrix issue builds the rest."""

from __future__ import annotations

from dataclasses import dataclass

from gvm_desktop.core.audit import Action
from gvm_desktop.core.people import bcu_name
from gvm_desktop.core.policy import Permission
from gvm_desktop.services.context import Workspace
from gvm_desktop.store import access_log, nominals


@dataclass(frozen=True)
class MatrixOverview:
    bcu: str
    bcu_name: str
    by_status: dict[str, int]

    @property
    def total(self) -> int:
        return sum(self.by_status.values())


class MatrixService:
    def overview(self, ws: Workspace) -> MatrixOverview:
        """Counts of people in the session's own BCU (never another BCU's, never names)."""
        ws.authorize(Permission.MATRIX_VIEW, Action.MATRIX_OVERVIEW)
        bcu = ws.session.bcu
        assert bcu is not None  # MATRIX_VIEW roles always carry a BCU (core/policy.py)
        with ws.write() as conn:
            counts = nominals.count_by_status(conn, bcu)
            access_log.append(conn, ws.entry(Action.MATRIX_OVERVIEW, detail=f"counts for {bcu}"))
        return MatrixOverview(bcu, bcu_name(bcu), {s: counts.get(s, 0) for s in ("proposed", "active", "removed")})
