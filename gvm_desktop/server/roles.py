"""The server's PostgreSQL roles: one NOLOGIN group per application role, and the schema's owner.

Login roles (one per user, a member of their group) arrive with the server's accounts; until
then the tests make their own. Roles belong to the cluster, not to one database.
"""

from __future__ import annotations

from gvm_desktop.core.policy import Role

# Owns the schemas, the log and its state, and the SECURITY DEFINER functions. NOLOGIN, not a
# superuser, with no members: the only way to act as it is to be the cluster's superuser.
OWNER_ROLE = "gvm_owner"

GROUP_OF: dict[Role, str] = {
    Role.OFFICER: "gvm_officer",
    Role.SPOC: "gvm_spoc",
    Role.AUDITOR: "gvm_auditor",
    Role.PARTNER: "gvm_partner",
    Role.ADMIN: "gvm_admin",
}
GROUP_ROLES: tuple[str, ...] = tuple(GROUP_OF.values())
