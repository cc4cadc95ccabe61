"""What a project-database manager may do through the hub's pages and API (PROJ-4, PROJ-5).

`policy.staff.may_manage` says whether a person manages a project (their project database,
or one of its sub-projects). The manager's pages always name the project database in the
address (`manage/<pdb>/...`), so each object reached below it must also *belong* to that
project database: a sub-project of another project database, or a membership of a project
elsewhere, reads "not found" even when the person happens to manage that one too.

Managers add and end *researcher* memberships of their sub-projects only: who manages a
project database (PROJ-4) is the admin's decision. They withdraw the extracts (grants) of
their sub-projects, but never what the project database itself holds: that is the data
steward's grant to the main project.
"""

from __future__ import annotations

from dataclasses import dataclass

from labgate.policy.decision import Decision, allow
from labgate.policy.staff import StaffFacts, may_manage, not_found
from labgate.vocabulary import MemberRole, Scheme


def may_manage_database(staff: StaffFacts, pdb_code: str) -> Decision:
    """The person manages this project database now (it is in `staff.managed`)."""
    return may_manage(staff, pdb_code, None)


def may_manage_subproject(
    staff: StaffFacts, pdb_code: str, sub_code: str, sub_scheme: str, sub_parent: str | None
) -> Decision:
    """A sub-project of *this* project database, which the person manages."""
    if not may_manage_database(staff, pdb_code).allowed:
        return not_found("project")
    if sub_scheme != Scheme.SUB_PROJECT.value or sub_parent != pdb_code:
        return not_found("project")
    return may_manage(staff, sub_code, sub_parent)


def may_manage_membership(
    staff: StaffFacts,
    pdb_code: str,
    project_code: str,
    project_scheme: str,
    project_parent: str | None,
    role: str,
) -> Decision:
    """A researcher membership of a sub-project of this project database."""
    if role != MemberRole.RESEARCHER.value:
        return not_found("membership")
    decision = may_manage_subproject(staff, pdb_code, project_code, project_scheme, project_parent)
    return allow() if decision.allowed else not_found("membership")


@dataclass(frozen=True)
class ExtractPlace:
    """A grant as `may_withdraw_extract` reads it: its project's place, and whether it was
    withdrawn already."""

    project_code: str
    project_scheme: str
    project_parent: str | None
    withdrawn: bool


def may_withdraw_extract(
    staff: StaffFacts, pdb_code: str, extract: ExtractPlace | None
) -> Decision:
    """An extract in force, granted to a sub-project of this project database, which the
    person manages now. Anything else reads "no such grant", as a number that names nothing
    (`extract` None) does: the project database's own grant, another project's, one withdrawn."""
    if extract is None or extract.withdrawn:
        return not_found("grant")
    decision = may_manage_subproject(
        staff, pdb_code, extract.project_code, extract.project_scheme, extract.project_parent
    )
    return allow() if decision.allowed else not_found("grant")
