"""Who is in a project, and in which role (PROJ-4).

A project database has one to three project-database managers and no researchers:
nobody does research there. Researchers are members of sub-projects and other projects.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from labgate.policy.decision import Decision, allow, deny, first_denial
from labgate.policy.facts import InstitutionFacts, MembershipFacts, PersonFacts, ProjectFacts
from labgate.policy.identity import institution_authorised
from labgate.policy.lifecycle import ProjectState, project_state
from labgate.vocabulary import MemberRole, Scheme

#: PROJ-4: a project database has one to three managers.
MAX_MANAGERS = 3


def _membership_end(m: MembershipFacts) -> dt.date:
    """The day a membership stops counting: an ended one counts only up to its end."""
    return min(m.valid_until, m.ended_at.date()) if m.ended_at else m.valid_until


def memberships_carried(memberships: Iterable[MembershipFacts], old_end: dt.date) -> list[int]:
    """A new term (a renewal, PROJ-2, or an extension, PROJ-3) carries over the memberships
    that ran to the project's old end of access: they were given for the project's term,
    and without this every member would lose access on the old date. A membership given an
    earlier end of its own, or ended, keeps it; the admin decides about those."""
    return [m.id for m in memberships if m.ended_at is None and m.valid_until == old_end]


def _active_or_future(m: MembershipFacts, today: dt.date) -> bool:
    return m.ended_at is None and m.valid_until > today


def _role(p: ProjectFacts, role: str) -> Decision:
    """PROJ-4: managers belong to project databases, researchers everywhere else."""
    roles = [r.value for r in MemberRole]
    if role not in roles:
        return deny(
            "invalid-role",
            f"There is no project role '{role}'. Use one of: {', '.join(roles)}.",
        )
    is_pdb = p.scheme == Scheme.PROJECT_DATABASE.value
    if role == MemberRole.PDB_MANAGER.value and not is_pdb:
        return deny(
            "manager-outside-project-database",
            "Project-database managers belong to a project database, not to this project. "
            "Add the person as a researcher instead.",
        )
    if role == MemberRole.RESEARCHER.value and is_pdb:
        return deny(
            "research-in-project-database",
            "Nobody does research in a project database itself. Add the researcher to a "
            "sub-project instead.",
        )
    return allow()


def _period(p: ProjectFacts, valid_from: dt.date, valid_until: dt.date) -> Decision:
    if not valid_from < valid_until:
        return deny(
            "inverted-period",
            "The membership must end after it starts. Check its start and end dates.",
        )
    if valid_from < p.starts_on or valid_until > p.access_ends_on:
        return deny(
            "outside-project-period",
            f"The membership must lie within the project's access period "
            f"({p.starts_on.isoformat()} to {p.access_ends_on.isoformat()}). Choose dates "
            "inside it.",
        )
    return allow()


def _not_twice(
    p: ProjectFacts, person: PersonFacts, valid_from: dt.date, valid_until: dt.date
) -> Decision:
    for m in p.memberships:
        if m.person_id != person.id:
            continue
        if valid_from < _membership_end(m) and m.valid_from < valid_until:
            return deny(
                "already-member",
                f"The person {person.username} is already a member of {p.code} in that period. End "
                "the current membership first, or choose a period after it.",
            )
    return allow()


def _room_for_manager(p: ProjectFacts, role: str, today: dt.date) -> Decision:
    """PROJ-4: at most three managers, counting the active and the future ones."""
    if role != MemberRole.PDB_MANAGER.value:
        return allow()
    managers = [
        m
        for m in p.memberships
        if m.role == MemberRole.PDB_MANAGER.value and _active_or_future(m, today)
    ]
    if len(managers) >= MAX_MANAGERS:
        return deny(
            "too-many-managers",
            f"A project database has at most {MAX_MANAGERS} managers, and {p.code} already "
            "has three. End one manager's membership first.",
        )
    return allow()


def validate_membership(
    p: ProjectFacts,
    person: PersonFacts,
    person_inst: InstitutionFacts,
    role: str,
    valid_from: dt.date,
    valid_until: dt.date,
    today: dt.date,
) -> Decision:
    """PROJ-4: managers only on project databases, at most three; no research there."""
    state = project_state(p, dt.datetime.combine(today, dt.time(), dt.UTC))
    if state not in (ProjectState.ACTIVE, ProjectState.NOT_STARTED):
        return deny(
            "project-ended",
            f"The project {p.code} has reached the end of its access period, so nobody "
            "can join it any more.",
        )
    if not institution_authorised(person_inst, None, max(valid_from, today)).allowed:
        institution = deny(
            "institution-not-authorised",
            f"The institution of {person.username} is not authorised for microdata access "
            "then, so they cannot join a project. An admin must authorise the institution first.",
        )
    else:
        institution = allow()
    return first_denial(
        _role(p, role),
        _period(p, valid_from, valid_until),
        _not_twice(p, person, valid_from, valid_until),
        institution,
        _room_for_manager(p, role, today),
    )


def may_end_membership(p: ProjectFacts, m: MembershipFacts, now: dt.datetime) -> Decision:
    """A membership is ended once, and only while it still runs."""
    if m.ended_at is not None or m.valid_until <= now.date():
        return deny(
            "already-ended", "This membership has already ended; there is nothing more to do."
        )
    return allow()
