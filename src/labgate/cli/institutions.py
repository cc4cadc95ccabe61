"""`labgate institution`: institutions and their authorisations for microdata schemes."""

from __future__ import annotations

import datetime as dt

import click
from sqlalchemy import select

from labgate.cli.context import CliContext, pass_ctx
from labgate.cli.output import emit
from labgate.cli.params import ISO_DATE
from labgate.model import Institution
from labgate.model.enums import InstitutionScheme
from labgate.services import institutions as service
from labgate.services.audited import audited_write


@click.group("institution")
def institution() -> None:
    """Institutions whose members may use microdata (INST-1..3)."""


@institution.command("create")
@click.argument("code")
@click.option("--name", required=True, help="Full name, e.g. 'University of Aarhus'.")
@click.option("--country", default="DK", show_default=True, help="ISO 3166 two-letter code.")
@click.option("--second-factor/--no-second-factor", default=False, help="Require TOTP at login.")
@click.option("--idle-timeout-seconds", default=600, show_default=True, type=int)
@pass_ctx
def create(
    ctx: CliContext,
    code: str,
    name: str,
    country: str,
    second_factor: bool,
    idle_timeout_seconds: int,
) -> None:
    """Create an institution with the short CODE (lowercase, e.g. 'au')."""
    inst = audited_write(
        ctx.db,
        ctx.actor,
        type="institution.create",
        object_kind="institution",
        object_id=code,
        action=lambda s: service.create_institution(
            s,
            ctx.actor,
            code=code,
            name=name,
            country=country,
            requires_second_factor=second_factor,
            idle_timeout_seconds=idle_timeout_seconds,
        ),
    )
    emit(ctx.json, {"code": inst.code, "name": inst.name, "country": inst.country})


@institution.command("authorise")
@click.argument("code")
@click.option("--scheme", required=True, type=click.Choice([s.value for s in InstitutionScheme]))
@click.option("--from", "valid_from", required=True, type=ISO_DATE)
@click.option("--until", "valid_until", required=True, type=ISO_DATE)
@click.option("--security-policy", required=True, help="Reference to the data-security policy.")
@click.option("--case", "case_reference", help="Case reference of the authorisation decision.")
@pass_ctx
def authorise(
    ctx: CliContext,
    code: str,
    scheme: str,
    valid_from: dt.date,
    valid_until: dt.date,
    security_policy: str,
    case_reference: str | None,
) -> None:
    """Authorise institution CODE for a scheme over a period."""
    row = audited_write(
        ctx.db,
        ctx.actor,
        type="institution.authorise",
        object_kind="institution",
        object_id=code,
        action=lambda s: service.authorise_institution(
            s,
            ctx.actor,
            code=code,
            scheme=scheme,
            valid_from=valid_from,
            valid_until=valid_until,
            security_policy_ref=security_policy,
            case_reference=case_reference,
        ),
    )
    emit(
        ctx.json,
        {
            "institution": code,
            "scheme": row.scheme,
            "valid_from": row.valid_from,
            "valid_until": row.valid_until,
        },
    )


@institution.command("foreign-exception")
@click.argument("code")
@click.option("--justification", required=True)
@pass_ctx
def foreign_exception(ctx: CliContext, code: str, justification: str) -> None:
    """Record an admin's exception letting a foreign institution receive non-anonymous data."""
    audited_write(
        ctx.db,
        ctx.actor,
        type="institution.authorise",
        object_kind="institution",
        object_id=code,
        action=lambda s: service.set_foreign_exception(
            s, ctx.actor, code=code, justification=justification
        ),
    )
    emit(ctx.json, {"institution": code, "foreign_exception": justification})


@institution.command("list")
@pass_ctx
def list_(ctx: CliContext) -> None:
    """List institutions and their authorisations."""
    with ctx.db.read_session() as s:
        rows = [
            {
                "code": i.code,
                "name": i.name,
                "country": i.country,
                "second_factor": i.requires_second_factor,
                "authorisations": [
                    f"{a.scheme}:{a.valid_from}..{a.valid_until}" for a in i.authorisations
                ],
            }
            for i in s.scalars(select(Institution).order_by(Institution.code))
        ]
    emit(ctx.json, rows)


COMMANDS = [institution]
