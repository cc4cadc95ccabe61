"""The facts `labgate.policy.staff` decides on, read for one signed-in person."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from labgate.model import Institution, Membership, Person, Project, RoleAssignment
from labgate.policy.staff import StaffFacts, managed_databases
from labgate.services.facts import institution_facts, person_facts, project_facts


def staff_facts(
    session: Session, username: str, scopes: Iterable[str], now: dt.datetime
) -> StaffFacts | None:
    """None when the hub knows a name labgate's register does not (it may see nothing)."""
    person = session.scalar(select(Person).where(Person.username == username))
    if person is None:
        return None
    rows = session.execute(
        select(RoleAssignment.role, Institution.code)
        .outerjoin(Institution, Institution.id == RoleAssignment.institution_id)
        .where(RoleAssignment.person_id == person.id, RoleAssignment.ended_at.is_(None))
    )
    roles = frozenset((role, code) for role, code in rows)
    databases = session.scalars(
        select(Project)
        .join(Membership, Membership.project_id == Project.id)
        .where(Membership.person_id == person.id, Project.scheme == "project_database")
        .distinct()
    )
    managed = managed_databases(
        person_facts(session, person),
        institution_facts(session, person.institution),
        [project_facts(session, p) for p in databases],
        now,
    )
    return StaffFacts(
        username=person.username,
        institution=person.institution.code,
        roles=roles,
        managed=managed,
        scopes=frozenset(scopes),
    )
