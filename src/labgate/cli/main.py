"""`labgate`: the command line for admins, data stewards and security officers.

Every write goes through the service layer (policy decides, the audit log records) and
every refusal is a sentence on stderr with exit status 1; the database is unchanged.
"""

from __future__ import annotations

import getpass
from pathlib import Path

import click

from labgate.audit.log import Actor
from labgate.cli.context import CliContext
from labgate.db import Database
from labgate.errors import LabgateError
from labgate.settings import database_url


def resolve_actor(db: Database, username: str | None) -> Actor:
    """The person named by --actor, or the operator's console as a system actor."""
    if not username:
        return Actor(name=f"cli:{getpass.getuser()}", kind="system", institution="")
    from labgate.services import lookup

    with db.read_session() as session:
        person = lookup.person(session, username)
        return Actor(name=person.username, kind="person", institution=person.institution.code)


class LabgateGroup(click.Group):
    """Turns every refusal into its sentence and exit status 1, never a traceback."""

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except LabgateError as error:
            raise click.ClickException(error.message) from error


@click.group(cls=LabgateGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--db",
    "db_url",
    envvar="LABGATE_DB",
    help="Database URL (default: sqlite:///var/labgate.sqlite; env LABGATE_DB).",
)
@click.option(
    "--actor",
    envvar="LABGATE_ACTOR",
    help="Username the audit log names for this command's writes (env LABGATE_ACTOR).",
)
@click.option(
    "--data-root",
    envvar="LABGATE_DATA_ROOT",
    default="var/data",
    show_default=True,
    type=click.Path(path_type=Path),
    help="Root of the data store (env LABGATE_DATA_ROOT).",
)
@click.option("--json", "as_json", is_flag=True, help="Print machine-readable JSON.")
@click.pass_context
def cli(
    ctx: click.Context, db_url: str | None, actor: str | None, data_root: Path, as_json: bool
) -> None:
    """labgate: a trusted research environment for pseudonymised register microdata."""
    db = Database(database_url(db_url))
    ctx.call_on_close(db.dispose)
    if ctx.invoked_subcommand == "db":
        # The schema may not exist yet; the actor is resolved only once it does.
        ctx.obj = CliContext(
            db=db, actor=resolve_actor(db, None), json=as_json, data_root=data_root
        )
        return
    ctx.obj = CliContext(db=db, actor=resolve_actor(db, actor), json=as_json, data_root=data_root)


def _register() -> None:
    from labgate.cli import audit, datasets, db, institutions, people, projects

    for module in (audit, datasets, db, institutions, people, projects):
        for command in module.COMMANDS:
            cli.add_command(command)
    try:
        from labgate.cli.data import data
    except ImportError:  # the data store is an optional extra (duckdb, pyarrow)
        return
    cli.add_command(data)


_register()


def main() -> None:
    cli(prog_name="labgate")


if __name__ == "__main__":
    main()
