"""`labgate db`: build or upgrade the schema."""

from __future__ import annotations

import click

from labgate.cli.context import CliContext, pass_ctx
from labgate.cli.output import emit
from labgate.migrate import current_revision, head_revision, upgrade


@click.group("db")
def db_group() -> None:
    """Create and upgrade labgate's database schema (Alembic)."""


@db_group.command("upgrade")
@pass_ctx
def db_upgrade(ctx: CliContext) -> None:
    """Build the schema from empty, or upgrade it to the newest revision."""
    upgrade(ctx.db.url)
    emit(
        ctx.json,
        {
            "database": ctx.db.engine.url.render_as_string(),
            "revision": current_revision(ctx.db.url),
        },
    )


@db_group.command("status")
@pass_ctx
def db_status(ctx: CliContext) -> None:
    """Show the schema revision and whether an upgrade is due."""
    current, head = current_revision(ctx.db.url), head_revision(ctx.db.url)
    emit(ctx.json, {"revision": current, "newest": head, "up_to_date": current == head})


COMMANDS = [db_group]
