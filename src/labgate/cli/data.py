"""`labgate data`: the data store from the command line.

register, import, materialise, population create, delete, confirmations, minimisation and
synth. Every write is audited by the data store itself; a refusal is audited here too
(outcome "denied") and printed as its sentence by the main command.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import click
from sqlalchemy import select

from labgate.audit.log import record_as
from labgate.cli.context import CliContext, pass_ctx
from labgate.cli.datasets import parse_variable
from labgate.cli.output import emit
from labgate.cli.params import YEARS
from labgate.datastore import deletion, ingress, materialise, populations, registry, synthetic
from labgate.datastore.layout import DataStore
from labgate.errors import InvalidInput, LabgateError, NotFound
from labgate.model import DeletionConfirmation, Project
from labgate.model.enums import UnitKind

T = TypeVar("T")


def _store(ctx: CliContext) -> DataStore:
    return DataStore(ctx.data_root)


def _audited(ctx: CliContext, type: str, kind: str, object_id: str, action: Callable[[], T]) -> T:
    """Run `action`; if it is refused, record the refusal in a transaction of its own."""
    try:
        return action()
    except LabgateError as error:
        with ctx.db.session() as session:
            record_as(
                session, ctx.actor, type, kind, object_id, outcome="denied",
                detail={"reason": error.reason},
            )  # fmt: skip
        raise


def _kinds(values: tuple[str, ...]) -> dict[str, str]:
    kinds: dict[str, str] = {}
    for value in values:
        column, sep, kind = value.partition("=")
        if not sep:
            raise InvalidInput(
                f"'{value}' is not an identifier kind. Write column=kind, "
                "for example cvr=business.",
                reason="invalid-identifier-kind",
            )
        kinds[column.strip()] = kind.strip()
    return kinds


VARIABLE_HELP = "name:type[:flags], flags among identifier,year,identifying,protected; repeat."


@click.group("data")
def data() -> None:
    """The data store: registers, pseudonymised project data, populations, deletion."""


@data.command("register")
@click.argument("code")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--variable", "variables", multiple=True, required=True, help=VARIABLE_HELP)
@click.option(
    "--unit", type=click.Choice([u.value for u in UnitKind]), default="person", show_default=True
)
@click.option("--title", default="")
@click.option("--source", default="", help="Register owner, e.g. 'Statistics Denmark'.")
@click.option(
    "--identifier-kind", "kinds", multiple=True, help="column=person|business; default: the unit."
)
@click.option("--years", type=YEARS, default=None, help="Only for data without a year column.")
@pass_ctx
def register(
    ctx: CliContext,
    code: str,
    file: Path,
    variables: tuple[str, ...],
    unit: str,
    title: str,
    source: str,
    kinds: tuple[str, ...],
    years: list[int] | None,
) -> None:
    """Register FILE (Parquet or CSV) as dataset CODE, checked against its declaration."""
    specs = [parse_variable(v) for v in variables]
    ds = _audited(ctx, "data.register", "dataset", code, lambda: registry.register_dataset(
        ctx.db, _store(ctx), ctx.actor, code=code, path=file, variables=specs, unit=unit,
        title=title, source=source, identifier_kinds=_kinds(kinds), years=years or (),
    ))  # fmt: skip
    emit(
        ctx.json,
        {
            "code": ds.code,
            "variables": [s.name for s in specs],
            "years": [y.year for y in ds.years],
        },
    )


@data.command("import")
@click.argument("project")
@click.argument("code")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--variable", "variables", multiple=True, required=True, help=VARIABLE_HELP)
@click.option(
    "--unit", type=click.Choice([u.value for u in UnitKind]), default="person", show_default=True
)
@click.option("--title", default="")
@click.option("--identifier-kind", "kinds", multiple=True, help="column=person|business.")
@click.option("--years", type=YEARS, default=None, help="Only for data without a year column.")
@pass_ctx
def import_(
    ctx: CliContext,
    project: str,
    code: str,
    file: Path,
    variables: tuple[str, ...],
    unit: str,
    title: str,
    kinds: tuple[str, ...],
    years: list[int] | None,
) -> None:
    """Bring PROJECT's own data in from FILE, keyed with the project's pseudonyms."""
    specs = [parse_variable(v) for v in variables]
    done = _audited(ctx, "data.import", "project", project, lambda: ingress.import_own_data(
        ctx.db, _store(ctx), ctx.actor, project_code=project, code=code, path=file,
        variables=specs, unit=unit, title=title, identifier_kinds=_kinds(kinds), years=years or (),
    ))  # fmt: skip
    emit(ctx.json, {"project": project, "dataset": code, "grant": done.grant_id, "rows": done.rows})


@data.command("materialise")
@click.argument("grant_ids", nargs=-1, type=int, required=True)
@click.option("--memory-limit", default="512MB", show_default=True, help="DuckDB memory limit.")
@pass_ctx
def materialise_(ctx: CliContext, grant_ids: tuple[int, ...], memory_limit: str) -> None:
    """Write each grant's data, pseudonymised, into its project's data area."""
    rows = []
    for grant_id in grant_ids:
        done = _audited(
            ctx, "data.materialise", "grant", str(grant_id),
            lambda g=grant_id: materialise.materialise_grant(  # type: ignore[misc]
                ctx.db, _store(ctx), ctx.actor, g, memory_limit=memory_limit
            ),
        )  # fmt: skip
        rows.append({"grant": done.grant_id, "project": done.project, "dataset": done.dataset,
                     "rows": done.rows, "written": done.written})  # fmt: skip
    emit(ctx.json, rows)


@data.group("population")
def population() -> None:
    """Populations of a project database (sets of its pseudonyms)."""


@population.command("create")
@click.argument("project")
@click.argument("name")
@click.option("--dataset", default=None, help="A dataset materialised in PROJECT.")
@click.option(
    "--where",
    "conditions",
    multiple=True,
    help="'kom = 101', 'year >= 2020', 'level in 60,70'; AND-ed.",
)
@click.option(
    "--pseudonyms", default=None, help="Comma-separated pseudonyms instead of conditions."
)
@click.option("--description", default="")
@pass_ctx
def population_create(
    ctx: CliContext,
    project: str,
    name: str,
    dataset: str | None,
    conditions: tuple[str, ...],
    pseudonyms: str | None,
    description: str,
) -> None:
    """Create population NAME of PROJECT from its data or a list of pseudonyms."""
    numbers = _numbers(pseudonyms) if pseudonyms is not None else None
    create = populations.create_population
    pop = _audited(ctx, "population.create", "project", project, lambda: create(
        ctx.db, _store(ctx), ctx.actor, project_code=project, name=name, dataset_code=dataset,
        conditions=conditions, pseudonyms=numbers, description=description,
    ))  # fmt: skip
    emit(
        ctx.json,
        {
            "project": project,
            "population": pop.name,
            "size": pop.size,
            "definition": pop.definition,
        },
    )


def _numbers(text: str) -> list[int]:
    try:
        return [int(p) for p in text.split(",") if p.strip()]
    except ValueError:
        raise InvalidInput(
            "Pseudonyms are whole numbers separated by commas, for example 17,942,3051.",
            reason="invalid-pseudonyms",
        ) from None


@data.command("delete")
@click.argument("project")
@click.option("--case-reference", required=True, help="The case this deletion belongs to.")
@click.option("--yes", is_flag=True, help="Confirm that every file of PROJECT is to be destroyed.")
@pass_ctx
def delete(ctx: CliContext, project: str, case_reference: str, yes: bool) -> None:
    """Delete PROJECT's data, work files, key tables and populations, with a confirmation."""
    if not yes:
        raise InvalidInput(
            f"Deleting destroys every file of '{project}' for good. Add --yes to confirm.",
            reason="not-confirmed",
        )
    done = _audited(ctx, "data.delete", "project", project, lambda: deletion.delete_project_data(
        ctx.db, _store(ctx), ctx.actor, project_code=project, case_reference=case_reference,
    ))  # fmt: skip
    click.echo(deletion.confirmation_json(done, project))


@data.group("confirmations")
def confirmations() -> None:
    """Deletion confirmations (PROJ-9), kept after the data are gone."""


@confirmations.command("list")
@click.option("--project", default=None)
@pass_ctx
def confirmations_list(ctx: CliContext, project: str | None) -> None:
    with ctx.db.read_session() as s:
        query = select(DeletionConfirmation, Project.code).join(
            Project, Project.id == DeletionConfirmation.project_id
        )
        if project:
            query = query.where(Project.code == project)
        rows = [
            {"id": c.id, "project": code, "deleted_at": c.deleted_at, "deleted_by": c.deleted_by,
             "case_reference": c.case_reference, "files": c.file_count, "bytes": c.total_bytes}
            for c, code in s.execute(query.order_by(DeletionConfirmation.id))
        ]  # fmt: skip
    emit(ctx.json, rows)


@confirmations.command("show")
@click.argument("confirmation_id", type=int)
@pass_ctx
def confirmations_show(ctx: CliContext, confirmation_id: int) -> None:
    """Print confirmation CONFIRMATION_ID as JSON."""
    with ctx.db.read_session() as s:
        found = s.get(DeletionConfirmation, confirmation_id)
        if found is None:
            raise NotFound(
                f"There is no deletion confirmation {confirmation_id}.",
                reason="no-such-confirmation",
            )
        code = s.scalar(select(Project.code).where(Project.id == found.project_id))
    click.echo(deletion.confirmation_json(found, code))


@data.command("minimisation")
@click.option("--min-uses", type=int, default=2, show_default=True, help="N of PROJ-6.")
@pass_ctx
def minimisation(ctx: CliContext, min_uses: int) -> None:
    """Datasets of project databases used by fewer than N active sub-projects (PROJ-6)."""
    from labgate import clock
    from labgate.model import Dataset
    from labgate.model.enums import Scheme
    from labgate.policy.minimisation import minimisation_report
    from labgate.services.facts import project_facts, project_grants

    rows = []
    with ctx.db.read_session() as s:
        pdbs = s.scalars(
            select(Project).where(
                Project.scheme == Scheme.PROJECT_DATABASE.value, Project.deleted_at.is_(None)
            )
        )
        for pdb in list(pdbs):
            subs = list(s.scalars(select(Project).where(Project.parent_id == pdb.id)))
            grants = [g for p in [pdb, *subs] for g in project_grants(s, p.id)]
            flags = minimisation_report(
                project_facts(s, pdb), [project_facts(s, p) for p in subs], grants,
                clock.now(), min_uses,
            )  # fmt: skip
            for flag in flags:
                code = s.scalar(select(Dataset.code).where(Dataset.id == flag.dataset_id))
                rows.append({"project_database": pdb.code, "dataset": code,
                             "used_by": flag.used_by, "message": flag.message})  # fmt: skip
    emit(ctx.json, rows)


@data.command("synth")
@click.argument("kind", type=click.Choice([*synthetic.REGISTERS, "wide"]))
@click.argument("out", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--persons",
    "--rows",
    "size",
    type=int,
    default=10_000,
    show_default=True,
    help="Persons (rows for 'wide').",
)
@click.option("--years", type=YEARS, default="2015-2020", show_default=True)
@click.option("--seed", type=int, default=1, show_default=True)
@pass_ctx
def synth(ctx: CliContext, kind: str, out: Path, size: int, years: list[int], seed: int) -> None:
    """Write a synthetic register KIND to OUT (Parquet); never real data."""
    rows = synthetic.write_register(kind, out, persons=size, years=years, seed=seed)
    emit(ctx.json, {"register": kind, "file": str(out), "rows": rows})
