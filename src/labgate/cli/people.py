"""`labgate person` and `labgate authorisation`: people, staff roles, second factors, the
authorisation register."""

from __future__ import annotations

import datetime as dt

import click
from sqlalchemy import select

from labgate import clock
from labgate.cli.context import CliContext, pass_ctx
from labgate.cli.output import emit
from labgate.cli.params import ISO_TIME
from labgate.model import Authorisation, Person, RoleAssignment
from labgate.model.enums import StaffRole
from labgate.policy.identity import authorisation_active
from labgate.services import lookup
from labgate.services import people as service
from labgate.services.audited import audited_write
from labgate.services.facts import authorisation_facts


@click.group("person")
def person() -> None:
    """People who may log in, and their staff roles."""


@person.command("create")
@click.argument("username")
@click.option("--name", "full_name", required=True)
@click.option("--institution", "institution_code", required=True)
@click.option("--email")
@pass_ctx
def create(
    ctx: CliContext, username: str, full_name: str, institution_code: str, email: str | None
) -> None:
    """Create a person with their directory USERNAME."""
    p = audited_write(
        ctx.db,
        ctx.actor,
        type="person.create",
        object_kind="person",
        object_id=username,
        action=lambda s: service.create_person(
            s,
            ctx.actor,
            username=username,
            full_name=full_name,
            institution_code=institution_code,
            email=email,
        ),
    )
    emit(ctx.json, {"username": p.username, "name": p.full_name, "institution": institution_code})


@person.command("role")
@click.argument("username")
@click.argument("role", type=click.Choice([r.value for r in StaffRole]))
@click.option("--institution", "institution_code", help="Scope the role to one institution.")
@pass_ctx
def role(ctx: CliContext, username: str, role: str, institution_code: str | None) -> None:
    """Give USERNAME a staff ROLE (admin, data_steward, security_officer)."""
    audited_write(
        ctx.db,
        ctx.actor,
        type="role.assign",
        object_kind="person",
        object_id=username,
        action=lambda s: service.assign_role(
            s, ctx.actor, username=username, role=role, institution_code=institution_code
        ),
    )
    emit(ctx.json, {"username": username, "role": role, "institution": institution_code})


@person.command("list")
@click.option("--institution", "institution_code")
@pass_ctx
def list_(ctx: CliContext, institution_code: str | None) -> None:
    """List people, their roles and whether they are authorised now."""
    now = clock.now()
    with ctx.db.read_session() as s:
        query = select(Person).order_by(Person.username)
        if institution_code:
            query = query.where(Person.institution_id == lookup.institution(s, institution_code).id)
        rows = []
        for p in s.scalars(query):
            auths = s.scalars(select(Authorisation).where(Authorisation.person_id == p.id)).all()
            roles = s.scalars(
                select(RoleAssignment.role).where(
                    RoleAssignment.person_id == p.id, RoleAssignment.ended_at.is_(None)
                )
            ).all()
            facts = [authorisation_facts(a) for a in auths]
            rows.append(
                {
                    "username": p.username,
                    "name": p.full_name,
                    "institution": p.institution.code,
                    "roles": sorted(roles),
                    "authorised_now": any(authorisation_active(f, now) for f in facts),
                    # Whether an authenticator app is registered; never the secret itself.
                    "second_factor": p.totp_secret is not None,
                }
            )
    emit(ctx.json, rows)


@person.group("second-factor")
def second_factor() -> None:
    """Authenticator apps for the one-time code an institution may require at login (AUTH-4)."""


@second_factor.command("enrol")
@click.argument("username")
@click.option(
    "--issuer",
    default="labgate",
    show_default=True,
    help="The name the authenticator app shows next to the codes, e.g. 'Statistics Denmark'.",
)
@pass_ctx
def enrol_second_factor(ctx: CliContext, username: str, issuer: str) -> None:
    """Register a new authenticator app for USERNAME and print its secret, once.

    Enrolling again (say, after a lost phone) replaces the earlier app: its codes stop
    working. labgate keeps the secret only to check codes and never shows it again.
    """
    e = audited_write(
        ctx.db,
        ctx.actor,
        type="person.second-factor-enrol",
        object_kind="person",
        object_id=username,
        action=lambda s: service.enrol_second_factor(s, ctx.actor, username, issuer=issuer),
    )
    emit(
        ctx.json,
        {
            "username": e.username,
            "secret": e.secret,
            "uri": e.provisioning_uri,
            "replaced": e.replaced,
            "required": e.required,
        },
    )
    replaced = " It replaces the authenticator app registered before." if e.replaced else ""
    click.echo(
        f"Hand this secret (or a QR code of the URI) to {username} in person or over a secure "
        f"channel, for their authenticator app: it is not shown again.{replaced}",
        err=True,
    )


@second_factor.command("remove")
@click.argument("username")
@pass_ctx
def remove_second_factor(ctx: CliContext, username: str) -> None:
    """Remove USERNAME's authenticator app."""
    required = audited_write(
        ctx.db,
        ctx.actor,
        type="person.second-factor-remove",
        object_kind="person",
        object_id=username,
        action=lambda s: service.remove_second_factor(s, ctx.actor, username),
    )
    emit(ctx.json, {"username": username, "second_factor": False, "required": required})
    if required:
        click.echo(
            f"The institution of {username} requires a one-time code at login: {username} "
            "cannot log in until a new authenticator app is registered with "
            "`labgate person second-factor enrol`.",
            err=True,
        )


@click.group("authorisation")
def authorisation() -> None:
    """The authorisation register (AUTH-1): granted for a period, ended, never rewritten."""


@authorisation.command("grant")
@click.argument("username")
@click.option("--from", "valid_from", type=ISO_TIME, help="Start (default: now).")
@click.option("--until", "valid_until", required=True, type=ISO_TIME)
@click.option("--case", "case_reference")
@pass_ctx
def grant(
    ctx: CliContext,
    username: str,
    valid_from: dt.datetime | None,
    valid_until: dt.datetime,
    case_reference: str | None,
) -> None:
    """Authorise USERNAME for microdata access over a period."""
    row = audited_write(
        ctx.db,
        ctx.actor,
        type="authorisation.grant",
        object_kind="person",
        object_id=username,
        action=lambda s: service.grant_authorisation(
            s,
            ctx.actor,
            username=username,
            valid_from=valid_from or clock.now(),
            valid_until=valid_until,
            case_reference=case_reference,
        ),
    )
    emit(ctx.json, _row(row, username))


@authorisation.command("end")
@click.argument("authorisation_id", type=int)
@click.option("--reason", required=True)
@pass_ctx
def end(ctx: CliContext, authorisation_id: int, reason: str) -> None:
    """End authorisation AUTHORISATION_ID now (it stays in the register)."""
    row = audited_write(
        ctx.db,
        ctx.actor,
        type="authorisation.end",
        object_kind="authorisation",
        object_id=str(authorisation_id),
        action=lambda s: service.end_authorisation(
            s, ctx.actor, authorisation_id=authorisation_id, reason=reason
        ),
    )
    emit(ctx.json, _row(row, None))


@authorisation.command("list")
@click.option("--person", "username")
@click.option("--institution", "institution_code")
@pass_ctx
def register(ctx: CliContext, username: str | None, institution_code: str | None) -> None:
    """The register with its full history: every period, when and why it ended."""
    with ctx.db.read_session() as s:
        query = select(Authorisation, Person.username).join(
            Person, Authorisation.person_id == Person.id
        )
        if username:
            query = query.where(Person.username == username)
        if institution_code:
            query = query.where(Person.institution_id == lookup.institution(s, institution_code).id)
        rows = [_row(a, name) for a, name in s.execute(query.order_by(Authorisation.id))]
    emit(ctx.json, rows)


def _row(a: Authorisation, username: str | None) -> dict[str, object]:
    return {
        "id": a.id,
        "person": username,
        "valid_from": a.valid_from,
        "valid_until": a.valid_until,
        "ended_at": a.ended_at,
        "ended_by": a.ended_by,
        "end_reason": a.end_reason,
        "granted_by": a.granted_by,
    }


COMMANDS = [person, authorisation]
