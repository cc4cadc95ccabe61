"""Facts for the enforcer's decisions, read from labgate's database (one read session)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from labgate.audit.log import Actor
from labgate.enforcer.decide import WorkspaceFacts
from labgate.model import Institution, Person, Project
from labgate.services.facts import institution_facts, person_facts, project_facts, project_grants

#: The enforcer's name in the audit log.
ENFORCER_NAME = "labgate-enforcer"


def enforcer_actor(institution_code: str) -> Actor:
    """The enforcer as audit actor. A system actor carries the institution of the object
    it acts on (see `AuditEvent.institution`), so the owner's security officer finds the
    enforcer's actions on their projects in their own log search (LOG-3)."""
    return Actor(ENFORCER_NAME, "system", institution_code)


def workspace_facts(session: Session, username: str, code: str) -> WorkspaceFacts | None:
    """The facts for `username`'s workspace on project `code`, or None if either is unknown."""
    person = session.scalar(select(Person).where(Person.username == username))
    project = session.scalar(select(Project).where(Project.code == code)) if code else None
    if person is None or project is None:
        return None
    owner = session.get(Institution, project.owner_institution_id)
    return WorkspaceFacts(
        person=person_facts(session, person),
        institution=institution_facts(session, person.institution),
        project=project_facts(session, project),
        grants=tuple(project_grants(session, project.id)),
        owner_institution_code=owner.code if owner is not None else "",
    )


def institution_code(session: Session, institution_id: int) -> str:
    owner = session.get(Institution, institution_id)
    return owner.code if owner is not None else ""
