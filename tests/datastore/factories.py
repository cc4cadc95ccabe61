"""A small world for data-store tests, built directly with the ORM (no CLI, no policy)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path

from sqlalchemy import select

from labgate import clock
from labgate.audit.log import Actor
from labgate.datastore.layout import DataStore
from labgate.datastore.registry import register_dataset
from labgate.datastore.synthetic import write_register
from labgate.db import Database
from labgate.model import Dataset, Grant, GrantVariable, GrantYear, Institution, Project
from labgate.services.datasets import VariableSpec

STEWARD = Actor(name="steward", kind="person", institution="dst")
YEARS = (2019, 2020, 2021)

POPULATION_VARIABLES = (
    VariableSpec("pnr", "string", is_identifier=True),
    VariableSpec("year", "int", is_year=True),
    VariableSpec("birth_date", "date", is_identifying=True),
    VariableSpec("sex", "int"),
    VariableSpec("kom", "int"),
    VariableSpec("postcode", "string", is_identifying=True),
    VariableSpec("protected", "bool", is_protection_marker=True),
)
INCOME_VARIABLES = (
    VariableSpec("pnr", "string", is_identifier=True),
    VariableSpec("year", "int", is_year=True),
    VariableSpec("wage", "float"),
    VariableSpec("transfers", "float"),
    VariableSpec("tax", "float"),
    VariableSpec("disposable", "float"),
    VariableSpec("pension_paid", "int"),
)


def institution(db: Database, code: str = "au") -> int:
    with db.session() as s:
        inst = Institution(code=code, name=code.upper(), country="DK", created_at=clock.now())
        s.add(inst)
        s.flush()
        return inst.id


def project(
    db: Database, code: str, *, institution_id: int, scheme: str = "researcher",
    parent: str | None = None,
) -> int:  # fmt: skip
    with db.session() as s:
        parent_id = s.scalar(select(Project.id).where(Project.code == parent)) if parent else None
        p = Project(
            code=code, title=code, scheme=scheme, owner_institution_id=institution_id,
            parent_id=parent_id, purpose="Testing the data store.", legal_basis_art6="6(1)(e)",
            dpia_reference="DPIA-1", starts_on=dt.date(2026, 1, 1),
            access_ends_on=dt.date(2027, 1, 1), deletion_deadline=dt.date(2027, 6, 1),
            created_at=clock.now(),
        )  # fmt: skip
        s.add(p)
        s.flush()
        return p.id


def register(
    db: Database, store: DataStore, tmp: Path, kind: str, code: str, *, persons: int = 300,
    seed: int = 11, variables: Sequence[VariableSpec] | None = None,
) -> Path:  # fmt: skip
    """Write a synthetic register and register it; returns the raw file (outside the store)."""
    raw = tmp / "raw" / f"{code}.parquet"
    write_register(kind, raw, persons=persons, years=YEARS, seed=seed)
    specs = variables or {"population": POPULATION_VARIABLES, "income": INCOME_VARIABLES}[kind]
    register_dataset(db, store, STEWARD, code=code, path=raw, variables=specs, source="test")
    return raw


def grant(
    db: Database, project_code: str, dataset_code: str, variables: Sequence[str],
    years: Sequence[int] = YEARS, *, population_id: int | None = None,
) -> int:  # fmt: skip
    with db.session() as s:
        p = s.scalar(select(Project).where(Project.code == project_code))
        ds = s.scalar(select(Dataset).where(Dataset.code == dataset_code))
        assert p is not None and ds is not None
        by_name = {v.name: v.id for v in ds.variables}
        g = Grant(
            project_id=p.id, dataset_id=ds.id, population_id=population_id,
            justification="Needed for the study.", granted_by="steward", granted_at=clock.now(),
        )  # fmt: skip
        g.variables = [GrantVariable(variable_id=by_name[n]) for n in variables]
        g.years = [GrantYear(year=y) for y in years]
        s.add(g)
        s.flush()
        return g.id


def register_file(
    db: Database, store: DataStore, raw: Path, code: str, variables: Sequence[VariableSpec]
) -> None:
    register_dataset(db, store, STEWARD, code=code, path=raw, variables=variables, source="test")
