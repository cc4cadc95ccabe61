"""May this person start a workspace on this project now? (WS-1, AUTH-5, PROJ-4)"""

from __future__ import annotations

import datetime as dt

import pytest

from labgate.policy.workspaces import may_start_workspace, usable_projects
from tests.policy.factories import NOW, at, institution, membership, person, project

ANNA = person(10)
A = project(100, memberships=(membership(10, 100),))
B = project(101, memberships=(membership(11, 101),))


@pytest.mark.requirement("WS-1")
@pytest.mark.parametrize(
    ("who", "proj", "reason"),
    [
        (ANNA, A, "ok"),
        (person(10, authorised=False), A, "no-authorisation"),
        (
            ANNA,
            project(
                100,
                starts_on=dt.date(2026, 7, 1),
                memberships=(membership(10, 100, valid_from=dt.date(2026, 6, 1)),),
            ),
            "not-started",
        ),
        (
            ANNA,
            project(
                100,
                access_ends_on=dt.date(2026, 6, 15),
                deletion_deadline=dt.date(2026, 9, 1),
                memberships=A.memberships,
            ),
            "access-ended",
        ),
        (
            ANNA,
            project(100, expired_at=at("2026-06-15", 11), memberships=A.memberships),
            "access-ended",
        ),
        (
            ANNA,
            project(100, memberships=(membership(10, 100, ended_at=at("2026-06-01")),)),
            "no-such-project",
        ),
        (
            ANNA,
            project(100, memberships=(membership(10, 100, valid_until=dt.date(2026, 6, 15)),)),
            "no-such-project",
        ),
    ],
)
def test_a_workspace_starts_only_for_an_active_member_in_the_access_period(
    who, proj, reason: str
) -> None:  # type: ignore[no-untyped-def]
    assert may_start_workspace(who, institution(), proj, NOW).reason == reason


@pytest.mark.requirement("AUTH-5")
def test_a_member_of_project_a_gets_nothing_of_project_b() -> None:
    refused = may_start_workspace(ANNA, institution(), B, NOW)
    assert refused.reason == "no-such-project"
    assert [p.code for p in usable_projects(ANNA, institution(), [B, A], NOW)] == ["p100"]


@pytest.mark.requirement("AUTH-5")
def test_not_allowed_reads_the_same_as_not_found() -> None:
    ghost = project(102)
    forbidden = may_start_workspace(ANNA, institution(), B, NOW).message
    missing = may_start_workspace(ANNA, institution(), ghost, NOW).message
    assert forbidden.replace("p101", "X") == missing.replace("p102", "X")


@pytest.mark.requirement("PROJ-4")
def test_only_managers_open_a_workspace_on_a_project_database() -> None:
    pdb = project(
        100,
        "project_database",
        memberships=(membership(10, 100, "pdb_manager"), membership(11, 100)),
    )
    assert may_start_workspace(person(10), institution(), pdb, NOW).allowed
    assert may_start_workspace(person(11), institution(), pdb, NOW).reason == "no-such-project"
