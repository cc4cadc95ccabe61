"""May this person start a workspace on this project now? (WS-1, AUTH-5, PROJ-4, PROJ-8)"""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from labgate.policy.facts import PersonFacts, ProjectFacts
from labgate.policy.workspaces import may_start_workspace, no_such_project, usable_projects
from tests.policy.factories import NOW, at, inst_auth, institution, membership, person, project

D = dt.date.fromisoformat
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
                starts_on=D("2026-06-16"),
                memberships=(membership(10, 100, valid_from=D("2026-06-01")),),
            ),
            "not-started",
        ),
        (
            ANNA,
            project(
                100,
                starts_on=D("2026-06-15"),
                memberships=(membership(10, 100, valid_from=D("2026-06-15")),),
            ),
            "ok",
        ),
        (
            ANNA,
            project(
                100,
                access_ends_on=D("2026-06-15"),  # access ends today: already over
                deletion_deadline=D("2026-09-01"),
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
            project(100, deleted_at=at("2026-06-15", 11), memberships=A.memberships),
            "access-ended",
        ),
        (
            ANNA,
            project(100, memberships=(membership(10, 100, ended_at=at("2026-06-01")),)),
            "no-such-project",
        ),
        (
            ANNA,
            project(100, memberships=(membership(10, 100, valid_until=D("2026-06-15")),)),
            "no-such-project",
        ),
        (
            ANNA,
            project(100, memberships=(membership(10, 100, valid_until=D("2026-06-16")),)),
            "ok",
        ),
        (
            ANNA,
            project(100, memberships=(membership(10, 100, valid_from=D("2026-06-16")),)),
            "no-such-project",
        ),
    ],
)
def test_a_workspace_starts_only_for_an_active_member_in_the_access_period(
    who: PersonFacts, proj: ProjectFacts, reason: str
) -> None:
    assert may_start_workspace(who, institution(), proj, NOW).reason == reason


@pytest.mark.requirement("WS-1")
def test_a_workspace_needs_an_authorised_institution() -> None:
    lapsed = institution(authorisations=(inst_auth("researcher", "2025-01-01", "2026-06-15"),))
    assert may_start_workspace(ANNA, lapsed, A, NOW).reason == "institution-not-authorised"


@pytest.mark.requirement("AUTH-5")
def test_a_member_of_project_a_gets_nothing_of_project_b() -> None:
    assert may_start_workspace(ANNA, institution(), B, NOW).reason == "no-such-project"
    assert [p.code for p in usable_projects(ANNA, institution(), [B, A], NOW)] == ["p100"]


@pytest.mark.requirement("AUTH-5")
def test_not_allowed_reads_the_same_as_not_found() -> None:
    forbidden = may_start_workspace(ANNA, institution(), B, NOW)
    assert forbidden == no_such_project(B.code)
    ended_elsewhere = project(101, access_ends_on=D("2026-06-01"), memberships=B.memberships)
    assert may_start_workspace(ANNA, institution(), ended_elsewhere, NOW) == forbidden


@pytest.mark.requirement("PROJ-4")
def test_only_managers_open_a_workspace_on_a_project_database() -> None:
    pdb = project(
        100,
        "project_database",
        memberships=(membership(10, 100, "pdb_manager"), membership(11, 100)),
    )
    assert may_start_workspace(person(10), institution(), pdb, NOW).allowed
    assert may_start_workspace(person(11), institution(), pdb, NOW).reason == "no-such-project"


@pytest.mark.requirement("WS-1")
def test_usable_projects_are_sorted_by_code() -> None:
    ps = [project(i, code=c, memberships=(membership(10, i),)) for i, c in [(1, "zz"), (2, "aa")]]
    assert [p.code for p in usable_projects(ANNA, institution(), ps, NOW)] == ["aa", "zz"]


@pytest.mark.requirement("WS-1")
@given(
    st.lists(
        st.tuples(st.integers(-60, 60), st.integers(1, 90), st.booleans(), st.integers(10, 11)),
        max_size=6,
    ),
    st.integers(-30, 30),
)
def test_every_usable_project_has_a_running_membership_of_the_person(
    spans: list[tuple[int, int, bool, int]], offset: int
) -> None:
    now = NOW + dt.timedelta(days=offset)
    projects = [
        project(
            i,
            memberships=(
                membership(
                    who,
                    i,
                    valid_from=NOW.date() + dt.timedelta(days=start),
                    valid_until=NOW.date() + dt.timedelta(days=start + length),
                    ended_at=at("2026-06-01") if ended else None,
                ),
            ),
        )
        for i, (start, length, ended, who) in enumerate(spans)
    ]
    for p in usable_projects(ANNA, institution(), projects, now):
        assert any(
            m.person_id == ANNA.id
            and m.ended_at is None
            and m.valid_from <= now.date() < m.valid_until
            for m in p.memberships
        )
