"""Build the demo world through labgate's own services: the same paths an admin takes."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import select

from labgate import clock
from labgate.audit.log import Actor
from labgate.datastore import synthetic
from labgate.datastore.layout import DataStore
from labgate.datastore.materialise import materialise_grant
from labgate.datastore.registry import register_dataset
from labgate.db import Database
from labgate.model import Grant, TermsVersion
from labgate.services import grants, institutions, people, projects
from labgate.services.datasets import VariableSpec

SETUP = Actor(name="demo-setup", kind="system", institution="")

REGISTERS: dict[str, tuple[str, str, tuple[VariableSpec, ...]]] = {
    "bef": (
        "population",
        "Population register (synthetic)",
        (
            VariableSpec("pnr", "string", is_identifier=True),
            VariableSpec("year", "int", is_year=True),
            VariableSpec("birth_date", "date", is_identifying=True),
            VariableSpec("sex", "int"),
            VariableSpec("kom", "int", label="Municipality code"),
            VariableSpec("postcode", "string", is_identifying=True),
            VariableSpec("protected", "bool", is_protection_marker=True),
        ),
    ),
    "ind": (
        "income",
        "Income register (synthetic)",
        (
            VariableSpec("pnr", "string", is_identifier=True),
            VariableSpec("year", "int", is_year=True),
            VariableSpec("wage", "float"),
            VariableSpec("transfers", "float"),
            VariableSpec("tax", "float"),
            VariableSpec("disposable", "float"),
            VariableSpec("pension_paid", "int"),
        ),
    ),
    "udda": (
        "education",
        "Education register (synthetic)",
        (
            VariableSpec("pnr", "string", is_identifier=True),
            VariableSpec("year", "int", is_year=True),
            VariableSpec("level", "int", label="Highest completed level"),
        ),
    ),
}

TERMS = (
    "I will use the data only for the purpose of the project I open, never for private "
    "purposes; I will not try to identify any person or business; I will lock my screen "
    "whenever I leave it; and I will take results out only through an export request."
)


@dataclass(frozen=True)
class DemoPerson:
    username: str
    full_name: str
    institution: str
    description: str
    staff_roles: tuple[tuple[str, str | None], ...] = ()
    memberships: tuple[tuple[str, str], ...] = ()


@dataclass
class DemoWorld:
    people: list[DemoPerson] = field(default_factory=list)
    projects: list[str] = field(default_factory=list)
    grants: list[int] = field(default_factory=list)


PEOPLE = [
    DemoPerson("admin", "Ada Admin", "uni", "administrator", (("admin", None),)),
    DemoPerson("steward", "Stig Steward", "uni", "data steward", (("data_steward", None),)),
    DemoPerson("officer", "Sofie Officer", "uni", "security officer of uni",
               (("security_officer", "uni"),)),
    DemoPerson("manager1", "Mette Manager", "uni", "project-database manager",
               memberships=(("health-pdb", "pdb_manager"),)),
    DemoPerson("manager2", "Mads Manager", "uni", "project-database manager",
               memberships=(("health-pdb", "pdb_manager"),)),
    DemoPerson("rita", "Rita Researcher", "uni", "researcher in diabetes and mobility",
               memberships=(("diabetes", "researcher"), ("mobility", "researcher"))),
    DemoPerson("sam", "Sam Researcher", "uni", "researcher in heart",
               memberships=(("heart", "researcher"),)),
    DemoPerson("ola", "Ola Analyst", "ministry", "analyst on the reform project",
               memberships=(("reform", "researcher"),)),
    # A second project database and a second institution's officer: what the first may
    # not see (a manager of one project database, an officer of one institution).
    DemoPerson("manager3", "Maja Manager", "ministry", "manager of the labour project database",
               memberships=(("labour-pdb", "pdb_manager"),)),
    DemoPerson("officer2", "Olav Officer", "ministry", "security officer of the ministry",
               (("security_officer", "ministry"),)),
]  # fmt: skip


def _institutions(db: Database, today: dt.date) -> None:
    until = today.replace(year=today.year + 3)
    with db.session() as s:
        institutions.create_institution(s, SETUP, code="uni", name="Demo University", country="DK")
        institutions.create_institution(
            s, SETUP, code="ministry", name="Ministry of Demonstration, analysis unit",
            country="DK",
        )  # fmt: skip
        schemes = (("uni", "researcher"), ("uni", "project_database"),
                   ("ministry", "authority"), ("ministry", "project_database"))  # fmt: skip
        for code, scheme in schemes:
            institutions.authorise_institution(
                s, SETUP, code=code, scheme=scheme, valid_from=today - dt.timedelta(days=30),
                valid_until=until, security_policy_ref=f"{code.upper()}-ISMS-2026",
            )  # fmt: skip


def _people(db: Database, now: dt.datetime) -> None:
    with db.session() as s:
        s.add(TermsVersion(version="2026.1", text=TERMS, published_at=now))
        for p in PEOPLE:
            people.create_person(
                s, SETUP, username=p.username, full_name=p.full_name, institution_code=p.institution
            )
            for role, inst in p.staff_roles:
                people.assign_role(s, SETUP, username=p.username, role=role, institution_code=inst)
            people.grant_authorisation(
                s, SETUP, username=p.username, valid_from=now - dt.timedelta(days=1),
                valid_until=now + dt.timedelta(days=365), case_reference="DEMO-AUTH",
            )  # fmt: skip


def _projects(db: Database, today: dt.date) -> None:
    common: dict[str, Any] = {
        "legal_basis_art6": "6(1)(e)",
        "starts_on": today - dt.timedelta(days=1),
    }
    year = today.replace(year=today.year + 1)
    with db.session() as s:
        projects.create_project(
            s, SETUP, code="health-pdb", title="Health project database", owner_code="uni",
            scheme="project_database", purpose="Populations and extracts for health studies.",
            legal_basis_art9="9(2)(j)", dpia_reference="DPIA-2026-04", **common,
        )  # fmt: skip
        for code, title in (
            ("diabetes", "Diabetes and employment"),
            ("heart", "Heart disease and income"),
        ):
            projects.create_project(
                s, SETUP, code=code, title=title, owner_code="uni", scheme="sub_project",
                parent_code="health-pdb", purpose=title + ".", access_ends_on=year,
                dpia_reference="DPIA-2026-05", **common,
            )  # fmt: skip
        projects.create_project(
            s, SETUP, code="labour-pdb", title="Labour market project database",
            owner_code="ministry", scheme="project_database",
            purpose="Populations and extracts for labour market studies.",
            dpia_reference="DPIA-2026-07", **common,
        )  # fmt: skip
        projects.create_project(
            s, SETUP, code="mobility", title="Income mobility across generations",
            owner_code="uni", scheme="researcher", purpose="Study income mobility.",
            access_ends_on=year, dpia_reference="DPIA-2026-06", **common,
        )  # fmt: skip
        projects.create_project(
            s, SETUP, code="reform", title="Evaluation of the 2025 tax reform",
            owner_code="ministry", scheme="authority", purpose="Evaluate the tax reform.",
            dpia_not_needed_reason="Statistical analysis of pseudonymised data only.", **common,
        )  # fmt: skip
        for p in PEOPLE:
            for project_code, role in p.memberships:
                projects.add_membership(s, SETUP, code=project_code, username=p.username, role=role)


def _registers(
    db: Database, store: DataStore, workdir: Path, persons: int, years: list[int]
) -> None:
    for code, (kind, title, variables) in REGISTERS.items():
        path = workdir / f"{code}.parquet"
        synthetic.write_register(kind, path, persons=persons, years=years, seed=2026)
        register_dataset(
            db, store, SETUP, code=code, path=path, variables=variables, title=title,
            source="Synthetic demo data",
        )  # fmt: skip


GRANTS: list[tuple[str, str, str, str]] = [
    ("health-pdb", "bef", "pnr,year,sex,kom,protected", "2019-2023"),
    ("health-pdb", "ind", "pnr,year,wage,disposable", "2019-2023"),
    ("labour-pdb", "ind", "pnr,year,wage,transfers", "2019-2023"),
    ("diabetes", "bef", "pnr,year,sex,kom", "2021-2023"),
    ("diabetes", "ind", "pnr,year,wage", "2021-2023"),
    ("heart", "ind", "pnr,year,disposable", "2020-2023"),
    ("mobility", "ind", "pnr,year,wage,transfers,disposable", "2019-2023"),
    ("mobility", "udda", "pnr,year,level", "2019-2023"),
    ("reform", "ind", "pnr,year,tax,disposable", "2022-2023"),
]


def _years(spec: str) -> list[int]:
    first, last = (int(x) for x in spec.split("-"))
    return list(range(first, last + 1))


def build(db: Database, store: DataStore, workdir: Path, *, persons: int = 2000) -> DemoWorld:
    """Create the whole demo world in an empty, migrated database and data store."""
    now = clock.now()
    _institutions(db, now.date())
    _people(db, now)
    _projects(db, now.date())
    _registers(db, store, workdir, persons, list(range(2019, 2024)))
    world = DemoWorld(people=list(PEOPLE))
    with db.session() as s:
        for project_code, dataset_code, variables, years in GRANTS:
            grants.create_grant(
                s, SETUP, project_code=project_code, dataset_code=dataset_code,
                variables=variables.split(","), years=_years(years),
            )  # fmt: skip
        world.grants = list(s.scalars(select(Grant.id).order_by(Grant.id)))
    for grant_id in world.grants:
        materialise_grant(db, store, SETUP, grant_id)
    world.projects = ["health-pdb", "diabetes", "heart", "labour-pdb", "mobility", "reform"]
    return world
