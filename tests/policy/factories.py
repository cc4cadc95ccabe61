"""Small builders of policy facts with sensible defaults, for literal test tables."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from typing import Any

from labgate.policy.facts import (
    AuthorisationFacts,
    DatasetFacts,
    GrantFacts,
    GrantRequest,
    InstitutionAuthorisationFacts,
    InstitutionFacts,
    MembershipFacts,
    PersonFacts,
    ProjectFacts,
    VariableFacts,
)

UTC = dt.UTC
NOW = dt.datetime(2026, 6, 15, 12, 0, tzinfo=UTC)
TODAY = NOW.date()


def at(day: str, hour: int = 0) -> dt.datetime:
    return dt.datetime.combine(dt.date.fromisoformat(day), dt.time(hour), UTC)


def inst_auth(
    scheme: str = "researcher",
    start: str = "2026-01-01",
    end: str = "2029-01-01",
    ref: str = "ISMS-1",
    ended_at: dt.datetime | None = None,
) -> InstitutionAuthorisationFacts:
    return InstitutionAuthorisationFacts(
        scheme, dt.date.fromisoformat(start), dt.date.fromisoformat(end), ref, ended_at
    )


def institution(**kw: Any) -> InstitutionFacts:
    base = InstitutionFacts(
        id=1,
        code="au",
        country="DK",
        authorisations=tuple(inst_auth(s) for s in ("researcher", "authority", "project_database")),
    )
    return replace(base, **kw)


def authorisation(
    start: str = "2026-01-01", end: str = "2027-01-01", **kw: Any
) -> AuthorisationFacts:
    return AuthorisationFacts(id=kw.pop("id", 1), valid_from=at(start), valid_until=at(end), **kw)


def person(pid: int = 10, authorised: bool = True, **kw: Any) -> PersonFacts:
    auths = (authorisation(),) if authorised else ()
    return replace(
        PersonFacts(id=pid, username=f"user{pid}", institution_id=1, authorisations=auths), **kw
    )


def membership(
    person_id: int = 10, project_id: int = 100, role: str = "researcher", **kw: Any
) -> MembershipFacts:
    return MembershipFacts(
        id=kw.pop("id", person_id * 1000 + project_id),
        project_id=project_id,
        person_id=person_id,
        role=role,
        valid_from=kw.pop("valid_from", dt.date(2026, 1, 1)),
        valid_until=kw.pop("valid_until", dt.date(2027, 1, 1)),
        **kw,
    )


def project(pid: int = 100, scheme: str = "researcher", **kw: Any) -> ProjectFacts:
    base = ProjectFacts(
        id=pid,
        code=f"p{pid}",
        scheme=scheme,
        owner_institution_id=1,
        starts_on=dt.date(2026, 1, 1),
        access_ends_on=dt.date(2027, 1, 1),
        deletion_deadline=dt.date(2027, 6, 1),
        created_at=at("2026-01-01"),
        purpose="Income mobility.",
        legal_basis_art6="6(1)(e)",
        dpia_reference="DPIA-1",
    )
    return replace(base, **kw)


VARIABLES = (
    VariableFacts(1, "pnr", is_identifier=True),
    VariableFacts(2, "year", is_year=True),
    VariableFacts(3, "income"),
    VariableFacts(4, "postcode", is_identifying=True),
    VariableFacts(5, "protected", is_protection_marker=True),
)


def dataset(**kw: Any) -> DatasetFacts:
    return replace(
        DatasetFacts(id=7, code="ind", variables=VARIABLES, years=frozenset(range(2018, 2024))),
        **kw,
    )


def grant(
    gid: int = 1,
    project_id: int = 100,
    variables: set[int] | None = None,
    years: set[int] | None = None,
    **kw: Any,
) -> GrantFacts:
    return GrantFacts(
        id=gid,
        project_id=project_id,
        dataset_id=kw.pop("dataset_id", 7),
        variable_ids=frozenset(variables if variables is not None else {1, 2, 3}),
        years=frozenset(years if years is not None else {2020, 2021}),
        **kw,
    )


def request(
    project_id: int = 100,
    variables: set[int] | None = None,
    years: set[int] | None = None,
    **kw: Any,
) -> GrantRequest:
    return GrantRequest(
        project_id=project_id,
        dataset_id=kw.pop("dataset_id", 7),
        variable_ids=frozenset(variables if variables is not None else {1, 3}),
        years=frozenset(years if years is not None else {2020}),
        **kw,
    )
