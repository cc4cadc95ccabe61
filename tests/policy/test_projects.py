"""Projects, terms and memberships (PROJ-1..4, PROJ-8)."""

from __future__ import annotations

import datetime as dt

import pytest

from labgate.policy.calendar import add_months, add_years
from labgate.policy.projects import (
    ProjectState,
    default_access_end,
    grants_frozen,
    may_expire,
    validate_extension,
    validate_membership,
    validate_project,
    validate_renewal,
)
from tests.policy.factories import NOW, TODAY, at, institution, membership, person, project


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        ("2024-02-29", 12, "2025-02-28"),
        ("2026-01-31", 1, "2026-02-28"),
        ("2026-11-30", 3, "2027-02-28"),
        ("2026-03-15", 3, "2026-06-15"),
    ],
)
def test_calendar_arithmetic_clamps_to_month_ends(day: str, months: int, expected: str) -> None:
    assert add_months(dt.date.fromisoformat(day), months) == dt.date.fromisoformat(expected)


@pytest.mark.requirement("PROJ-1")
@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({}, "ok"),
        ({"purpose": " "}, "missing-purpose"),
        ({"legal_basis_art6": ""}, "missing-legal-basis"),
        ({"dpia_reference": None}, "dpia"),
        ({"dpia_not_needed_reason": "Aggregates only."}, "dpia"),
        ({"access_ends_on": dt.date(2025, 12, 1)}, "inverted-period"),
        ({"deletion_deadline": dt.date(2026, 12, 1)}, "deletion-before-end"),
        ({"scheme": "hobby"}, "invalid-scheme"),
    ],
)
def test_a_project_states_purpose_legal_basis_dpia_and_ordered_dates(
    changes: dict, reason: str
) -> None:  # type: ignore[type-arg]
    assert validate_project(project(**changes), None, institution(), TODAY).reason == reason


@pytest.mark.requirement("INST-1")
def test_a_project_needs_its_owner_authorised_for_its_scheme() -> None:
    only_research = institution(authorisations=institution().authorisations[:1])
    p = project(scheme="authority", access_ends_on=dt.date(2026, 12, 31))
    assert validate_project(p, None, only_research, TODAY).reason == "institution-not-authorised"


@pytest.mark.requirement("PROJ-2")
@pytest.mark.parametrize(
    ("end", "reason"), [(dt.date(2027, 1, 1), "ok"), (dt.date(2027, 1, 2), "term-too-long")]
)
def test_the_authority_scheme_runs_one_year_at_a_time(end: dt.date, reason: str) -> None:
    p = project(scheme="authority", access_ends_on=end, deletion_deadline=end)
    assert validate_project(p, None, institution(), TODAY).reason == reason
    assert default_access_end("authority", dt.date(2026, 1, 1)) == dt.date(2027, 1, 1)


@pytest.mark.requirement("PROJ-2")
@pytest.mark.parametrize(
    ("keep", "remove", "end", "reason"),
    [
        ({1, 2}, set(), dt.date(2028, 1, 1), "ok"),
        ({1}, {2}, dt.date(2028, 1, 1), "ok"),
        ({1}, set(), dt.date(2028, 1, 1), "unreviewed-grant"),
        ({1, 2}, {2}, dt.date(2028, 1, 1), "kept-and-removed"),
        ({1, 2, 9}, set(), dt.date(2028, 1, 1), "unknown-grant"),
        ({1, 2}, set(), dt.date(2028, 1, 2), "term-too-long"),
        ({1, 2}, set(), dt.date(2026, 12, 1), "not-later"),
    ],
)
def test_renewal_reviews_every_grant_and_adds_at_most_a_year(
    keep: set[int], remove: set[int], end: dt.date, reason: str
) -> None:
    p = project(scheme="authority")
    assert validate_renewal(p, end, [1, 2], keep, remove, TODAY).reason == reason


@pytest.mark.requirement("PROJ-2")
def test_only_authority_projects_are_renewed() -> None:
    assert (
        validate_renewal(project(), dt.date(2028, 1, 1), [], [], [], TODAY).reason
        == "not-authority"
    )


@pytest.mark.requirement("PROJ-3")
def test_a_project_database_ends_two_years_after_creation_unless_extended() -> None:
    pdb = project(scheme="project_database", access_ends_on=add_years(dt.date(2026, 1, 1), 2))
    pdb = pdb.__class__(**{**pdb.__dict__, "deletion_deadline": dt.date(2028, 6, 1)})
    assert validate_project(pdb, None, institution(), TODAY).allowed
    too_long = pdb.__class__(**{**pdb.__dict__, "access_ends_on": dt.date(2028, 1, 2)})
    assert validate_project(too_long, None, institution(), TODAY).reason == "term-too-long"
    assert validate_extension(pdb, dt.date(2029, 1, 1), TODAY).allowed
    assert validate_extension(pdb, dt.date(2030, 1, 2), TODAY).reason == "term-too-long"
    assert (
        validate_extension(project(), dt.date(2029, 1, 1), TODAY).reason == "not-project-database"
    )


@pytest.mark.requirement("PROJ-3")
@pytest.mark.parametrize(
    ("parent_changes", "child_changes", "reason"),
    [
        ({}, {}, "ok"),
        ({"owner_institution_id": 2}, {}, "different-institution"),
        ({"scheme": "researcher"}, {}, "needs-project-database"),
        (
            {},
            {"access_ends_on": dt.date(2028, 2, 1), "deletion_deadline": dt.date(2028, 2, 1)},
            "beyond-parent",
        ),
    ],
)
def test_a_sub_project_belongs_to_a_project_database_of_the_same_institution(
    parent_changes: dict,
    child_changes: dict,
    reason: str,  # type: ignore[type-arg]
) -> None:
    parent = project(
        1, **{"scheme": "project_database", "access_ends_on": dt.date(2028, 1, 1), **parent_changes}
    )
    child = project(2, "sub_project", parent_id=1, **child_changes)
    assert validate_project(child, parent, institution(), TODAY).reason == reason


@pytest.mark.requirement("PROJ-4")
def test_a_project_database_has_at_most_three_managers() -> None:
    managers = tuple(membership(i, 100, "pdb_manager") for i in (1, 2, 3))
    pdb = project(scheme="project_database", memberships=managers[:2])
    new = person(9)
    start, end = dt.date(2026, 6, 15), dt.date(2026, 12, 1)
    assert validate_membership(pdb, new, institution(), "pdb_manager", start, end, TODAY).allowed
    full = project(scheme="project_database", memberships=managers)
    refused = validate_membership(full, new, institution(), "pdb_manager", start, end, TODAY)
    assert refused.reason == "too-many-managers"
    one_ended = (*managers[:2], membership(3, 100, "pdb_manager", ended_at=at("2026-05-01")))
    freed = project(scheme="project_database", memberships=one_ended)
    assert validate_membership(freed, new, institution(), "pdb_manager", start, end, TODAY).allowed


@pytest.mark.requirement("PROJ-4")
@pytest.mark.parametrize(
    ("scheme", "role", "reason"),
    [
        ("project_database", "researcher", "research-in-project-database"),
        ("researcher", "pdb_manager", "manager-outside-project-database"),
        ("researcher", "owner", "invalid-role"),
        ("sub_project", "researcher", "ok"),
    ],
)
def test_nobody_does_research_in_a_project_database(scheme: str, role: str, reason: str) -> None:
    p = project(scheme=scheme)
    decision = validate_membership(
        p, person(), institution(), role, TODAY, dt.date(2026, 12, 1), TODAY
    )
    assert decision.reason == reason


@pytest.mark.parametrize(
    ("start", "end", "reason"),
    [
        (dt.date(2026, 7, 1), dt.date(2026, 6, 1), "inverted-period"),
        (dt.date(2025, 7, 1), dt.date(2026, 8, 1), "outside-project-period"),
        (dt.date(2026, 7, 1), dt.date(2027, 2, 1), "outside-project-period"),
    ],
)
def test_a_membership_lies_within_the_project_period(
    start: dt.date, end: dt.date, reason: str
) -> None:
    assert (
        validate_membership(
            project(), person(), institution(), "researcher", start, end, TODAY
        ).reason
        == reason
    )


def test_a_person_is_not_added_twice_for_the_same_period() -> None:
    p = project(memberships=(membership(10, 100),))
    decision = validate_membership(
        p, person(10), institution(), "researcher", TODAY, dt.date(2026, 9, 1), TODAY
    )
    assert decision.reason == "already-member"


@pytest.mark.requirement("PROJ-8")
@pytest.mark.parametrize(
    ("now", "changes", "state"),
    [
        (at("2025-12-31"), {}, ProjectState.NOT_STARTED),
        (at("2026-06-01"), {}, ProjectState.ACTIVE),
        (at("2027-01-01"), {}, ProjectState.ACCESS_ENDED),
        (at("2026-06-01"), {"expired_at": at("2026-05-01")}, ProjectState.ACCESS_ENDED),
        (at("2027-06-01"), {}, ProjectState.DUE_FOR_DELETION),
        (at("2027-06-01"), {"deleted_at": at("2027-06-01", 1)}, ProjectState.DELETED),
    ],
)
def test_a_project_passes_from_active_to_ended_to_due_for_deletion(
    now: dt.datetime,
    changes: dict,
    state: ProjectState,  # type: ignore[type-arg]
) -> None:
    from labgate.policy.projects import project_state

    assert project_state(project(**changes), now) is state


@pytest.mark.requirement("PROJ-8")
def test_grants_freeze_at_the_end_of_access_and_an_ended_project_cannot_expire_again() -> None:
    assert not grants_frozen(project(), NOW)
    assert grants_frozen(project(access_ends_on=dt.date(2026, 6, 15)), NOW)
    assert may_expire(project(), NOW).allowed
    assert may_expire(project(expired_at=at("2026-06-01")), NOW).reason == "already-ended"
