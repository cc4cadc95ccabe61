"""The facts policy decides on: plain frozen values, built from the database by the
enforcement points (services, hub, enforcer). No SQLAlchemy or JupyterHub in here.

Periods are half-open: [valid_from, valid_until). Dates are calendar days (UTC); an
access period ending on day D means access until the start of D.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field


@dataclass(frozen=True)
class InstitutionAuthorisationFacts:
    scheme: str  # researcher | authority | project_database
    valid_from: dt.date
    valid_until: dt.date
    security_policy_ref: str
    ended_at: dt.datetime | None = None


@dataclass(frozen=True)
class InstitutionFacts:
    id: int
    code: str
    country: str  # ISO 3166-1 alpha-2
    authorisations: tuple[InstitutionAuthorisationFacts, ...] = ()
    foreign_exception: str | None = None
    requires_second_factor: bool = False
    #: Codes of project databases this institution owns that are not deleted (INST-2).
    project_database_count: int = 0


@dataclass(frozen=True)
class AuthorisationFacts:
    """One entry of the authorisation register (AUTH-1)."""

    id: int
    valid_from: dt.datetime
    valid_until: dt.datetime
    ended_at: dt.datetime | None = None


@dataclass(frozen=True)
class PersonFacts:
    id: int
    username: str
    institution_id: int
    authorisations: tuple[AuthorisationFacts, ...] = ()


@dataclass(frozen=True)
class MembershipFacts:
    id: int
    project_id: int
    person_id: int
    role: str  # researcher | pdb_manager
    valid_from: dt.date
    valid_until: dt.date
    ended_at: dt.datetime | None = None


@dataclass(frozen=True)
class ProjectFacts:
    id: int
    code: str
    scheme: str  # researcher | authority | project_database | sub_project
    owner_institution_id: int
    starts_on: dt.date
    access_ends_on: dt.date
    deletion_deadline: dt.date
    created_at: dt.datetime
    parent_id: int | None = None
    purpose: str = ""
    legal_basis_art6: str = ""
    legal_basis_art9: str | None = None
    dpia_reference: str | None = None
    dpia_not_needed_reason: str | None = None
    expired_at: dt.datetime | None = None
    deleted_at: dt.datetime | None = None
    memberships: tuple[MembershipFacts, ...] = ()


@dataclass(frozen=True)
class VariableFacts:
    id: int
    name: str
    is_identifier: bool = False
    is_year: bool = False
    is_identifying: bool = False
    is_protection_marker: bool = False


@dataclass(frozen=True)
class DatasetFacts:
    id: int
    code: str
    variables: tuple[VariableFacts, ...] = ()
    years: frozenset[int] = frozenset()
    anonymous: bool = False


@dataclass(frozen=True)
class GrantFacts:
    """Data held by a project: a dataset, some variable ids, some years."""

    id: int
    project_id: int
    dataset_id: int
    variable_ids: frozenset[int] = field(default_factory=frozenset)
    years: frozenset[int] = field(default_factory=frozenset)
    population_id: int | None = None
    justification: str | None = None
    withdrawn_at: dt.datetime | None = None


@dataclass(frozen=True)
class GrantRequest:
    """A proposed grant, before it is written (validated by `grants.validate_grant`)."""

    project_id: int
    dataset_id: int
    variable_ids: frozenset[int]
    years: frozenset[int]
    population_id: int | None = None
    justification: str | None = None
