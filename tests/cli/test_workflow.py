"""Admin workflows through the CLI: every write audited, history never rewritten."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from labgate import clock
from labgate.db import Database
from labgate.model import AuditEvent
from tests.cli.harness import Labgate
from tests.cli.world import TODAY, build_world

NOON = dt.datetime.combine(TODAY, dt.time(12), tzinfo=dt.UTC)


@pytest.fixture
def lg(db_url: str) -> Iterator[Labgate]:
    with clock.frozen(NOON):
        labgate = Labgate(db_url)
        build_world(labgate)
        yield labgate


def events(db_url: str) -> list[AuditEvent]:
    db = Database(db_url)
    try:
        with db.read_session() as s:
            return list(s.scalars(select(AuditEvent).order_by(AuditEvent.seq)))
    finally:
        db.dispose()


@pytest.mark.requirement("LOG-1")
def test_every_write_of_the_cli_is_audited_with_actor_type_and_object(lg: Labgate) -> None:
    logged = [(e.type, e.object_kind, e.object_id, e.outcome) for e in events(lg.db_url)]
    assert logged[0] == ("institution.create", "institution", "au", "ok")
    assert logged.count(("institution.authorise", "institution", "au", "ok")) == 3
    assert ("person.create", "person", "anna", "ok") in logged
    assert ("authorisation.grant", "person", "anna", "ok") in logged
    assert ("project.create", "project", "sub1", "ok") in logged
    assert ("dataset.create", "dataset", "bef", "ok") in logged
    assert ("grant.create", "project", "pdb", "ok") in logged
    assert all(e.actor.startswith("cli:") and e.actor_kind == "system" for e in events(lg.db_url))


@pytest.mark.requirement("LOG-1")
def test_the_actor_option_names_the_person_in_the_log(lg: Labgate) -> None:
    lg.ok("person", "create", "admin1", "--name", "An Admin", "--institution", "au")
    lg.ok("person", "create", "carl", "--name", "Carl", "--institution", "au", actor="admin1")
    last = events(lg.db_url)[-1]
    assert (last.actor, last.actor_kind, last.institution) == ("admin1", "person", "au")


@pytest.mark.requirement("AUTH-1")
def test_ending_an_authorisation_keeps_it_in_the_register_with_its_history(lg: Labgate) -> None:
    [entry] = lg.ok("authorisation", "list", "--person", "anna")
    ended = lg.ok("authorisation", "end", str(entry["id"]), "--reason", "Left the institution.")
    assert ended["ended_at"] is not None
    [after] = lg.ok("authorisation", "list", "--person", "anna")
    assert after["valid_from"] == entry["valid_from"]
    assert after["end_reason"] == "Left the institution."
    again = lg.run("authorisation", "end", str(entry["id"]), "--reason", "Twice.")
    assert again.exit_code == 1


@pytest.mark.requirement("AUTH-1")
@pytest.mark.parametrize(
    "statement",
    [
        "DELETE FROM authorisation",
        "UPDATE authorisation SET valid_until = valid_until",
        "UPDATE authorisation SET valid_from = '2020-01-01 00:00:00'",
    ],
)
def test_the_database_refuses_to_rewrite_or_delete_the_authorisation_register(
    lg: Labgate, statement: str
) -> None:
    [entry] = lg.ok("authorisation", "list", "--person", "anna")
    lg.ok("authorisation", "end", str(entry["id"]), "--reason", "Left.")
    db = Database(lg.db_url)
    try:
        with pytest.raises(DBAPIError), db.session() as s:
            s.execute(text(statement))
    finally:
        db.dispose()


@pytest.mark.requirement("PROJ-2")
def test_renewing_an_authority_project_reviews_each_grant(lg: Labgate) -> None:
    lg.ok(
        "project",
        "create",
        "auth1",
        "--title",
        "Ministry analysis",
        "--scheme",
        "authority",
        "--owner",
        "au",
        "--purpose",
        "Evaluate a reform.",
        "--legal-basis",
        "6(1)(e)",
        "--no-dpia-reason",
        "Aggregate statistics only.",
        "--starts",
        "2026-03-01",
    )
    g1 = lg.ok("grant", "create", "auth1", "bef", "--variables", "pnr,kom", "--years", "2021")
    g2 = lg.ok("grant", "create", "auth1", "bef", "--variables", "pnr,year", "--years", "2022")
    [summary] = [p for p in lg.ok("project", "list") if p["code"] == "auth1"]
    assert summary["access_ends_on"] == "2027-03-01"
    missing = lg.run("project", "renew", "auth1", "--until", "2028-03-01", "--keep", str(g1["id"]))
    assert missing.exit_code == 1
    renewed = lg.ok(
        "project",
        "renew",
        "auth1",
        "--until",
        "2028-03-01",
        "--keep",
        str(g1["id"]),
        "--remove",
        str(g2["id"]),
    )
    assert renewed["access_ends_on"] == "2028-03-01"
    grants = {g["id"]: g for g in lg.ok("grant", "list", "auth1")}
    assert grants[g1["id"]]["withdrawn_at"] is None
    assert grants[g2["id"]]["withdrawn_at"] is not None


@pytest.mark.requirement("PROJ-2")
def test_a_renewal_carries_the_members_over_to_the_new_term(lg: Labgate) -> None:
    """Members given the project's term keep access through the new one; a membership with
    an earlier end of its own keeps that end. The carry is in the audit log."""
    lg.ok(
        "project", "create", "auth2", "--title", "Ministry follow-up", "--scheme", "authority",
        "--owner", "au", "--purpose", "Follow a reform.", "--legal-basis", "6(1)(e)",
        "--no-dpia-reason", "Aggregate statistics only.", "--starts", "2026-03-01",
    )  # fmt: skip
    whole = lg.ok("membership", "add", "auth2", "anna", "--role", "researcher")
    assert whole["valid_until"] == "2027-03-01"
    lg.ok("project", "renew", "auth2", "--until", "2028-03-01")
    [member] = lg.ok("membership", "list", "auth2")
    assert (member["id"], member["valid_until"]) == (whole["id"], "2028-03-01")
    carry = [e for e in events(lg.db_url) if e.type == "membership.carry"]
    assert [(e.object_id, e.outcome) for e in carry] == [("auth2", "ok")]
    assert json.loads(carry[0].detail or "{}")["memberships"] == [whole["id"]]


@pytest.mark.requirement("PROJ-3")
def test_a_project_database_runs_two_years_and_is_extended_explicitly(lg: Labgate) -> None:
    [pdb] = [p for p in lg.ok("project", "list") if p["code"] == "pdb"]
    assert pdb["access_ends_on"] == "2028-03-01"
    extended = lg.ok("project", "extend", "pdb", "--until", "2029-03-01")
    assert extended["access_ends_on"] == "2029-03-01"


@pytest.mark.requirement("PROJ-8")
def test_an_expired_project_freezes_its_grants(lg: Labgate) -> None:
    lg.ok("project", "expire", "fam", "--reason", "The project ended early.")
    [fam] = [p for p in lg.ok("project", "list") if p["code"] == "fam"]
    assert fam["state"] == "access_ended"
    refused = lg.run("grant", "create", "fam", "bef", "--variables", "pnr,kom", "--years", "2021")
    assert refused.exit_code == 1
