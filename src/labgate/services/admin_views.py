"""What the admin's pages and API read (issue 5): institutions with their scheme
authorisations, people with the full history of their authorisation register, projects
with their grants, term changes and memberships. Read-only; the writes are
`services.institutions`, `services.people` and `services.projects`.

`reach` is the set of institution codes the admin may see (None: every institution), as
`policy.staff.institutions_for` answers; lists show nothing outside it. Everything is plain
JSON data, so the page and the API show the same thing.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Collection
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from labgate.errors import NotFound
from labgate.model import (
    Authorisation,
    Grant,
    Institution,
    Membership,
    Person,
    Project,
    ProjectTermChange,
)
from labgate.services import lookup
from labgate.services.steward_views import grant_view

Reach = Collection[str] | None


def _inside(code: str, reach: Reach) -> bool:
    return reach is None or code in reach


def institution_view(inst: Institution) -> dict[str, Any]:
    return {
        "code": inst.code,
        "name": inst.name,
        "country": inst.country,
        "requires_second_factor": inst.requires_second_factor,
        "idle_timeout_seconds": inst.idle_timeout_seconds,
        "foreign_exception": inst.foreign_exception,
        "authorisations": [
            {
                "id": a.id,
                "scheme": a.scheme,
                "valid_from": a.valid_from,
                "valid_until": a.valid_until,
                "security_policy_ref": a.security_policy_ref,
                "case_reference": a.case_reference,
                "ended_at": a.ended_at,
            }
            for a in inst.authorisations
        ],
    }


def list_institutions(session: Session, reach: Reach) -> list[dict[str, Any]]:
    found = session.scalars(select(Institution).order_by(Institution.code)).all()
    return [institution_view(i) for i in found if _inside(i.code, reach)]


def institution_detail(session: Session, code: str) -> dict[str, Any]:
    return institution_view(lookup.institution(session, code))


def institution_of_person(session: Session, username: str) -> str:
    """The person's institution code (NotFound for an unknown username)."""
    return lookup.person(session, username).institution.code


def institution_of_project(session: Session, code: str) -> str:
    """The owning institution's code (NotFound for an unknown project)."""
    project = lookup.project(session, code)
    return lookup.institution_by_id(session, project.owner_institution_id).code


def institution_of_authorisation(session: Session, authorisation_id: int) -> str:
    row = lookup.authorisation(session, authorisation_id)
    if row.person_id is None:  # a system client's entry: not on the admin's pages
        raise lookup_not_found("authorisation")
    return lookup.person_by_id(session, row.person_id).institution.code


def institution_of_membership(session: Session, membership_id: int) -> str:
    row = lookup.membership(session, membership_id)
    project = lookup.project_by_id(session, row.project_id)
    return lookup.institution_by_id(session, project.owner_institution_id).code


def lookup_not_found(noun: str) -> NotFound:
    return NotFound(f"There is no such {noun}.", reason=f"no-such-{noun}")


def authorisation_view(a: Authorisation, now: dt.datetime) -> dict[str, Any]:
    end = min(a.valid_until, a.ended_at) if a.ended_at else a.valid_until
    return {
        "id": a.id,
        "valid_from": a.valid_from,
        "valid_until": a.valid_until,
        "granted_by": a.granted_by,
        "case_reference": a.case_reference,
        "created_at": a.created_at,
        "ended_at": a.ended_at,
        "ended_by": a.ended_by,
        "end_reason": a.end_reason,
        "active": a.valid_from <= now < end,
    }


def person_view(p: Person) -> dict[str, Any]:
    return {
        "username": p.username,
        "full_name": p.full_name,
        "email": p.email,
        "institution": p.institution.code,
        # Whether an authenticator app is registered (AUTH-4); never the secret itself.
        "second_factor": p.totp_secret is not None,
        "second_factor_required": p.institution.requires_second_factor,
    }


def list_people(session: Session, reach: Reach) -> list[dict[str, Any]]:
    found = session.scalars(select(Person).order_by(Person.username)).all()
    return [person_view(p) for p in found if _inside(p.institution.code, reach)]


def person_detail(session: Session, username: str, now: dt.datetime) -> dict[str, Any]:
    """A person with every authorisation ever granted, ended ones included (AUTH-1)."""
    person = lookup.person(session, username)
    rows = session.scalars(
        select(Authorisation)
        .where(Authorisation.person_id == person.id)
        .order_by(Authorisation.valid_from, Authorisation.id)
    ).all()
    members = session.scalars(
        select(Membership).where(Membership.person_id == person.id).order_by(Membership.id)
    ).all()
    view = person_view(person)
    view["authorisations"] = [authorisation_view(a, now) for a in rows]
    view["memberships"] = [membership_view(session, m) for m in members]
    return view


def membership_view(session: Session, m: Membership) -> dict[str, Any]:
    return {
        "id": m.id,
        "project": lookup.project_by_id(session, m.project_id).code,
        "username": lookup.person_by_id(session, m.person_id).username,
        "role": m.role,
        "valid_from": m.valid_from,
        "valid_until": m.valid_until,
        "ended_at": m.ended_at,
    }


def project_view(session: Session, p: Project) -> dict[str, Any]:
    return {
        "code": p.code,
        "title": p.title,
        "scheme": p.scheme,
        "owner": lookup.institution_by_id(session, p.owner_institution_id).code,
        "parent": p.parent.code if p.parent else None,
        "purpose": p.purpose,
        "legal_basis_art6": p.legal_basis_art6,
        "legal_basis_art9": p.legal_basis_art9,
        "dpia_reference": p.dpia_reference,
        "dpia_not_needed_reason": p.dpia_not_needed_reason,
        "case_reference": p.case_reference,
        "starts_on": p.starts_on,
        "access_ends_on": p.access_ends_on,
        "deletion_deadline": p.deletion_deadline,
        "expired_at": p.expired_at,
    }


def list_projects(session: Session, reach: Reach) -> list[dict[str, Any]]:
    found = session.scalars(select(Project).order_by(Project.code)).all()
    views = [project_view(session, p) for p in found]
    return [v for v in views if _inside(v["owner"], reach)]


def project_detail(session: Session, code: str) -> dict[str, Any]:
    """A project with its grants in force (for the renewal review), its term changes and
    every membership, ended ones included."""
    project = lookup.project(session, code)
    view = project_view(session, project)
    grants = session.scalars(
        select(Grant)
        .where(Grant.project_id == project.id, Grant.withdrawn_at.is_(None))
        .order_by(Grant.id)
    ).all()
    view["grants"] = [_grant_line(session, g) for g in grants]
    changes = session.scalars(
        select(ProjectTermChange)
        .where(ProjectTermChange.project_id == project.id)
        .order_by(ProjectTermChange.id)
    ).all()
    view["term_changes"] = [
        {
            "kind": c.kind,
            "old_access_ends_on": c.old_access_ends_on,
            "new_access_ends_on": c.new_access_ends_on,
            "grant_review": json.loads(c.grant_review) if c.grant_review else None,
            "decided_by": c.decided_by,
            "decided_at": c.decided_at,
        }
        for c in changes
    ]
    members = session.scalars(
        select(Membership).where(Membership.project_id == project.id).order_by(Membership.id)
    ).all()
    view["memberships"] = [membership_view(session, m) for m in members]
    return view


def _grant_line(session: Session, g: Grant) -> dict[str, Any]:
    line = grant_view(session, g)
    return {
        "id": g.id,
        "dataset": line.get("dataset"),
        "variables": line.get("variables", []),
        "years": line.get("years", []),
    }
