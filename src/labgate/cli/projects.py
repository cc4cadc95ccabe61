"""`labgate project` and `labgate membership`: projects, their terms and their members."""

from __future__ import annotations

import datetime as dt

import click
from sqlalchemy import select

from labgate import clock
from labgate.cli.context import CliContext, pass_ctx
from labgate.cli.output import emit
from labgate.cli.params import ISO_DATE
from labgate.model import Membership, Person, Project
from labgate.model.enums import MemberRole, Scheme
from labgate.policy.projects import project_state
from labgate.services import lookup
from labgate.services import projects as service
from labgate.services.audited import audited_write
from labgate.services.facts import project_facts


def _ids(value: str) -> list[int]:
    try:
        return [int(x) for x in value.split(",") if x.strip()]
    except ValueError:
        raise click.BadParameter(
            f"'{value}' is not a list of grant numbers. Write them as 3,4,7."
        ) from None


@click.group("project")
def project() -> None:
    """Projects, project databases and sub-projects (PROJ-1..8)."""


@project.command("create")
@click.argument("code")
@click.option("--title", required=True)
@click.option("--scheme", required=True, type=click.Choice([s.value for s in Scheme]))
@click.option("--owner", "owner_code", required=True, help="Owner institution code.")
@click.option("--parent", "parent_code", help="The project database of a sub-project.")
@click.option("--purpose", required=True)
@click.option("--legal-basis", "art6", required=True, help="GDPR art. 6 basis, e.g. 6(1)(e).")
@click.option("--art9", help="GDPR art. 9 basis where special categories are used.")
@click.option("--dpia", "dpia_reference", help="Reference to the DPIA.")
@click.option("--no-dpia-reason", help="Why no DPIA is needed.")
@click.option("--starts", "starts_on", type=ISO_DATE, help="Start of access (default: today).")
@click.option(
    "--access-ends",
    "access_ends_on",
    type=ISO_DATE,
    help="End of access (default: the scheme's term).",
)
@click.option(
    "--deletion-deadline", type=ISO_DATE, help="When data are deleted (default: end of access)."
)
@click.option("--case", "case_reference")
@pass_ctx
def create(
    ctx: CliContext,
    code: str,
    title: str,
    scheme: str,
    owner_code: str,
    parent_code: str | None,
    purpose: str,
    art6: str,
    art9: str | None,
    dpia_reference: str | None,
    no_dpia_reason: str | None,
    starts_on: dt.date | None,
    access_ends_on: dt.date | None,
    deletion_deadline: dt.date | None,
    case_reference: str | None,
) -> None:
    """Create a project with the short CODE."""
    summary = audited_write(
        ctx.db,
        ctx.actor,
        type="project.create",
        object_kind="project",
        object_id=code,
        action=lambda s: _summary(
            service.create_project(
                s,
                ctx.actor,
                code=code,
                title=title,
                scheme=scheme,
                owner_code=owner_code,
                parent_code=parent_code,
                purpose=purpose,
                legal_basis_art6=art6,
                legal_basis_art9=art9,
                dpia_reference=dpia_reference,
                dpia_not_needed_reason=no_dpia_reason,
                starts_on=starts_on or clock.today(),
                access_ends_on=access_ends_on,
                deletion_deadline=deletion_deadline,
                case_reference=case_reference,
            )
        ),
    )
    emit(ctx.json, summary)


@project.command("renew")
@click.argument("code")
@click.option("--until", "new_end", required=True, type=ISO_DATE, help="New end of access.")
@click.option("--keep", default="", help="Grant numbers kept, e.g. 3,4.")
@click.option("--remove", default="", help="Grant numbers withdrawn, e.g. 7.")
@click.option("--case", "case_reference")
@pass_ctx
def renew(
    ctx: CliContext, code: str, new_end: dt.date, keep: str, remove: str, case_reference: str | None
) -> None:
    """Renew an authority project for a new term, deciding on every grant (PROJ-2)."""
    keep_ids, remove_ids = _ids(keep), _ids(remove)
    change = audited_write(
        ctx.db,
        ctx.actor,
        type="project.renew",
        object_kind="project",
        object_id=code,
        action=lambda s: service.renew_project(
            s,
            ctx.actor,
            code=code,
            new_access_end=new_end,
            keep=keep_ids,
            remove=remove_ids,
            case_reference=case_reference,
        ),
    )
    emit(
        ctx.json,
        {
            "project": code,
            "access_ends_on": change.new_access_ends_on,
            "deletion_deadline": change.new_deletion_deadline,
            "kept": keep_ids,
            "removed": remove_ids,
        },
    )


@project.command("extend")
@click.argument("code")
@click.option("--until", "new_end", required=True, type=ISO_DATE)
@click.option("--case", "case_reference")
@pass_ctx
def extend(ctx: CliContext, code: str, new_end: dt.date, case_reference: str | None) -> None:
    """Extend a project database's term (PROJ-3)."""
    change = audited_write(
        ctx.db,
        ctx.actor,
        type="project.extend",
        object_kind="project",
        object_id=code,
        action=lambda s: service.extend_project(
            s, ctx.actor, code=code, new_access_end=new_end, case_reference=case_reference
        ),
    )
    emit(
        ctx.json,
        {
            "project": code,
            "access_ends_on": change.new_access_ends_on,
            "deletion_deadline": change.new_deletion_deadline,
        },
    )


@project.command("expire")
@click.argument("code")
@click.option("--reason", required=True)
@pass_ctx
def expire(ctx: CliContext, code: str, reason: str) -> None:
    """End a project's access now: workspaces stop and grants freeze (PROJ-8)."""
    summary = audited_write(
        ctx.db,
        ctx.actor,
        type="project.expire",
        object_kind="project",
        object_id=code,
        action=lambda s: _summary(service.expire_project(s, ctx.actor, code=code, reason=reason)),
    )
    emit(ctx.json, summary)


@project.command("list")
@pass_ctx
def list_(ctx: CliContext) -> None:
    """List projects with their scheme, term and state."""
    now = clock.now()
    with ctx.db.read_session() as s:
        rows = []
        for p in s.scalars(select(Project).order_by(Project.code)):
            row = _summary(p)
            row["state"] = project_state(project_facts(s, p), now).value
            rows.append(row)
    emit(ctx.json, rows)


def _summary(p: Project) -> dict[str, object]:
    return {
        "code": p.code,
        "title": p.title,
        "scheme": p.scheme,
        "parent": p.parent.code if p.parent else None,
        "starts_on": p.starts_on,
        "access_ends_on": p.access_ends_on,
        "deletion_deadline": p.deletion_deadline,
        "expired_at": p.expired_at,
    }


@click.group("membership")
def membership() -> None:
    """Members of projects: researchers and project-database managers (PROJ-4)."""


@membership.command("add")
@click.argument("code")
@click.argument("username")
@click.option("--role", required=True, type=click.Choice([r.value for r in MemberRole]))
@click.option("--from", "valid_from", type=ISO_DATE)
@click.option("--until", "valid_until", type=ISO_DATE)
@pass_ctx
def add(
    ctx: CliContext,
    code: str,
    username: str,
    role: str,
    valid_from: dt.date | None,
    valid_until: dt.date | None,
) -> None:
    """Make USERNAME a member of project CODE."""
    m = audited_write(
        ctx.db,
        ctx.actor,
        type="membership.add",
        object_kind="project",
        object_id=code,
        action=lambda s: service.add_membership(
            s,
            ctx.actor,
            code=code,
            username=username,
            role=role,
            valid_from=valid_from,
            valid_until=valid_until,
        ),
    )
    emit(
        ctx.json,
        {
            "id": m.id,
            "project": code,
            "person": username,
            "role": m.role,
            "valid_from": m.valid_from,
            "valid_until": m.valid_until,
        },
    )


@membership.command("end")
@click.argument("membership_id", type=int)
@pass_ctx
def end(ctx: CliContext, membership_id: int) -> None:
    """End membership MEMBERSHIP_ID now."""
    m = audited_write(
        ctx.db,
        ctx.actor,
        type="membership.end",
        object_kind="membership",
        object_id=str(membership_id),
        action=lambda s: service.end_membership(s, ctx.actor, membership_id=membership_id),
    )
    emit(ctx.json, {"id": m.id, "ended_at": m.ended_at})


@membership.command("list")
@click.argument("code")
@pass_ctx
def members(ctx: CliContext, code: str) -> None:
    """List the members of project CODE, past and present."""
    with ctx.db.read_session() as s:
        p = lookup.project(s, code)
        rows = [
            {
                "id": m.id,
                "person": name,
                "role": m.role,
                "valid_from": m.valid_from,
                "valid_until": m.valid_until,
                "ended_at": m.ended_at,
            }
            for m, name in s.execute(
                select(Membership, Person.username)
                .join(Person, Membership.person_id == Person.id)
                .where(Membership.project_id == p.id)
                .order_by(Membership.id)
            )
        ]
    emit(ctx.json, rows)


COMMANDS = [project, membership]
