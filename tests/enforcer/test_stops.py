"""Running workspaces stop when policy no longer allows them (WS-4, PROJ-8), each stop
recorded once by the enforcer (LOG-1). A real hub; only labgate's clock is frozen."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest

from labgate import clock
from labgate.enforcer.run import Enforcer
from labgate.services import grants, people, projects
from tests.enforcer.hubharness import Hub
from tests.enforcer.world import ADMIN, DAY, World


def _stop_reasons(world: World) -> dict[str, object]:
    return {
        str(d["project"]) + ":" + str(d["person"]): d["reason"]
        for d in world.details("enforcer.stop")
    }


def _assert_enforcer_events(world: World, type_: str) -> None:
    """LOG-1: the enforcer is the actor, a system one, of the owner's institution."""
    events = world.events(type_)
    assert events
    assert {(e.actor, e.actor_kind, e.institution) for e in events} == {
        ("labgate-enforcer", "system", world.inst_code)
    }


@pytest.mark.requirement("WS-4")
@pytest.mark.requirement("PROJ-8")
@pytest.mark.requirement("LOG-1")
def test_an_expired_project_s_workspace_stops_at_the_next_pass_and_once(
    world: World, enforcer: Enforcer, workspaces: Hub, names: Iterator[str]
) -> None:
    alice = next(names)
    world.person(alice)
    world.project("fam")
    world.member("fam", alice)
    workspaces.start(alice, "fam")

    assert enforcer.run_once().stopped == []
    assert workspaces.is_running(alice, "fam")

    with world.db.session() as s:
        projects.expire_project(s, ADMIN, code="fam", reason="Study finished early.")
    report = enforcer.run_once()

    assert [o.decision.reason for o in report.stopped] == ["access-ended"]
    assert workspaces.wait_stopped(alice, "fam")
    assert _stop_reasons(world) == {f"fam:{alice}": "access-ended"}
    _assert_enforcer_events(world, "enforcer.stop")
    assert enforcer.run_once().stopped == []
    assert len(world.events("enforcer.stop")) == 1


@pytest.mark.requirement("WS-4")
@pytest.mark.requirement("PROJ-8")
def test_the_end_of_access_stops_a_workspace_by_the_clock_alone(
    world: World, enforcer: Enforcer, workspaces: Hub, names: Iterator[str], now: dt.datetime
) -> None:
    alice = next(names)
    world.person(alice)
    world.project("fam", ends_in_days=1)
    world.member("fam", alice)
    workspaces.start(alice, "fam")
    last_instant = dt.datetime.combine(now.date() + DAY, dt.time(), dt.UTC) - dt.timedelta(
        microseconds=1
    )

    with clock.frozen(last_instant):
        assert enforcer.run_once().stopped == []
    with clock.frozen(last_instant + dt.timedelta(microseconds=1)):
        (stop,) = enforcer.run_once().stopped
    # The membership runs to the end of access too; policy names the first denial it finds.
    assert stop.decision.reason in {"access-ended", "no-such-project"}
    assert workspaces.wait_stopped(alice, "fam")


@pytest.mark.requirement("WS-4")
def test_an_ended_membership_stops_that_member_s_workspace_only(
    world: World, enforcer: Enforcer, workspaces: Hub, names: Iterator[str]
) -> None:
    alice, bob = next(names), next(names)
    world.person(alice)
    world.person(bob)
    world.project("fam")
    ended = world.member("fam", alice)
    world.member("fam", bob)
    workspaces.start(alice, "fam")
    workspaces.start(bob, "fam")

    with world.db.session() as s:
        projects.end_membership(s, ADMIN, membership_id=ended)
    enforcer.run_once()

    assert workspaces.wait_stopped(alice, "fam")
    assert workspaces.is_running(bob, "fam")
    assert _stop_reasons(world) == {f"fam:{alice}": "no-such-project"}


@pytest.mark.requirement("WS-4")
def test_an_ended_authorisation_stops_every_workspace_of_the_person(
    world: World, enforcer: Enforcer, workspaces: Hub, names: Iterator[str]
) -> None:
    alice = next(names)
    world.person(alice)
    for code in ("fam", "inc"):
        world.project(code)
        world.member(code, alice)
        workspaces.start(alice, code)

    with world.db.session() as s:
        people.end_authorisation(
            s, ADMIN, authorisation_id=world.authorisation_id(alice), reason="Left the institution."
        )
    enforcer.run_once()

    assert workspaces.wait_stopped(alice, "fam") and workspaces.wait_stopped(alice, "inc")
    assert _stop_reasons(world) == {
        f"fam:{alice}": "no-authorisation",
        f"inc:{alice}": "no-authorisation",
    }


@pytest.mark.requirement("WS-4")
@pytest.mark.requirement("PROJ-8")
def test_a_grant_withdrawn_after_the_start_stops_the_workspace_and_a_restart_keeps_running(
    world: World, enforcer: Enforcer, workspaces: Hub, names: Iterator[str]
) -> None:
    alice = next(names)
    world.person(alice)
    world.project("fam")
    world.member("fam", alice)
    gid = world.grant("fam")
    workspaces.start(alice, "fam")

    with clock.frozen(dt.datetime.now(dt.UTC)), world.db.session() as s:
        grants.withdraw_grant(s, ADMIN, grant_id=gid, reason="The register owner withdrew it.")
    enforcer.run_once()
    assert workspaces.wait_stopped(alice, "fam")
    assert _stop_reasons(world) == {f"fam:{alice}": "grant-withdrawn"}

    # Started again after the withdrawal, it mounts only what the project still holds.
    workspaces.start(alice, "fam")
    with clock.frozen(dt.datetime.now(dt.UTC)):
        assert enforcer.run_once().stopped == []
    assert workspaces.is_running(alice, "fam")


@pytest.mark.requirement("WS-4")
def test_a_workspace_on_no_labgate_project_is_stopped(
    world: World, enforcer: Enforcer, workspaces: Hub, names: Iterator[str]
) -> None:
    alice = next(names)
    world.person(alice)
    workspaces.start(alice, "nosuch")

    enforcer.run_once()

    assert workspaces.wait_stopped(alice, "nosuch")
    assert [e.institution for e in world.events("enforcer.stop")] == [""]
