"""What the project-database manager's pages and API read (issue 5): the project databases
a person manages, their sub-projects with members and extracts, their populations, and the
minimisation and under-use warnings (PROJ-6, PROJ-7). Read-only; the writes are the
audited services (`services.projects`, `services.grants`, `datastore.populations`).

Returned as plain JSON data (names, not ids, except the numbers people act on: membership
and grant numbers), so the page and the API show the same thing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from labgate.errors import NotFound
from labgate.model import Dataset, Grant, Membership, Person, Population, Project
from labgate.policy.grants import effective_grants
from labgate.policy.lifecycle import ProjectState, project_state
from labgate.policy.manager_access import ExtractPlace
from labgate.policy.minimisation import minimisation_report, under_use_report
from labgate.policy.staff import not_found
from labgate.services.facts import grant_facts, project_facts, project_grants
from labgate.services.steward_views import grant_view


@dataclass(frozen=True)
class ProjectPlace:
    """Where a project sits: what the access decisions of `policy.manager_access` read."""

    code: str
    scheme: str
    parent: str | None


def project_place(session: Session, code: str) -> ProjectPlace | None:
    """The project's scheme and main project, or None when there is no such project."""
    project = session.scalar(select(Project).where(Project.code == code))
    return None if project is None else _place_of(session, project.id)


def _place_of(session: Session, project_id: int) -> ProjectPlace:
    """The place of a project a row refers to (the foreign key guarantees it exists)."""
    project = session.get(Project, project_id)
    assert project is not None
    parent = session.get(Project, project.parent_id) if project.parent_id else None
    return ProjectPlace(project.code, project.scheme, parent.code if parent else None)


def membership_place(session: Session, membership_id: int) -> tuple[ProjectPlace, str] | None:
    """The project of a membership and the membership's role, or None when there is none."""
    row = session.get(Membership, membership_id)
    return None if row is None else (_place_of(session, row.project_id), row.role)


def extract_place(session: Session, grant_id: int) -> ExtractPlace | None:
    """Where a grant sits (its project's place) and whether it was withdrawn, or None when
    there is no such grant."""
    grant = session.get(Grant, grant_id)
    if grant is None:
        return None
    place = _place_of(session, grant.project_id)
    return ExtractPlace(place.code, place.scheme, place.parent, grant.withdrawn_at is not None)


def _pdb(session: Session, code: str) -> Project:
    project = session.scalar(select(Project).where(Project.code == code))
    if project is None:  # the caller checked the policy first: this is a race with deletion
        raise NotFound(not_found("project").message, reason="not-found")
    return project


def _subprojects(session: Session, pdb: Project) -> list[Project]:
    query = select(Project).where(Project.parent_id == pdb.id).order_by(Project.code)
    return list(session.scalars(query))


def _state(session: Session, p: Project, now: dt.datetime) -> str:
    state: ProjectState = project_state(project_facts(session, p), now)
    return state.value


def _grants(session: Session, project: Project) -> list[dict[str, Any]]:
    rows = session.scalars(select(Grant).where(Grant.project_id == project.id).order_by(Grant.id))
    return [grant_view(session, g) for g in rows]


def _members(session: Session, project: Project, today: dt.date) -> list[dict[str, Any]]:
    query = (
        select(Membership, Person.username, Person.full_name)
        .join(Person, Membership.person_id == Person.id)
        .where(Membership.project_id == project.id)
        .order_by(Membership.id)
    )
    return [
        {
            "id": m.id,
            "person": username,
            "full_name": full_name,
            "role": m.role,
            "valid_from": m.valid_from,
            "valid_until": m.valid_until,
            "ended_at": m.ended_at,
            "active": m.ended_at is None and m.valid_from <= today < m.valid_until,
        }
        for m, username, full_name in session.execute(query)
    ]


def _summary(session: Session, p: Project, now: dt.datetime) -> dict[str, Any]:
    return {
        "code": p.code,
        "title": p.title,
        "scheme": p.scheme,
        "state": _state(session, p, now),
        "starts_on": p.starts_on,
        "access_ends_on": p.access_ends_on,
    }


def managed_databases(
    session: Session, codes: Iterable[str], now: dt.datetime
) -> list[dict[str, Any]]:
    """The project databases named by `codes` (the person's `staff.managed`), by code."""
    out = []
    for code in sorted(codes):
        pdb = session.scalar(select(Project).where(Project.code == code))
        if pdb is not None:
            view = _summary(session, pdb, now)
            view["subprojects"] = [p.code for p in _subprojects(session, pdb)]
            out.append(view)
    return out


def populations(session: Session, pdb: Project) -> list[dict[str, Any]]:
    query = select(Population).where(Population.project_id == pdb.id).order_by(Population.name)
    return [
        {
            "name": p.name,
            "description": p.description,
            "definition": p.definition,
            "size": p.size,
            "created_by": p.created_by,
            "created_at": p.created_at,
        }
        for p in session.scalars(query)
    ]


def database_detail(session: Session, code: str, now: dt.datetime) -> dict[str, Any]:
    """One project database: what it holds, its sub-projects (members, extracts), populations."""
    pdb = _pdb(session, code)
    view = _summary(session, pdb, now)
    view["holds"] = [g for g in _grants(session, pdb) if g["in_force"]]
    view["populations"] = populations(session, pdb)
    view["subprojects"] = [
        {
            **_summary(session, sub, now),
            "members": _members(session, sub, now.date()),
            "extracts": _grants(session, sub),
        }
        for sub in _subprojects(session, pdb)
    ]
    view["warnings"] = database_warnings(session, code, now)
    return view


def database_warnings(
    session: Session, code: str, now: dt.datetime, min_uses: int | None = None
) -> dict[str, Any]:
    """PROJ-6 and PROJ-7 for one project database, as `labgate data minimisation` reports."""
    pdb = _pdb(session, code)
    subs = _subprojects(session, pdb)
    facts = project_facts(session, pdb)
    sub_facts = [project_facts(session, p) for p in subs]
    grants = [g for p in [pdb, *subs] for g in project_grants(session, p.id)]
    flags = (
        minimisation_report(facts, sub_facts, grants, now)
        if min_uses is None
        else minimisation_report(facts, sub_facts, grants, now, min_uses)
    )
    codes = {row.id: row.code for row in session.execute(select(Dataset.id, Dataset.code))}
    under = under_use_report(facts, sub_facts, now)
    return {
        "minimisation": [
            {"dataset": codes[f.dataset_id], "used_by": f.used_by, "message": f.message}
            for f in flags
        ],
        "under_use": {
            "active_subprojects": under.active_subprojects,
            "threshold": under.threshold,
            "under_used": under.under_used,
            "message": under.message,
        },
    }


def held_datasets(session: Session, code: str) -> list[dict[str, Any]]:
    """What the project database holds per dataset (variables and years in force), for the
    extract form's pickers: a sub-project can be granted at most this (PROJ-5)."""
    pdb = _pdb(session, code)
    grants = session.scalars(select(Grant).where(Grant.project_id == pdb.id)).all()
    in_force = {g.id for g in effective_grants(grant_facts(g) for g in grants)}
    held: dict[str, tuple[str, set[str], set[int]]] = {}
    for g in grants:
        if g.id not in in_force:
            continue
        _title, variables, years = held.setdefault(g.dataset.code, (g.dataset.title, set(), set()))
        variables |= {v.variable.name for v in g.variables}
        years |= {y.year for y in g.years}
    return [
        {"dataset": d, "title": t, "variables": sorted(v), "years": sorted(y)}
        for d, (t, v, y) in sorted(held.items())
    ]
