"""What the data steward's pages and API read: datasets with their variables' flags, and
grants with their state (issue 5). Read-only; the writes are `services.grants`.

Everything is returned as plain JSON data (names, not ids, except the grant's own number),
so the page and the API show the same thing.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from labgate.model import Dataset, Grant, Population, Project, Variable
from labgate.services import lookup

#: The flags of a variable, as the pages name them.
FLAGS = ("identifier", "year", "identifying", "protection_marker")


def variable_view(v: Variable) -> dict[str, Any]:
    return {
        "name": v.name,
        "label": v.label,
        "type": v.dtype,
        "identifier": v.is_identifier,
        "year": v.is_year,
        "identifying": v.is_identifying,
        "protection_marker": v.is_protection_marker,
    }


def dataset_view(ds: Dataset, *, variables: bool) -> dict[str, Any]:
    view: dict[str, Any] = {
        "code": ds.code,
        "title": ds.title,
        "unit": ds.unit,
        "source": ds.source,
        "description": ds.description,
        "anonymous": ds.anonymous,
        "years": [y.year for y in ds.years],
        "identifying": [v.name for v in ds.variables if v.is_identifying],
    }
    if variables:
        view["variables"] = [variable_view(v) for v in ds.variables]
    else:
        view["variable_count"] = len(ds.variables)
    return view


def list_datasets(session: Session) -> list[dict[str, Any]]:
    """Every dataset, by code."""
    found = session.scalars(select(Dataset).order_by(Dataset.code)).all()
    return [dataset_view(ds, variables=False) for ds in found]


def dataset_detail(session: Session, code: str) -> dict[str, Any]:
    """One dataset with its variables in column order (NotFound for an unknown code)."""
    return dataset_view(lookup.dataset(session, code), variables=True)


def project_choices(session: Session) -> list[dict[str, Any]]:
    """The projects a grant can be made to (not deleted), by code, for the pickers."""
    found = session.scalars(
        select(Project).where(Project.deleted_at.is_(None)).order_by(Project.code)
    ).all()
    return [{"code": p.code, "title": p.title, "scheme": p.scheme} for p in found]


def grant_view(session: Session, g: Grant) -> dict[str, Any]:
    project = lookup.project_by_id(session, g.project_id)
    population = session.get(Population, g.population_id) if g.population_id else None
    return {
        "id": g.id,
        "project": project.code,
        "project_title": project.title,
        "dataset": g.dataset.code,
        "dataset_title": g.dataset.title,
        "variables": sorted(v.variable.name for v in g.variables),
        "years": sorted(y.year for y in g.years),
        "population": population.name if population else None,
        "justification": g.justification,
        "granted_by": g.granted_by,
        "granted_at": g.granted_at,
        "withdrawn_at": g.withdrawn_at,
        "withdrawn_by": g.withdrawn_by,
        "in_force": g.withdrawn_at is None,
        "materialised_at": g.materialised_at,
    }


def list_grants(session: Session, project_code: str | None = None) -> list[dict[str, Any]]:
    """Every grant (or one project's), newest first; NotFound for an unknown project."""
    query = select(Grant).order_by(Grant.id.desc())
    if project_code is not None:
        query = query.where(Grant.project_id == lookup.project(session, project_code).id)
    return [grant_view(session, g) for g in session.scalars(query).all()]


def grant_detail(session: Session, grant_id: int) -> dict[str, Any]:
    return grant_view(session, lookup.grant(session, grant_id))
