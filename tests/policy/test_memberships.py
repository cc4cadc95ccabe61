"""Who is in a project, and in which role (PROJ-4)."""

from __future__ import annotations

import datetime as dt

import pytest

from labgate.policy.facts import MembershipFacts
from labgate.policy.memberships import memberships_carried
from labgate.policy.projects import may_end_membership, validate_membership
from tests.policy.factories import (
    NOW,
    TODAY,
    at,
    inst_auth,
    institution,
    membership,
    person,
    project,
)

D = dt.date.fromisoformat
START, END = D("2026-06-15"), D("2026-12-01")


def add_manager(ms: tuple[MembershipFacts, ...]) -> str:
    pdb = project(scheme="project_database", memberships=ms)
    decision = validate_membership(pdb, person(9), institution(), "pdb_manager", START, END, TODAY)
    return decision.reason


@pytest.mark.requirement("PROJ-4")
@pytest.mark.parametrize(
    ("existing", "reason"),
    [
        ((), "ok"),
        ((membership(1, role="pdb_manager"),), "ok"),
        # the third manager is allowed ...
        (tuple(membership(i, role="pdb_manager") for i in (1, 2)), "ok"),
        # ... the fourth is refused
        (tuple(membership(i, role="pdb_manager") for i in (1, 2, 3)), "too-many-managers"),
        # a future manager counts too
        (
            (
                *(membership(i, role="pdb_manager") for i in (1, 2)),
                membership(3, role="pdb_manager", valid_from=D("2026-09-01")),
            ),
            "too-many-managers",
        ),
        # an ended manager does not
        (
            (
                *(membership(i, role="pdb_manager") for i in (1, 2)),
                membership(3, role="pdb_manager", ended_at=at("2026-05-01")),
            ),
            "ok",
        ),
        # nor one whose period has passed (ending exactly today)
        (
            (
                *(membership(i, role="pdb_manager") for i in (1, 2)),
                membership(3, role="pdb_manager", valid_until=TODAY),
            ),
            "ok",
        ),
    ],
)
def test_a_project_database_has_at_most_three_managers(
    existing: tuple[MembershipFacts, ...], reason: str
) -> None:
    assert add_manager(existing) == reason


@pytest.mark.requirement("PROJ-4")
@pytest.mark.parametrize(
    ("scheme", "role", "reason"),
    [
        ("project_database", "pdb_manager", "ok"),
        ("project_database", "researcher", "research-in-project-database"),
        ("researcher", "pdb_manager", "manager-outside-project-database"),
        ("sub_project", "pdb_manager", "manager-outside-project-database"),
        ("researcher", "owner", "invalid-role"),
        ("sub_project", "researcher", "ok"),
        ("authority", "researcher", "ok"),
    ],
)
def test_nobody_does_research_in_a_project_database(scheme: str, role: str, reason: str) -> None:
    p = project(scheme=scheme)
    decision = validate_membership(p, person(), institution(), role, START, END, TODAY)
    assert decision.reason == reason


@pytest.mark.requirement("PROJ-4")
@pytest.mark.parametrize(
    ("start", "end", "reason"),
    [
        ("2026-01-01", "2027-01-01", "ok"),  # exactly the project's access period
        ("2026-07-01", "2026-06-01", "inverted-period"),
        ("2026-07-01", "2026-07-01", "inverted-period"),
        ("2025-12-31", "2026-08-01", "outside-project-period"),
        ("2026-07-01", "2027-01-02", "outside-project-period"),
    ],
)
def test_a_membership_lies_within_the_project_period(start: str, end: str, reason: str) -> None:
    decision = validate_membership(
        project(), person(), institution(), "researcher", D(start), D(end), TODAY
    )
    assert decision.reason == reason


@pytest.mark.requirement("PROJ-4")
@pytest.mark.parametrize(
    ("existing", "start", "end", "reason"),
    [
        (membership(10, valid_until=D("2026-09-01")), "2026-08-31", "2026-12-01", "already-member"),
        (membership(10, valid_until=D("2026-09-01")), "2026-09-01", "2026-12-01", "ok"),
        (membership(10, ended_at=at("2026-06-10", 15)), "2026-06-15", "2026-12-01", "ok"),
        (membership(10, ended_at=at("2026-06-15", 9)), "2026-06-15", "2026-12-01", "ok"),
        (membership(10, ended_at=at("2026-09-01")), "2026-06-15", "2026-12-01", "already-member"),
        (membership(11), "2026-06-15", "2026-12-01", "ok"),
    ],
)
def test_a_person_is_member_of_a_project_once_at_a_time(
    existing: MembershipFacts, start: str, end: str, reason: str
) -> None:
    p = project(memberships=(existing,))
    decision = validate_membership(
        p, person(10), institution(), "researcher", D(start), D(end), TODAY
    )
    assert decision.reason == reason


@pytest.mark.requirement("PROJ-8")
def test_nobody_joins_a_project_whose_access_has_ended() -> None:
    ended = project(access_ends_on=TODAY)
    decision = validate_membership(
        ended, person(), institution(), "researcher", D("2026-01-01"), TODAY, TODAY
    )
    assert decision.reason == "project-ended"


@pytest.mark.requirement("INST-1")
def test_a_member_needs_an_authorised_institution() -> None:
    lapsed = institution(authorisations=(inst_auth("researcher", "2025-01-01", "2026-01-01"),))
    decision = validate_membership(project(), person(), lapsed, "researcher", START, END, TODAY)
    assert decision.reason == "institution-not-authorised"


@pytest.mark.parametrize(
    ("m", "reason"),
    [
        (membership(), "ok"),
        (membership(ended_at=at("2026-05-01")), "already-ended"),
        (membership(valid_until=TODAY), "already-ended"),
        (membership(valid_until=D("2026-06-16")), "ok"),
    ],
)
def test_a_membership_is_ended_once_while_it_runs(m: MembershipFacts, reason: str) -> None:
    assert may_end_membership(project(), m, NOW).reason == reason


@pytest.mark.requirement("PROJ-2")
@pytest.mark.requirement("PROJ-3")
def test_a_new_term_carries_the_memberships_that_ran_to_the_old_end() -> None:
    old_end = D("2027-01-01")
    to_the_end = membership(10, id=1, valid_until=old_end)
    shorter = membership(11, id=2, valid_until=D("2026-09-01"))
    ended = membership(12, id=3, valid_until=old_end, ended_at=at("2026-05-01"))
    assert memberships_carried([to_the_end, shorter, ended], old_end) == [1]
