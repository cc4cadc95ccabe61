"""Warnings of an end of access (PROJ-8) and overdue quarterly controls (LOG-5).

The enforcer records each notice once, as an audit event keyed by the notice's occasion
(`policy.notices`); the researcher's page, the spawn form and the security officer's page
read the same decisions through `warnings_for` and `overdue_controls`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from labgate.db import Database
from labgate.enforcer.gather import enforcer_actor, institution_code
from labgate.enforcer.ledger import record_once
from labgate.model import Institution, Membership, Person, Project, Review, RoleAssignment
from labgate.policy.notices import (
    DEFAULT_WARNING_DAYS,
    Notice,
    end_of_access_warning,
    review_overdue_notice,
    warning_recipients,
)
from labgate.policy.workspaces import active_membership
from labgate.services.facts import person_facts, project_facts
from labgate.vocabulary import ReviewKind, StaffRole


@dataclass(frozen=True)
class ProjectNotice:
    project: str
    institution: str
    notice: Notice
    recipients: tuple[str, ...]


@dataclass(frozen=True)
class InstitutionNotice:
    institution: str
    notice: Notice
    recipients: tuple[str, ...]


def _usernames(session: Session, ids: tuple[int, ...]) -> tuple[str, ...]:
    if not ids:
        return ()
    return tuple(
        session.scalars(select(Person.username).where(Person.id.in_(ids)).order_by(Person.username))
    )


def end_of_access_warnings(
    session: Session, now: dt.datetime, days: int = DEFAULT_WARNING_DAYS
) -> list[ProjectNotice]:
    found = []
    for project in session.scalars(
        select(Project).where(Project.deleted_at.is_(None)).order_by(Project.code)
    ):
        facts = project_facts(session, project)
        notice = end_of_access_warning(facts, now, days)
        if notice is not None:
            found.append(
                ProjectNotice(
                    project.code,
                    institution_code(session, project.owner_institution_id),
                    notice,
                    _usernames(session, warning_recipients(facts, now.date())),
                )
            )
    return found


def warnings_for(
    session: Session, person: Person, now: dt.datetime, days: int = DEFAULT_WARNING_DAYS
) -> list[Notice]:
    """The end-of-access warnings a person sees on their page and in the spawn form: one
    for each project they are a current member of whose access ends within `days`."""
    projects = session.scalars(
        select(Project)
        .join(Membership, Membership.project_id == Project.id)
        .where(Membership.person_id == person.id, Membership.ended_at.is_(None))
        .distinct()
        .order_by(Project.code)
    )
    who = person_facts(session, person)
    notices = []
    for project in projects:
        facts = project_facts(session, project)
        member = active_membership(who, facts, now.date()) is not None
        notice = end_of_access_warning(facts, now, days) if member else None
        if notice is not None:
            notices.append(notice)
    return notices


def _security_officers(session: Session, institution_id: int) -> tuple[str, ...]:
    return tuple(
        session.scalars(
            select(Person.username)
            .join(RoleAssignment, RoleAssignment.person_id == Person.id)
            .where(
                RoleAssignment.role == StaffRole.SECURITY_OFFICER.value,
                RoleAssignment.institution_id == institution_id,
                RoleAssignment.ended_at.is_(None),
            )
            .order_by(Person.username)
        )
    )


def overdue_controls(session: Session, now: dt.datetime) -> list[InstitutionNotice]:
    """Every institution whose quarterly control is overdue (LOG-5). The control runs from
    the institution's registration until its first sign-off, then from sign-off to
    sign-off."""
    found = []
    for inst in session.scalars(select(Institution).order_by(Institution.code)):
        last = session.scalar(
            select(func.max(Review.signed_off_at)).where(
                Review.institution_id == inst.id, Review.kind == ReviewKind.QUARTERLY.value
            )
        )
        notice = review_overdue_notice(last, inst.created_at, now)
        if notice is not None:
            found.append(InstitutionNotice(inst.code, notice, _security_officers(session, inst.id)))
    return found


def record_notices(db: Database, now: dt.datetime, days: int = DEFAULT_WARNING_DAYS) -> int:
    """Record each due notice once; returns how many were recorded by this call."""
    with db.read_session() as session:
        warnings = end_of_access_warnings(session, now, days)
        overdue = overdue_controls(session, now)
    recorded = 0
    for w in warnings:
        with db.session() as session:
            recorded += record_once(
                session, enforcer_actor(w.institution), "enforcer.warn", "project", w.project,
                w.notice.key,
                detail={
                    "reason": w.notice.reason,
                    "access_ends_on": w.notice.on.isoformat(),
                    "recipients": list(w.recipients),
                    "message": w.notice.message,
                },
            )  # fmt: skip
    for o in overdue:
        with db.session() as session:
            recorded += record_once(
                session, enforcer_actor(o.institution), "review.overdue", "institution",
                o.institution, o.notice.key,
                detail={
                    "reason": o.notice.reason,
                    "due": o.notice.on.isoformat(),
                    "recipients": list(o.recipients),
                    "message": o.notice.message,
                },
            )  # fmt: skip
    return recorded
