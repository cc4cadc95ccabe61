"""The labgate service's custom scopes and the hub roles that hold them: one table.

JupyterHub's RBAC carries these (`c.JupyterHub.custom_scopes`, the role definitions the
authenticator manages, the service's `oauth_client_allowed_scopes`), the service's handlers
check them, and `docs/scopes.md` is generated from the same rows (a test keeps it current).

A scope only opens a door; which objects lie behind it (this institution's register, that
project database) is decided per request by `labgate.policy.staff`, from the database.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

SERVICE: Final = "labgate"
PREFIX: Final = "custom:labgate:"


@dataclass(frozen=True)
class Scope:
    name: str  # without the "custom:labgate:" prefix
    description: str
    roles: tuple[str, ...]  # hub roles (labgate-*) that hold it

    @property
    def full(self) -> str:
        return PREFIX + self.name


ADMIN: Final = "labgate-admin"
STEWARD: Final = "labgate-data-steward"
OFFICER: Final = "labgate-security-officer"
MANAGER: Final = "labgate-pdb-manager"
RESEARCHER: Final = "labgate-researcher"

ROLE_DESCRIPTIONS: Final = {
    ADMIN: "labgate admin: institutions, people, authorisations, projects and memberships.",
    STEWARD: "labgate data steward: datasets, variables and grants.",
    OFFICER: "labgate security officer: the audit log and the quarterly control.",
    MANAGER: "Project-database manager: sub-projects, populations and extracts.",
    RESEARCHER: "Researcher: one's own projects and workspaces.",
}

SCOPES: Final = (
    Scope("workspaces", "See one's own projects, their grants, and open their workspaces.",
          (RESEARCHER, MANAGER)),
    Scope("register:read", "Read institutions, people and the authorisation register.",
          (ADMIN, OFFICER)),
    Scope("register:write", "Create institutions and people; grant and end authorisations.",
          (ADMIN,)),
    Scope("projects:read", "Read projects and their memberships.", (ADMIN, STEWARD)),
    Scope("projects:write", "Create, renew, extend and expire projects; manage memberships.",
          (ADMIN,)),
    Scope("datasets:read", "Read datasets, their variables and flags, and the grants.",
          (ADMIN, STEWARD)),
    Scope("grants:write", "Grant datasets to projects, withdraw grants, materialise them.",
          (STEWARD,)),
    Scope("pdb:manage", "Manage the project databases one manages: sub-projects, members, "
          "populations and extracts.", (MANAGER,)),
    Scope("audit:read", "Search and export the audit log, read transaction statistics and "
          "the last chain verification.", (OFFICER,)),
    Scope("audit:review", "Sign off the quarterly control and run ad-hoc controls.",
          (OFFICER,)),
)  # fmt: skip

BY_NAME: Final = {s.name: s for s in SCOPES}


def scope(name: str) -> str:
    """The full scope string for a table row (KeyError for a name not in the table)."""
    return BY_NAME[name].full


def custom_scopes() -> dict[str, dict[str, str]]:
    """`c.JupyterHub.custom_scopes`."""
    return {s.full: {"description": s.description} for s in SCOPES}


def access_scope() -> str:
    """Every labgate role may reach the service at all (its pages then check the rest)."""
    return f"access:services!service={SERVICE}"


def role_definitions() -> list[dict[str, Any]]:
    """The hub roles labgate manages (Authenticator.load_managed_roles)."""
    return [
        {
            "name": role,
            "description": description,
            "scopes": [access_scope(), *(s.full for s in SCOPES if role in s.roles)],
        }
        for role, description in ROLE_DESCRIPTIONS.items()
    ]


def markdown() -> str:
    """docs/scopes.md: the table as people read it."""
    lines = [
        "# labgate's custom scopes",
        "",
        "Generated from `src/labgate/web/scopes.py` (`python -m labgate.web.scopes`).",
        "A scope opens a door; which objects are behind it is decided per request by",
        "`labgate.policy.staff` (an officer reads only their own institution's log, a",
        "manager only the project databases they manage).",
        "",
        "| scope | what it allows | hub roles |",
        "|---|---|---|",
    ]
    lines += [f"| `{s.full}` | {s.description} | {', '.join(s.roles)} |" for s in SCOPES]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(markdown(), end="")
