"""Granting data to projects and withdrawing it (DATA-4, DATA-5, PROJ-5, INST-3)."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from labgate import clock
from labgate.audit.log import Actor, record_as
from labgate.errors import Conflict, InvalidInput
from labgate.model import Grant, GrantVariable, GrantYear, Population
from labgate.policy.facts import GrantRequest
from labgate.policy.grants import may_withdraw_grant, validate_grant
from labgate.services import lookup
from labgate.services.datasets import variable_ids
from labgate.services.facts import (
    dataset_facts,
    grant_facts,
    institution_facts,
    project_facts,
    project_grants,
)

#: The country whose registers labgate serves; institutions elsewhere are "foreign" (INST-3).
HOME_COUNTRY = "DK"


def create_grant(
    session: Session,
    actor: Actor,
    *,
    project_code: str,
    dataset_code: str,
    variables: Iterable[str],
    years: Iterable[int],
    population: str | None = None,
    justification: str | None = None,
    home_country: str = HOME_COUNTRY,
) -> Grant:
    project = lookup.project(session, project_code)
    dataset = lookup.dataset(session, dataset_code)
    ids = variable_ids(session, dataset_code, variables)
    population_id = None
    if population:
        pop = session.scalar(
            select(Population).where(
                Population.project_id == project.parent_id, Population.name == population
            )
        )
        if pop is None:
            raise InvalidInput(
                f"The project database of '{project_code}' has no population named '{population}'.",
                reason="no-such-population",
            )
        population_id = pop.id
    request = GrantRequest(
        project_id=project.id,
        dataset_id=dataset.id,
        variable_ids=frozenset(ids.values()),
        years=frozenset(years),
        population_id=population_id,
        justification=justification.strip() if justification else None,
    )
    parent_grants = project_grants(session, project.parent_id) if project.parent_id else None
    owner = lookup.institution_by_id(session, project.owner_institution_id)
    validate_grant(
        request,
        project_facts(session, project),
        dataset_facts(dataset),
        institution_facts(session, owner),
        parent_grants,
        clock.now(),
        home_country,
    ).check(InvalidInput)
    grant = Grant(
        project_id=project.id,
        dataset_id=dataset.id,
        population_id=population_id,
        justification=request.justification,
        granted_by=actor.name,
        granted_at=clock.now(),
    )
    grant.variables = [GrantVariable(variable_id=i) for i in sorted(request.variable_ids)]
    grant.years = [GrantYear(year=y) for y in sorted(request.years)]
    session.add(grant)
    session.flush()
    record_as(
        session,
        actor,
        "grant.create",
        "project",
        project_code,
        detail={
            "grant": grant.id,
            "dataset": dataset_code,
            "variables": list(ids),
            "years": sorted(request.years),
            "population": population or "",
            "justification": request.justification or "",
        },
    )
    return grant


def withdraw_grant(session: Session, actor: Actor, *, grant_id: int, reason: str) -> Grant:
    grant = lookup.grant(session, grant_id)
    project = lookup.project_by_id(session, grant.project_id)
    if not reason.strip():
        raise InvalidInput("Say why the grant is withdrawn.", reason="missing-reason")
    now = clock.now()
    may_withdraw_grant(grant_facts(grant), project_facts(session, project), now).check(Conflict)
    grant.withdrawn_at = now
    grant.withdrawn_by = actor.name
    session.flush()
    record_as(
        session,
        actor,
        "grant.withdraw",
        "project",
        project.code,
        detail={"grant": grant.id, "reason": reason.strip()},
    )
    return grant
