"""May this person open a workspace on this project now? (WS-1, AUTH-5, PROJ-4)"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from labgate.policy.decision import Decision, allow, deny
from labgate.policy.facts import InstitutionFacts, MembershipFacts, PersonFacts, ProjectFacts
from labgate.policy.identity import may_log_in
from labgate.policy.projects import ProjectState, project_state
from labgate.vocabulary import MemberRole, Scheme


def active_membership(
    person: PersonFacts, project: ProjectFacts, today: dt.date
) -> MembershipFacts | None:
    for m in project.memberships:
        if (
            m.person_id == person.id
            and m.ended_at is None
            and m.valid_from <= today < m.valid_until
        ):
            return m
    return None


def no_such_project(code: str) -> Decision:
    """The refusal for a project that does not exist *or* that this person may not open.

    "Not found" and "not allowed" read the same, so a non-member learns nothing of the
    project: an enforcement point that finds no project under `code` answers with this too.
    """
    return deny(
        "no-such-project",
        f"There is no project '{code}' that you can open. "
        "Choose one of the projects listed for you.",
    )


def may_start_workspace(
    person: PersonFacts, inst: InstitutionFacts, project: ProjectFacts, now: dt.datetime
) -> Decision:
    """WS-1, AUTH-5, PROJ-4: checked at every start, from facts the server gathered."""
    login = may_log_in(person, inst, now)
    if not login.allowed:
        return login
    membership = active_membership(person, project, now.date())
    if membership is None:
        return no_such_project(project.code)
    if (
        project.scheme == Scheme.PROJECT_DATABASE.value
        and membership.role != MemberRole.PDB_MANAGER.value
    ):
        return no_such_project(project.code)
    state = project_state(project, now)
    if state is ProjectState.NOT_STARTED:
        return deny(
            "not-started",
            f"The project {project.code} opens on {project.starts_on.isoformat()}. "
            "Start its workspace on or after that day.",
        )
    if state is not ProjectState.ACTIVE:
        return deny(
            "access-ended",
            f"The access period of {project.code} has ended, so its workspace cannot be opened.",
        )
    return allow()


def usable_projects(
    person: PersonFacts,
    inst: InstitutionFacts,
    projects: Iterable[ProjectFacts],
    now: dt.datetime,
) -> list[ProjectFacts]:
    """The projects this person may open a workspace on now, by code."""
    usable = [p for p in projects if may_start_workspace(person, inst, p, now).allowed]
    return sorted(usable, key=lambda p: p.code)
