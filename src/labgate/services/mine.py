"""What a researcher sees of their own projects: the researcher page and `GET api/me`."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from labgate.model import Grant, Membership, Person, Project
from labgate.policy.grants import effective_grants
from labgate.policy.workspaces import active_membership, usable_projects
from labgate.services.facts import (
    grant_facts,
    institution_facts,
    person_facts,
    project_facts,
)


def grant_summary(g: Grant) -> dict[str, Any]:
    """A grant as the pages and the API show it (names, not ids)."""
    return {
        "id": g.id,
        "dataset": g.dataset.code,
        "dataset_title": g.dataset.title,
        "variables": sorted(v.variable.name for v in g.variables),
        "years": sorted(y.year for y in g.years),
        "population_id": g.population_id,
        "justification": g.justification,
        "materialised": g.materialised_at is not None,
    }


def my_projects(session: Session, username: str, now: dt.datetime) -> list[dict[str, Any]]:
    """The projects this person may open now, with days left and what each holds (WS-1)."""
    person = session.scalar(select(Person).where(Person.username == username))
    if person is None:
        return []
    projects = session.scalars(
        select(Project)
        .join(Membership, Membership.project_id == Project.id)
        .where(Membership.person_id == person.id)
        .distinct()
    ).all()
    by_id = {p.id: p for p in projects}
    pfacts = person_facts(session, person)
    usable = usable_projects(
        pfacts, institution_facts(session, person.institution),
        [project_facts(session, p) for p in projects], now,
    )  # fmt: skip
    today = now.date()
    out = []
    for facts in usable:
        project = by_id[facts.id]
        membership = active_membership(pfacts, facts, today)
        grants = session.scalars(select(Grant).where(Grant.project_id == project.id)).all()
        in_force = {g.id for g in effective_grants(grant_facts(g) for g in grants)}
        out.append(
            {
                "code": project.code,
                "title": project.title,
                "scheme": project.scheme,
                "role": membership.role if membership else None,
                "access_ends_on": facts.access_ends_on,
                "days_left": (facts.access_ends_on - today).days,
                "grants": [grant_summary(g) for g in grants if g.id in in_force],
            }
        )
    return out
