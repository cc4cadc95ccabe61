"""Projects, project databases, sub-projects, their terms and memberships (PROJ-1..4, PROJ-8)."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Collection

from sqlalchemy import select
from sqlalchemy.orm import Session

from labgate import clock
from labgate.audit.log import Actor, record_as
from labgate.errors import Conflict, InvalidInput
from labgate.model import Grant, Membership, Project, ProjectTermChange
from labgate.model.enums import Scheme
from labgate.names import validate_code
from labgate.policy.facts import ProjectFacts
from labgate.policy.identity import may_own_project_database
from labgate.policy.memberships import memberships_carried
from labgate.policy.projects import (
    default_access_end,
    may_end_membership,
    may_expire,
    validate_extension,
    validate_membership,
    validate_project,
    validate_renewal,
)
from labgate.services import lookup
from labgate.services.facts import (
    institution_facts,
    membership_facts,
    person_facts,
    project_facts,
)


def create_project(
    session: Session,
    actor: Actor,
    *,
    code: str,
    title: str,
    scheme: str,
    owner_code: str,
    purpose: str,
    legal_basis_art6: str,
    starts_on: dt.date,
    access_ends_on: dt.date | None = None,
    deletion_deadline: dt.date | None = None,
    parent_code: str | None = None,
    legal_basis_art9: str | None = None,
    dpia_reference: str | None = None,
    dpia_not_needed_reason: str | None = None,
    case_reference: str | None = None,
) -> Project:
    validate_code(code, "project")
    if not title.strip():
        raise InvalidInput("A project needs a title.", reason="missing-title")
    owner = lookup.institution(session, owner_code)
    parent = lookup.project(session, parent_code) if parent_code else None
    if session.scalar(select(Project.id).where(Project.code == code)) is not None:
        raise Conflict(f"A project with the code '{code}' already exists.", reason="duplicate-code")
    if access_ends_on is None:
        try:
            access_ends_on = default_access_end(scheme, starts_on)
        except ValueError:
            access_ends_on = None
        if access_ends_on is None:
            raise InvalidInput(
                "This kind of project has no standard term: give its end of access "
                "with --access-ends (YYYY-MM-DD).",
                reason="missing-access-end",
            )
    # Conservative default: data are deleted the day access ends unless a later
    # deadline was agreed.
    deadline = deletion_deadline or access_ends_on
    now = clock.now()
    facts = ProjectFacts(
        id=0,
        code=code,
        scheme=scheme,
        owner_institution_id=owner.id,
        starts_on=starts_on,
        access_ends_on=access_ends_on,
        deletion_deadline=deadline,
        created_at=now,
        parent_id=parent.id if parent else None,
        purpose=purpose.strip(),
        legal_basis_art6=legal_basis_art6.strip(),
        legal_basis_art9=legal_basis_art9,
        dpia_reference=dpia_reference,
        dpia_not_needed_reason=dpia_not_needed_reason,
    )
    owner_facts = institution_facts(session, owner)
    validate_project(
        facts, project_facts(session, parent) if parent else None, owner_facts, now.date()
    ).check(InvalidInput)
    if scheme == Scheme.PROJECT_DATABASE.value:
        may_own_project_database(owner_facts).check(Conflict)
    project = Project(
        code=code,
        title=title.strip(),
        scheme=scheme,
        owner_institution_id=owner.id,
        parent_id=facts.parent_id,
        purpose=facts.purpose,
        legal_basis_art6=facts.legal_basis_art6,
        legal_basis_art9=legal_basis_art9,
        dpia_reference=dpia_reference,
        dpia_not_needed_reason=dpia_not_needed_reason,
        case_reference=case_reference,
        starts_on=starts_on,
        access_ends_on=access_ends_on,
        deletion_deadline=deadline,
        created_at=now,
    )
    session.add(project)
    session.flush()
    record_as(
        session,
        actor,
        "project.create",
        "project",
        code,
        detail={
            "scheme": scheme,
            "owner": owner.code,
            "parent": parent_code or "",
            "starts_on": starts_on.isoformat(),
            "access_ends_on": access_ends_on.isoformat(),
            "deletion_deadline": deadline.isoformat(),
        },
    )
    return project


def _change_term(
    session: Session,
    actor: Actor,
    project: Project,
    kind: str,
    new_end: dt.date,
    review: dict[str, list[int]] | None = None,
    case_reference: str | None = None,
) -> ProjectTermChange:
    # The deletion deadline moves with the end of access, keeping the agreed gap.
    gap = project.deletion_deadline - project.access_ends_on
    change = ProjectTermChange(
        project_id=project.id,
        kind=kind,
        old_access_ends_on=project.access_ends_on,
        new_access_ends_on=new_end,
        old_deletion_deadline=project.deletion_deadline,
        new_deletion_deadline=new_end + gap,
        grant_review=json.dumps(review, sort_keys=True) if review is not None else None,
        decided_by=actor.name,
        decided_at=clock.now(),
        case_reference=case_reference,
    )
    carried = memberships_carried(
        project_facts(session, project).memberships, change.old_access_ends_on
    )
    project.access_ends_on = change.new_access_ends_on
    project.deletion_deadline = change.new_deletion_deadline
    session.add(change)
    if carried:
        for m in session.scalars(select(Membership).where(Membership.id.in_(carried))):
            m.valid_until = new_end
        record_as(
            session,
            actor,
            "membership.carry",
            "project",
            project.code,
            detail={
                "memberships": carried,
                "old_valid_until": change.old_access_ends_on.isoformat(),
                "valid_until": new_end.isoformat(),
            },
        )
    session.flush()
    return change


def renew_project(
    session: Session,
    actor: Actor,
    *,
    code: str,
    new_access_end: dt.date,
    keep: Collection[int],
    remove: Collection[int],
    case_reference: str | None = None,
) -> ProjectTermChange:
    """PROJ-2: renew an authority project for another term, reviewing every grant."""
    project = lookup.project(session, code)
    now = clock.now()
    current = session.scalars(
        select(Grant).where(Grant.project_id == project.id, Grant.withdrawn_at.is_(None))
    ).all()
    validate_renewal(
        project_facts(session, project),
        new_access_end,
        [g.id for g in current],
        keep,
        remove,
        now.date(),
    ).check(InvalidInput)
    for grant in current:
        if grant.id in set(remove):
            grant.withdrawn_at = now
            grant.withdrawn_by = actor.name
            record_as(
                session,
                actor,
                "grant.withdraw",
                "project",
                code,
                detail={"grant": grant.id, "why": "not kept at renewal"},
            )
    review = {"keep": sorted(keep), "remove": sorted(remove)}
    change = _change_term(session, actor, project, "renew", new_access_end, review, case_reference)
    record_as(
        session,
        actor,
        "project.renew",
        "project",
        code,
        detail={"new_access_ends_on": new_access_end.isoformat(), **review},
    )
    return change


def extend_project(
    session: Session,
    actor: Actor,
    *,
    code: str,
    new_access_end: dt.date,
    case_reference: str | None = None,
) -> ProjectTermChange:
    """PROJ-3: an explicit extension of a project database's term."""
    project = lookup.project(session, code)
    validate_extension(project_facts(session, project), new_access_end, clock.today()).check(
        InvalidInput
    )
    change = _change_term(
        session, actor, project, "extend", new_access_end, case_reference=case_reference
    )
    record_as(
        session,
        actor,
        "project.extend",
        "project",
        code,
        detail={"new_access_ends_on": new_access_end.isoformat()},
    )
    return change


def expire_project(session: Session, actor: Actor, *, code: str, reason: str) -> Project:
    """End a project's access now (PROJ-8): workspaces stop, grants freeze."""
    project = lookup.project(session, code)
    if not reason.strip():
        raise InvalidInput("Say why the project is expired early.", reason="missing-reason")
    now = clock.now()
    may_expire(project_facts(session, project), now).check(Conflict)
    project.expired_at = now
    session.flush()
    record_as(session, actor, "project.expire", "project", code, detail={"reason": reason.strip()})
    return project


def add_membership(
    session: Session,
    actor: Actor,
    *,
    code: str,
    username: str,
    role: str,
    valid_from: dt.date | None = None,
    valid_until: dt.date | None = None,
) -> Membership:
    project = lookup.project(session, code)
    person = lookup.person(session, username)
    start = valid_from or max(project.starts_on, clock.today())
    end = valid_until or project.access_ends_on
    validate_membership(
        project_facts(session, project),
        person_facts(session, person),
        institution_facts(session, person.institution),
        role,
        start,
        end,
        clock.today(),
    ).check(InvalidInput)
    row = Membership(
        project_id=project.id,
        person_id=person.id,
        role=role,
        valid_from=start,
        valid_until=end,
        created_at=clock.now(),
    )
    session.add(row)
    session.flush()
    record_as(
        session,
        actor,
        "membership.add",
        "project",
        code,
        detail={
            "person": username,
            "role": role,
            "membership": row.id,
            "valid_from": start.isoformat(),
            "valid_until": end.isoformat(),
        },
    )
    return row


def end_membership(session: Session, actor: Actor, *, membership_id: int) -> Membership:
    row = lookup.membership(session, membership_id)
    project = lookup.project_by_id(session, row.project_id)
    now = clock.now()
    may_end_membership(project_facts(session, project), membership_facts(row), now).check(Conflict)
    row.ended_at = now
    session.flush()
    person = lookup.person_by_id(session, row.person_id)
    record_as(
        session,
        actor,
        "membership.end",
        "project",
        project.code,
        detail={"person": person.username, "membership": row.id},
    )
    return row
