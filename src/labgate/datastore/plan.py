"""What materialising one grant means, read from the database into plain values.

Kept apart from the DuckDB work so that the database session is closed before the long
data pass starts, and so that the choice of columns (granted variables plus protection
markers, DATA-4 and DATA-7) can be read and tested on its own.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from sqlalchemy.orm import Session

from labgate.errors import Conflict, InvalidInput, NotFound
from labgate.model import Grant, Population, Project
from labgate.services.facts import grant_facts

#: The file next to a materialised dataset that says what was granted.
GRANT_FILE = "_grant.json"


@dataclass(frozen=True)
class Plan:
    grant_id: int
    project: str
    dataset: str
    unit: str
    #: Output columns in register order: granted variables and every protection marker.
    columns: tuple[str, ...]
    #: Output columns that are identifiers and leave as pseudonyms.
    identifiers: tuple[str, ...]
    #: Output columns that are name and address protection markers (DATA-7).
    protection_markers: tuple[str, ...]
    year_column: str | None
    years: tuple[int, ...]
    population_owner: str | None = None
    population_name: str | None = None
    #: The person identifier a population filters on.
    population_column: str | None = None


def load_plan(session: Session, grant_id: int) -> Plan:
    grant = session.get(Grant, grant_id)
    if grant is None:
        raise NotFound(f"There is no grant with the number {grant_id}.", reason="no-such-grant")
    project = session.get(Project, grant.project_id)
    assert project is not None
    if project.deleted_at is not None:
        raise Conflict(
            f"The project '{project.code}' has been deleted; its grants cannot be materialised.",
            reason="project-deleted",
        )
    _check_effective(grant)
    dataset = grant.dataset
    granted = {gv.variable_id for gv in grant.variables}
    chosen = [v for v in dataset.variables if v.id in granted or v.is_protection_marker]
    year_var = next((v for v in dataset.variables if v.is_year), None)
    plan = Plan(
        grant_id=grant.id,
        project=project.code,
        dataset=dataset.code,
        unit=dataset.unit,
        columns=tuple(v.name for v in chosen),
        identifiers=tuple(v.name for v in chosen if v.is_identifier),
        protection_markers=tuple(v.name for v in chosen if v.is_protection_marker),
        year_column=year_var.name if year_var else None,
        years=tuple(sorted(gy.year for gy in grant.years)),
    )
    if grant.population_id is None:
        return plan
    population = session.get(Population, grant.population_id)
    assert population is not None
    owner = session.get(Project, population.project_id)
    assert owner is not None
    person_ids = [v.name for v in dataset.variables if v.is_identifier]
    if dataset.unit != "person" or not person_ids:
        raise InvalidInput(
            f"The dataset '{dataset.code}' does not describe persons by a person number, so "
            f"it cannot be limited to the population '{population.name}'.",
            reason="population-needs-person-identifier",
        )
    return replace(
        plan,
        population_owner=owner.code,
        population_name=population.name,
        population_column=person_ids[0],
    )


def _check_effective(grant: Grant) -> None:
    """Only a grant that is in force may be materialised; policy says which are."""
    from labgate.policy.grants import effective_grants

    facts = grant_facts(grant)
    if facts not in list(effective_grants([facts])):
        raise Conflict(
            f"Grant {grant.id} is no longer in force (it was withdrawn), so it cannot be "
            "materialised.",
            reason="grant-not-in-force",
        )
