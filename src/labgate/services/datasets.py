"""Declaring datasets (registers), their variables and years."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from labgate import clock
from labgate.audit.log import Actor, record_as
from labgate.errors import Conflict, InvalidInput
from labgate.model import Dataset, DatasetYear, Variable
from labgate.model.enums import UnitKind
from labgate.names import validate_code
from labgate.services import lookup

VARIABLE_TYPES = ("string", "int", "float", "date", "bool")


@dataclass(frozen=True)
class VariableSpec:
    name: str
    dtype: str
    label: str = ""
    is_identifier: bool = False
    is_year: bool = False
    is_identifying: bool = False
    is_protection_marker: bool = False


def _check_variable(spec: VariableSpec) -> None:
    if not spec.name.isidentifier() or spec.name != spec.name.lower():
        raise InvalidInput(
            f"'{spec.name}' cannot be a variable name. Use lowercase letters, digits and "
            "underscores, starting with a letter.",
            reason="invalid-variable-name",
        )
    if spec.dtype not in VARIABLE_TYPES:
        raise InvalidInput(
            f"'{spec.dtype}' is not a variable type. Use one of: {', '.join(VARIABLE_TYPES)}.",
            reason="invalid-variable-type",
        )


def create_dataset(
    session: Session,
    actor: Actor,
    *,
    code: str,
    title: str,
    unit: str,
    variables: Iterable[VariableSpec],
    years: Iterable[int],
    source: str = "",
    description: str = "",
    anonymous: bool = False,
    owner_project_id: int | None = None,
) -> Dataset:
    """Declare a dataset and its variables; every check happens before anything is written."""
    validate_code(code, "dataset")
    if unit not in {u.value for u in UnitKind}:
        raise InvalidInput(
            f"'{unit}' is not a unit. A row describes a 'person' or a 'business'.",
            reason="invalid-unit",
        )
    specs = list(variables)
    year_list = sorted(set(years))
    if not specs:
        raise InvalidInput("A dataset needs at least one variable.", reason="no-variables")
    for spec in specs:
        _check_variable(spec)
    names = [s.name for s in specs]
    if len(set(names)) != len(names):
        raise InvalidInput("Each variable name may appear only once.", reason="duplicate-variable")
    if not any(s.is_identifier for s in specs) and not anonymous:
        raise InvalidInput(
            "A register needs an identifier variable (the person or business number), "
            "or must be declared anonymous.",
            reason="no-identifier",
        )
    if sum(s.is_year for s in specs) > 1:
        raise InvalidInput("A dataset has at most one year variable.", reason="several-years")
    if not year_list or any(not 1800 <= y <= 2200 for y in year_list):
        raise InvalidInput(
            "Give the years the dataset covers, as four-digit years (for example 2019-2023).",
            reason="invalid-years",
        )
    if session.scalar(select(Dataset.id).where(Dataset.code == code)) is not None:
        raise Conflict(f"A dataset with the code '{code}' already exists.", reason="duplicate-code")
    ds = Dataset(
        code=code,
        title=title.strip() or code,
        unit=unit,
        source=source,
        description=description,
        anonymous=anonymous,
        owner_project_id=owner_project_id,
        created_at=clock.now(),
    )
    session.add(ds)
    session.flush()
    for position, spec in enumerate(specs):
        session.add(
            Variable(
                dataset_id=ds.id,
                name=spec.name,
                label=spec.label,
                dtype=spec.dtype,
                position=position,
                is_identifier=spec.is_identifier,
                is_year=spec.is_year,
                is_identifying=spec.is_identifying,
                is_protection_marker=spec.is_protection_marker,
            )
        )
    for year in year_list:
        session.add(DatasetYear(dataset_id=ds.id, year=year))
    session.flush()
    session.refresh(ds)
    record_as(
        session,
        actor,
        "dataset.create",
        "dataset",
        code,
        detail={"variables": names, "years": year_list, "unit": unit},
    )
    return ds


def variable_ids(session: Session, dataset_code: str, names: Iterable[str]) -> dict[str, int]:
    """Map variable names of a dataset to ids, refusing unknown names by name."""
    ds = lookup.dataset(session, dataset_code)
    known = {v.name: v.id for v in ds.variables}
    wanted = list(dict.fromkeys(names))
    unknown = [n for n in wanted if n not in known]
    if unknown:
        raise InvalidInput(
            f"The dataset '{dataset_code}' has no variable named {', '.join(unknown)}. "
            f"Its variables are: {', '.join(known)}.",
            reason="unknown-variable",
        )
    return {n: known[n] for n in wanted}
