"""`labgate dataset` and `labgate grant`: declaring registers and granting data to projects."""

from __future__ import annotations

import click
from sqlalchemy import select

from labgate.cli.context import CliContext, pass_ctx
from labgate.cli.output import emit
from labgate.cli.params import YEARS
from labgate.errors import InvalidInput
from labgate.model import Dataset, Grant
from labgate.model.enums import UnitKind
from labgate.services import grants as grant_service
from labgate.services import lookup
from labgate.services.audited import audited_write
from labgate.services.datasets import VARIABLE_TYPES, VariableSpec, create_dataset

FLAGS = {
    "identifier": "is_identifier",
    "year": "is_year",
    "identifying": "is_identifying",
    "protected": "is_protection_marker",
}


def parse_variable(text: str) -> VariableSpec:
    """'name:type[:flag,flag]', e.g. 'pnr:string:identifier' or 'postcode:string:identifying'."""
    parts = text.split(":")
    if len(parts) not in (2, 3):
        raise InvalidInput(
            f"'{text}' is not a variable declaration. Write name:type or name:type:flags, "
            f"with a type among {', '.join(VARIABLE_TYPES)} and flags among "
            f"{', '.join(FLAGS)}, for example pnr:string:identifier.",
            reason="invalid-variable",
        )
    flags = [f for f in parts[2].split(",") if f] if len(parts) == 3 else []
    unknown = [f for f in flags if f not in FLAGS]
    if unknown:
        raise InvalidInput(
            f"'{unknown[0]}' is not a variable flag. Use any of: {', '.join(FLAGS)}.",
            reason="invalid-variable-flag",
        )
    return VariableSpec(
        name=parts[0],
        dtype=parts[1],
        is_identifier="identifier" in flags,
        is_year="year" in flags,
        is_identifying="identifying" in flags,
        is_protection_marker="protected" in flags,
    )


@click.group("dataset")
def dataset() -> None:
    """Registers and other datasets, their variables and years."""


@dataset.command("create")
@click.argument("code")
@click.option("--title", default="")
@click.option(
    "--unit", type=click.Choice([u.value for u in UnitKind]), default="person", show_default=True
)
@click.option("--source", default="", help="Register owner.")
@click.option(
    "--variable", "variables", multiple=True, required=True, help="name:type[:flags]; repeat."
)
@click.option("--years", required=True, type=YEARS, help="e.g. 2015-2023 or 2019,2021.")
@click.option(
    "--anonymous", is_flag=True, help="Holds no identifiers (may go to foreign institutions)."
)
@pass_ctx
def create(
    ctx: CliContext,
    code: str,
    title: str,
    unit: str,
    source: str,
    variables: tuple[str, ...],
    years: list[int],
    anonymous: bool,
) -> None:
    """Declare dataset CODE with its variables and years."""
    specs = [parse_variable(v) for v in variables]
    ds = audited_write(
        ctx.db,
        ctx.actor,
        type="dataset.create",
        object_kind="dataset",
        object_id=code,
        action=lambda s: create_dataset(
            s,
            ctx.actor,
            code=code,
            title=title,
            unit=unit,
            source=source,
            variables=specs,
            years=years,
            anonymous=anonymous,
        ),
    )
    emit(ctx.json, {"code": ds.code, "variables": [s.name for s in specs], "years": years})


@dataset.command("list")
@pass_ctx
def list_(ctx: CliContext) -> None:
    """List datasets, their variables (with flags) and years."""
    with ctx.db.read_session() as s:
        rows = [
            {
                "code": d.code,
                "unit": d.unit,
                "variables": [
                    v.name + "".join(f":{f}" for f, attr in FLAGS.items() if getattr(v, attr))
                    for v in d.variables
                ],
                "years": [y.year for y in d.years],
            }
            for d in s.scalars(select(Dataset).order_by(Dataset.code))
        ]
    emit(ctx.json, rows)


@click.group("grant")
def grant() -> None:
    """Data granted to projects, down to variables and years (DATA-4, DATA-5, PROJ-5)."""


@grant.command("create")
@click.argument("project_code")
@click.argument("dataset_code")
@click.option("--variables", required=True, help="Comma-separated variable names.")
@click.option("--years", required=True, type=YEARS)
@click.option("--population", help="A population of the parent project database.")
@click.option("--justification", help="Required for particularly identifying variables.")
@pass_ctx
def create_grant(
    ctx: CliContext,
    project_code: str,
    dataset_code: str,
    variables: str,
    years: list[int],
    population: str | None,
    justification: str | None,
) -> None:
    """Grant PROJECT_CODE the named variables and years of DATASET_CODE."""
    names = [v.strip() for v in variables.split(",") if v.strip()]
    g = audited_write(
        ctx.db,
        ctx.actor,
        type="grant.create",
        object_kind="project",
        object_id=project_code,
        action=lambda s: grant_service.create_grant(
            s,
            ctx.actor,
            project_code=project_code,
            dataset_code=dataset_code,
            variables=names,
            years=years,
            population=population,
            justification=justification,
        ),
    )
    emit(
        ctx.json,
        {
            "id": g.id,
            "project": project_code,
            "dataset": dataset_code,
            "variables": names,
            "years": years,
        },
    )


@grant.command("withdraw")
@click.argument("grant_id", type=int)
@click.option("--reason", required=True)
@pass_ctx
def withdraw(ctx: CliContext, grant_id: int, reason: str) -> None:
    """Withdraw grant GRANT_ID (it stays on record)."""
    g = audited_write(
        ctx.db,
        ctx.actor,
        type="grant.withdraw",
        object_kind="grant",
        object_id=str(grant_id),
        action=lambda s: grant_service.withdraw_grant(
            s, ctx.actor, grant_id=grant_id, reason=reason
        ),
    )
    emit(ctx.json, {"id": g.id, "withdrawn_at": g.withdrawn_at})


@grant.command("list")
@click.argument("project_code")
@pass_ctx
def list_grants(ctx: CliContext, project_code: str) -> None:
    """List the grants of PROJECT_CODE, withdrawn ones included."""
    with ctx.db.read_session() as s:
        p = lookup.project(s, project_code)
        rows = [
            {
                "id": g.id,
                "dataset": g.dataset.code,
                "variables": [v.variable.name for v in g.variables],
                "years": [y.year for y in g.years],
                "withdrawn_at": g.withdrawn_at,
            }
            for g in s.scalars(select(Grant).where(Grant.project_id == p.id).order_by(Grant.id))
        ]
    emit(ctx.json, rows)


COMMANDS = [dataset, grant]
