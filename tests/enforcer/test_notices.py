"""End-of-access warnings (PROJ-8) and overdue quarterly controls (LOG-5): each notice
recorded once by the enforcer, however many passes (and restarts) see it due."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from sqlalchemy import select

from labgate import clock
from labgate.enforcer.notices import overdue_controls, warnings_for
from labgate.enforcer.run import Enforcer
from labgate.model import Person, Project, Review
from tests.enforcer.world import DAY, World, build


def _person(world: World, username: str) -> Person:
    with world.db.read_session() as s:
        found = s.scalar(select(Person).where(Person.username == username))
        assert found is not None
        s.expunge(found)
        return found


@pytest.mark.requirement("PROJ-8")
@pytest.mark.requirement("LOG-1")
def test_owners_are_warned_once_per_end_of_access_and_again_after_a_renewal(
    world: World, enforcer: Enforcer, names: Iterator[str], now: dt.datetime
) -> None:
    manager, researcher, outsider = next(names), next(names), next(names)
    for user in (manager, researcher, outsider):
        world.person(user)
    world.project("pdb", ends_in_days=45, scheme="project_database")
    world.member("pdb", manager, role="pdb_manager")
    world.member("pdb", researcher)
    world.project("far", ends_in_days=200)
    world.member("far", outsider)

    assert enforcer.run_once().notices == 0  # 45 days out: not yet
    with clock.frozen(now + 15 * DAY):
        assert enforcer.run_once().notices == 1
        assert enforcer.run_once().notices == 0
    with clock.frozen(now + 40 * DAY):
        assert enforcer.run_once().notices == 0  # one warning per threshold, not per day

    (warned,) = world.details("enforcer.warn")
    assert warned["recipients"] == [manager]  # a project database's managers hold it
    assert warned["reason"] == "access-ends-soon"
    (event,) = world.events("enforcer.warn")
    assert (event.object_id, event.actor, event.institution) == (
        "pdb", "labgate-enforcer", world.inst_code,
    )  # fmt: skip

    with clock.frozen(now + 40 * DAY), world.db.read_session() as s:
        assert [n.reason for n in warnings_for(s, _person(world, researcher), clock.now())] == [
            "access-ends-soon"
        ]
        assert warnings_for(s, _person(world, outsider), clock.now()) == []

    with world.db.session() as s:  # renewed: a new end of access, warned of again
        project = s.scalar(select(Project).where(Project.code == "pdb"))
        assert project is not None
        project.access_ends_on += 100 * DAY
        project.deletion_deadline += 100 * DAY
    with clock.frozen(now + 130 * DAY):
        enforcer.run_once()
        enforcer.run_once()
    assert [d["access_ends_on"] for d in world.details("enforcer.warn")] == [
        (now.date() + 45 * DAY).isoformat(),
        (now.date() + 145 * DAY).isoformat(),
    ]


@pytest.mark.requirement("PROJ-8")
def test_a_researcher_project_warns_every_current_member(
    world: World, enforcer: Enforcer, names: Iterator[str]
) -> None:
    a, b = next(names), next(names)
    world.person(a)
    world.person(b)
    world.project("fam", ends_in_days=10)
    world.member("fam", a)
    world.member("fam", b)

    enforcer.run_once()

    (warned,) = world.details("enforcer.warn")
    assert warned["recipients"] == sorted([a, b])


@pytest.mark.requirement("LOG-5")
@pytest.mark.requirement("LOG-1")
def test_an_overdue_quarterly_control_is_recorded_once_per_period_for_the_security_officers(
    world: World, enforcer: Enforcer, names: Iterator[str], now: dt.datetime
) -> None:
    officer = next(names)
    world.security_officer(officer)
    other = build(world.db, "ku", registered_days_ago=0)

    with clock.frozen(now + 60 * DAY):
        assert enforcer.run_once().notices == 0  # registered 30 days ago: 90 days, not due
    with clock.frozen(now + 70 * DAY):
        assert enforcer.run_once().notices == 1
        assert enforcer.run_once().notices == 0
        with world.db.read_session() as s:
            assert [c.institution for c in overdue_controls(s, clock.now())] == ["au"]

    (notice,) = world.details("review.overdue")
    assert notice["recipients"] == [officer] and notice["reason"] == "review-overdue"
    (event,) = world.events("review.overdue")
    assert (event.object_kind, event.object_id, event.institution) == ("institution", "au", "au")

    signed = now + 75 * DAY
    with world.db.session() as s:
        s.add(
            Review(
                institution_id=world.inst_id, kind="quarterly", period_start=now,
                period_end=signed, report="{}", report_sha256="0" * 64,
                signed_off_by=officer, signed_off_at=signed,
            )
        )  # fmt: skip
    with clock.frozen(signed + 80 * DAY):
        # ku (registered at `now`) is overdue for the first time, au is not yet again.
        assert enforcer.run_once().notices == 1
    with clock.frozen(signed + 100 * DAY):
        assert enforcer.run_once().notices == 1
    assert sorted(e.object_id for e in world.events("review.overdue")) == ["au", "au", "ku"]
    assert other.inst_code == "ku"
