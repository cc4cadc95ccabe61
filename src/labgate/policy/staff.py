"""Who may see and change what through the hub's pages and API (AUTH-2, PROJ-4, LOG-5).

Two locks must both open: the hub scope the request carries (`custom:labgate:...`, what the
person's hub role holds) and the person's role in labgate's own register *now* (a role
ended since login, or an institution that is not theirs, closes the door at once).

A refusal reads "not found" (reason `not-found`): a person who may not see an object must
not learn that it exists.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field

from labgate.policy.decision import Decision, allow, deny
from labgate.policy.facts import InstitutionFacts, PersonFacts, ProjectFacts
from labgate.policy.workspaces import active_membership, may_start_workspace
from labgate.vocabulary import MemberRole, Scheme, StaffRole

ANY_INSTITUTION = None


@dataclass(frozen=True)
class StaffFacts:
    """A signed-in person as the service sees them on one request."""

    username: str
    institution: str  # the person's own institution code
    #: Active staff roles: (role, institution code) with None meaning every institution.
    roles: frozenset[tuple[str, str | None]] = field(default_factory=frozenset)
    #: Project databases (codes) the person manages now (an active pdb_manager membership).
    managed: frozenset[str] = field(default_factory=frozenset)
    #: The hub scopes of the request's token (custom:labgate:...).
    scopes: frozenset[str] = field(default_factory=frozenset)


def not_found(noun: str = "page") -> Decision:
    return deny("not-found", f"No such {noun}: check the address, or ask whoever sent it.")


def has_scope(staff: StaffFacts, scope: str) -> Decision:
    """The hub's half: the token carries the scope."""
    return allow() if scope in staff.scopes else not_found()


def _holds(staff: StaffFacts, role: StaffRole, institution: str | None) -> bool:
    for held, where in staff.roles:
        if held != role.value:
            continue
        if where is ANY_INSTITUTION or institution is None or where == institution:
            return True
    return False


def institutions_for(staff: StaffFacts, role: StaffRole) -> frozenset[str] | None:
    """The institutions a role reaches: None means all, an empty set means none."""
    reach: set[str] = set()
    for held, where in staff.roles:
        if held == role.value:
            if where is ANY_INSTITUTION:
                return None
            reach.add(where)
    return frozenset(reach)


def may_administer(staff: StaffFacts, institution: str | None = None) -> Decision:
    """An admin (global, or of `institution`) may read and change the register."""
    ok = _holds(staff, StaffRole.ADMIN, institution)
    return allow() if ok else not_found("institution" if institution else "page")


def may_steward(staff: StaffFacts) -> Decision:
    """A data steward may describe datasets and grant them."""
    return allow() if _holds(staff, StaffRole.DATA_STEWARD, None) else not_found()


def may_read_register(staff: StaffFacts, institution: str) -> Decision:
    """Admins, and the security officers of that institution, read its register."""
    if _holds(staff, StaffRole.ADMIN, institution):
        return allow()
    if _holds(staff, StaffRole.SECURITY_OFFICER, institution):
        return allow()
    return not_found("institution")


def may_audit(staff: StaffFacts, institution: str | None) -> Decision:
    """A security officer reads the log of their own institution(s) only.

    `institution` None asks for every institution: only an officer of all may.
    """
    reach = institutions_for(staff, StaffRole.SECURITY_OFFICER)
    if reach is None:
        return allow()
    if institution is not None and institution in reach:
        return allow()
    return not_found("institution")


def may_manage(staff: StaffFacts, project_code: str, parent_code: str | None) -> Decision:
    """A project-database manager manages their project database and its sub-projects.

    `parent_code` is the project's main project (None for a project without one).
    """
    if project_code in staff.managed or (parent_code is not None and parent_code in staff.managed):
        return allow()
    return not_found("project")


def managed_databases(
    person: PersonFacts,
    inst: InstitutionFacts,
    projects: Iterable[ProjectFacts],
    now: dt.datetime,
) -> frozenset[str]:
    """The project databases this person manages now (PROJ-4).

    A manager whose authorisation ended, or whose project database expired, manages
    nothing: the same rule that decides whether they may open it (WS-1).
    """
    today = now.date()
    return frozenset(
        p.code
        for p in projects
        if p.scheme == Scheme.PROJECT_DATABASE.value
        and (m := active_membership(person, p, today)) is not None
        and m.role == MemberRole.PDB_MANAGER.value
        and may_start_workspace(person, inst, p, now).allowed
    )
