"""Build policy facts from database rows: the one bridge between the ORM and policy."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from labgate.model import (
    Authorisation,
    Dataset,
    Grant,
    Institution,
    Membership,
    Person,
    Project,
)
from labgate.model.enums import Scheme
from labgate.policy.facts import (
    AuthorisationFacts,
    DatasetFacts,
    GrantFacts,
    InstitutionAuthorisationFacts,
    InstitutionFacts,
    MembershipFacts,
    PersonFacts,
    ProjectFacts,
    VariableFacts,
)


def institution_facts(session: Session, inst: Institution) -> InstitutionFacts:
    pdbs = session.scalar(
        select(func.count())
        .select_from(Project)
        .where(
            Project.owner_institution_id == inst.id,
            Project.scheme == Scheme.PROJECT_DATABASE.value,
            Project.deleted_at.is_(None),
        )
    )
    return InstitutionFacts(
        id=inst.id,
        code=inst.code,
        country=inst.country,
        authorisations=tuple(
            InstitutionAuthorisationFacts(
                scheme=a.scheme,
                valid_from=a.valid_from,
                valid_until=a.valid_until,
                security_policy_ref=a.security_policy_ref,
                ended_at=a.ended_at,
            )
            for a in inst.authorisations
        ),
        foreign_exception=inst.foreign_exception,
        requires_second_factor=inst.requires_second_factor,
        project_database_count=int(pdbs or 0),
    )


def authorisation_facts(a: Authorisation) -> AuthorisationFacts:
    return AuthorisationFacts(
        id=a.id, valid_from=a.valid_from, valid_until=a.valid_until, ended_at=a.ended_at
    )


def person_facts(session: Session, person: Person) -> PersonFacts:
    rows = session.scalars(
        select(Authorisation).where(Authorisation.person_id == person.id).order_by(Authorisation.id)
    )
    return PersonFacts(
        id=person.id,
        username=person.username,
        institution_id=person.institution_id,
        authorisations=tuple(authorisation_facts(a) for a in rows),
    )


def membership_facts(m: Membership) -> MembershipFacts:
    return MembershipFacts(
        id=m.id,
        project_id=m.project_id,
        person_id=m.person_id,
        role=m.role,
        valid_from=m.valid_from,
        valid_until=m.valid_until,
        ended_at=m.ended_at,
    )


def project_facts(session: Session, p: Project) -> ProjectFacts:
    members = session.scalars(
        select(Membership).where(Membership.project_id == p.id).order_by(Membership.id)
    )
    return ProjectFacts(
        id=p.id,
        code=p.code,
        scheme=p.scheme,
        owner_institution_id=p.owner_institution_id,
        starts_on=p.starts_on,
        access_ends_on=p.access_ends_on,
        deletion_deadline=p.deletion_deadline,
        created_at=p.created_at,
        parent_id=p.parent_id,
        purpose=p.purpose,
        legal_basis_art6=p.legal_basis_art6,
        legal_basis_art9=p.legal_basis_art9,
        dpia_reference=p.dpia_reference,
        dpia_not_needed_reason=p.dpia_not_needed_reason,
        expired_at=p.expired_at,
        deleted_at=p.deleted_at,
        memberships=tuple(membership_facts(m) for m in members),
    )


def dataset_facts(ds: Dataset) -> DatasetFacts:
    return DatasetFacts(
        id=ds.id,
        code=ds.code,
        variables=tuple(
            VariableFacts(
                id=v.id,
                name=v.name,
                is_identifier=v.is_identifier,
                is_year=v.is_year,
                is_identifying=v.is_identifying,
                is_protection_marker=v.is_protection_marker,
            )
            for v in ds.variables
        ),
        years=frozenset(y.year for y in ds.years),
        anonymous=ds.anonymous,
    )


def grant_facts(g: Grant) -> GrantFacts:
    return GrantFacts(
        id=g.id,
        project_id=g.project_id,
        dataset_id=g.dataset_id,
        variable_ids=frozenset(v.variable_id for v in g.variables),
        years=frozenset(y.year for y in g.years),
        population_id=g.population_id,
        justification=g.justification,
        withdrawn_at=g.withdrawn_at,
    )


def project_grants(session: Session, project_id: int) -> list[GrantFacts]:
    rows = session.scalars(select(Grant).where(Grant.project_id == project_id).order_by(Grant.id))
    return [grant_facts(g) for g in rows]
