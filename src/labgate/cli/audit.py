"""`labgate audit`: verify the chain, search the log, transaction statistics, controls."""

from __future__ import annotations

import datetime as dt
import sys
from typing import Any

import click

from labgate import clock
from labgate.audit import review as reviews
from labgate.audit.log import record_as
from labgate.audit.search import export_csv, export_jsonl, logged_search
from labgate.audit.stats import transaction_stats
from labgate.audit.verify import verify
from labgate.cli.context import CliContext, pass_ctx
from labgate.cli.output import emit
from labgate.cli.params import ISO_TIME
from labgate.model.enums import ReviewKind


@click.group("audit")
def audit() -> None:
    """The tamper-evident audit log (LOG-1..6)."""


@audit.command("verify")
@pass_ctx
def verify_cmd(ctx: CliContext) -> None:
    """Prove the chain intact, or name the first broken event (exit status 2)."""
    result = verify(ctx.db)
    with ctx.db.session() as s:
        record_as(
            s,
            ctx.actor,
            "audit.verify",
            "audit_log",
            "chain",
            outcome="ok" if result.ok else "failed",
            detail={"events": result.events, "first_broken_seq": result.first_broken_seq},
        )
    emit(
        ctx.json,
        {
            "intact": result.ok,
            "events": result.events,
            "first_broken_seq": result.first_broken_seq,
            "problem": result.problem,
        },
    )
    if not result.ok:
        raise click.exceptions.Exit(2)


def _scope(ctx: CliContext, institution: str | None) -> str | None:
    # A person acting through --actor sees only their own institution's log (AUTH-2);
    # the operator's console on the server sees all of it.
    if ctx.actor.kind == "person":
        return ctx.actor.institution
    return institution


@audit.command("search")
@click.option("--user", "actor", help="Events of this user.")
@click.option("--type", "types", multiple=True, help="Transaction type; repeat for several.")
@click.option("--since", type=ISO_TIME)
@click.option("--until", type=ISO_TIME)
@click.option("--object-kind")
@click.option("--object", "object_id")
@click.option("--institution")
@click.option("--outcome", type=click.Choice(["ok", "denied", "failed"]))
@click.option("--limit", default=1000, show_default=True, type=click.IntRange(1, 1_000_000))
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "jsonl"]), default="table")
@pass_ctx
def search_cmd(
    ctx: CliContext,
    actor: str | None,
    types: tuple[str, ...],
    since: dt.datetime | None,
    until: dt.datetime | None,
    object_kind: str | None,
    object_id: str | None,
    institution: str | None,
    outcome: str | None,
    limit: int,
    fmt: str,
) -> None:
    """Search the log; the search itself is logged (LOG-3)."""
    events = logged_search(
        ctx.db,
        ctx.actor,
        scope_institution=_scope(ctx, institution),
        actor=actor,
        type=list(types) or None,
        since=since,
        until=until,
        object_kind=object_kind,
        object_id=object_id,
        institution=institution,
        outcome=outcome,
        limit=limit,
    )
    if fmt == "csv":
        export_csv(events, sys.stdout)
    elif fmt == "jsonl" or ctx.json:
        export_jsonl(events, sys.stdout)
    else:
        emit(False, [_event_row(e) for e in events])


def _event_row(e: Any) -> dict[str, Any]:
    return {
        "seq": e.seq,
        "time": e.time if hasattr(e, "time") else e.ts_us,
        "actor": e.actor,
        "type": e.type,
        "object": f"{e.object_kind}:{e.object_id}",
        "outcome": e.outcome,
    }


@audit.command("stats")
@click.option("--since", required=True, type=ISO_TIME)
@click.option("--until", type=ISO_TIME, help="Default: now.")
@click.option("--institution")
@click.option("--user", "actor")
@pass_ctx
def stats_cmd(
    ctx: CliContext,
    since: dt.datetime,
    until: dt.datetime | None,
    institution: str | None,
    actor: str | None,
) -> None:
    """Per-user transaction statistics: which types, how many times (LOG-4)."""
    end = until or clock.now()
    with ctx.db.read_session() as s:
        rows = transaction_stats(
            s, since=since, until=end, institution=_scope(ctx, institution), actor=actor
        )
    with ctx.db.session() as s:
        record_as(
            s,
            ctx.actor,
            "audit.stats",
            "audit_log",
            institution or "*",
            detail={"since": since.isoformat(), "until": end.isoformat(), "user": actor or ""},
        )
    emit(ctx.json, [{"user": r.actor, "type": r.type, "count": r.count} for r in rows])


@audit.command("review")
@click.argument("institution")
@click.option("--since", required=True, type=ISO_TIME, help="Start of the reviewed period.")
@click.option("--until", type=ISO_TIME, help="End of the reviewed period (default: now).")
@click.option("--findings", default="", help="The officer's findings.")
@click.option("--sign-off", is_flag=True, help="Sign the review off (records it).")
@pass_ctx
def review_cmd(
    ctx: CliContext,
    institution: str,
    since: dt.datetime,
    until: dt.datetime | None,
    findings: str,
    sign_off: bool,
) -> None:
    """Produce the quarterly control of INSTITUTION, and sign it off (LOG-5)."""
    end = until or clock.now()
    if sign_off:
        with ctx.db.session() as s:
            row = reviews.sign_off(
                s, ctx.actor, institution, ReviewKind.QUARTERLY.value, since, end, findings
            )
            emit(
                ctx.json,
                {
                    "review": row.id,
                    "report_sha256": row.report_sha256,
                    "signed_off_at": row.signed_off_at,
                },
            )
        return
    with ctx.db.read_session() as s:
        report = reviews.build_review_report(s, institution, since, end)
    emit(True, report)


@audit.command("review-status")
@click.argument("institution")
@pass_ctx
def review_status_cmd(ctx: CliContext, institution: str) -> None:
    """Say whether INSTITUTION's quarterly control is overdue (exit status 3 if so)."""
    with ctx.db.read_session() as s:
        decision = reviews.review_status(s, institution, clock.now())
    emit(
        ctx.json,
        {"institution": institution, "overdue": not decision.allowed, "message": decision.message},
    )
    if not decision.allowed:
        raise click.exceptions.Exit(3)


@audit.command("adhoc")
@click.argument("institution")
@click.argument("username")
@click.option("--since", required=True, type=ISO_TIME)
@click.option("--until", type=ISO_TIME)
@click.option("--findings", default="")
@pass_ctx
def adhoc_cmd(
    ctx: CliContext,
    institution: str,
    username: str,
    since: dt.datetime,
    until: dt.datetime | None,
    findings: str,
) -> None:
    """An ad-hoc control of one user on suspected misuse (LOG-6), recorded."""
    end = until or clock.now()
    with ctx.db.session() as s:
        row = reviews.sign_off(
            s,
            ctx.actor,
            institution,
            ReviewKind.ADHOC.value,
            since,
            end,
            findings,
            subject_username=username,
        )
        report = row.report
    click.echo(report)


COMMANDS = [audit]
