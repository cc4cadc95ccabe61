"""Projects, terms and their life (PROJ-1..3, PROJ-8, INST-1)."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from labgate.policy.calendar import add_months, add_years
from labgate.policy.projects import (
    ProjectState,
    default_access_end,
    grants_frozen,
    may_expire,
    project_state,
    validate_extension,
    validate_project,
    validate_renewal,
)
from tests.policy.factories import NOW, TODAY, at, inst_auth, institution, project

D = dt.date.fromisoformat


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        ("2024-02-29", 12, "2025-02-28"),
        ("2024-02-29", 48, "2028-02-29"),
        ("2026-01-31", 1, "2026-02-28"),
        ("2026-11-30", 3, "2027-02-28"),
        ("2026-03-15", 3, "2026-06-15"),
        ("2026-03-15", -3, "2025-12-15"),
    ],
)
def test_calendar_arithmetic_clamps_to_month_ends(day: str, months: int, expected: str) -> None:
    assert add_months(D(day), months) == D(expected)


@pytest.mark.parametrize(
    ("scheme", "start", "end"),
    [
        ("authority", "2026-01-01", "2027-01-01"),
        ("authority", "2024-02-29", "2025-02-28"),
        ("project_database", "2024-02-29", "2026-02-28"),
        ("project_database", "2026-03-31", "2028-03-31"),
        ("researcher", "2026-01-01", None),
        ("sub_project", "2026-01-01", None),
    ],
)
def test_default_access_end_follows_the_scheme_term(
    scheme: str, start: str, end: str | None
) -> None:
    assert default_access_end(scheme, D(start)) == (D(end) if end else None)


@pytest.mark.requirement("PROJ-1")
@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({}, "ok"),
        ({"dpia_reference": None, "dpia_not_needed_reason": "Aggregates only."}, "ok"),
        ({"deletion_deadline": D("2027-01-01")}, "ok"),  # deletion on the day access ends
        ({"purpose": " "}, "missing-purpose"),
        ({"legal_basis_art6": ""}, "missing-legal-basis"),
        ({"dpia_reference": None}, "dpia"),
        ({"dpia_not_needed_reason": "Aggregates only."}, "dpia"),
        ({"access_ends_on": D("2025-12-01")}, "inverted-period"),
        ({"access_ends_on": D("2026-01-01")}, "inverted-period"),  # empty period
        ({"deletion_deadline": D("2026-12-31")}, "deletion-before-end"),
        ({"scheme": "hobby"}, "invalid-scheme"),
        ({"parent_id": 5}, "parent-not-allowed"),
    ],
)
def test_a_project_states_purpose_legal_basis_dpia_and_ordered_dates(
    changes: dict[str, Any], reason: str
) -> None:
    assert validate_project(project(**changes), None, institution(), TODAY).reason == reason


@pytest.mark.requirement("INST-1")
@pytest.mark.parametrize(
    ("scheme", "authorised_for", "reason"),
    [
        ("researcher", "researcher", "ok"),
        ("authority", "researcher", "institution-not-authorised"),
        ("project_database", "researcher", "institution-not-authorised"),
        ("sub_project", "researcher", "institution-not-authorised"),
        ("sub_project", "project_database", "ok"),
    ],
)
def test_a_project_needs_its_owner_authorised_for_its_scheme_on_its_start(
    scheme: str, authorised_for: str, reason: str
) -> None:
    owner = institution(authorisations=(inst_auth(authorised_for),))
    parent = project(1, "project_database") if scheme == "sub_project" else None
    p = project(2, scheme, parent_id=1 if parent else None, access_ends_on=D("2026-12-31"))
    assert validate_project(p, parent, owner, TODAY).reason == reason


@pytest.mark.requirement("INST-1")
def test_an_owner_authorised_only_later_cannot_start_a_project_now() -> None:
    owner = institution(authorisations=(inst_auth("researcher", "2026-02-01"),))
    refused = validate_project(project(), None, owner, TODAY)
    assert refused.reason == "institution-not-authorised"


@pytest.mark.requirement("PROJ-2")
@pytest.mark.parametrize(
    ("start", "end", "reason"),
    [
        ("2026-01-01", "2027-01-01", "ok"),
        ("2026-01-01", "2027-01-02", "term-too-long"),
        ("2024-02-29", "2025-02-28", "ok"),
        ("2024-02-29", "2025-03-01", "term-too-long"),
    ],
)
def test_the_authority_scheme_runs_one_year_at_a_time(start: str, end: str, reason: str) -> None:
    owner = institution(authorisations=(inst_auth("authority", "2020-01-01"),))
    p = project(
        scheme="authority",
        starts_on=D(start),
        access_ends_on=D(end),
        deletion_deadline=D(end),
        created_at=at(start),
    )
    assert validate_project(p, None, owner, D(start)).reason == reason


@pytest.mark.requirement("PROJ-2")
@pytest.mark.parametrize(
    ("keep", "remove", "end", "reason"),
    [
        ({1, 2}, set(), "2028-01-01", "ok"),
        ({1}, {2}, "2028-01-01", "ok"),
        (set(), {1, 2}, "2027-06-01", "ok"),
        ({1}, set(), "2028-01-01", "unreviewed-grant"),
        ({1, 2}, {2}, "2028-01-01", "kept-and-removed"),
        ({1, 2, 9}, set(), "2028-01-01", "unknown-grant"),
        ({1}, {2, 9}, "2028-01-01", "unknown-grant"),
        ({1, 2}, set(), "2028-01-02", "term-too-long"),
        ({1, 2}, set(), "2027-01-01", "not-later"),
        ({1, 2}, set(), "2026-12-01", "not-later"),
    ],
)
def test_renewal_reviews_every_grant_and_adds_at_most_a_year(
    keep: set[int], remove: set[int], end: str, reason: str
) -> None:
    p = project(scheme="authority")
    assert validate_renewal(p, D(end), [1, 2], keep, remove, TODAY).reason == reason


@pytest.mark.requirement("PROJ-2")
def test_a_project_without_grants_is_renewed_without_review() -> None:
    assert validate_renewal(project(scheme="authority"), D("2028-01-01"), [], [], [], TODAY)


@pytest.mark.requirement("PROJ-2")
def test_a_lapsed_authority_project_is_renewed_for_a_year_from_today() -> None:
    lapsed = project(scheme="authority", access_ends_on=D("2026-03-01"))
    assert validate_renewal(lapsed, D("2027-06-15"), [], [], [], TODAY).allowed
    too_long = validate_renewal(lapsed, D("2027-06-16"), [], [], [], TODAY)
    assert too_long.reason == "term-too-long"


@pytest.mark.requirement("PROJ-2")
@pytest.mark.parametrize(
    ("p", "reason"),
    [
        (project(), "not-authority"),
        (project(scheme="project_database"), "not-authority"),
        (project(scheme="authority", deleted_at=at("2026-03-01")), "deleted"),
    ],
)
def test_only_live_authority_projects_are_renewed(p: Any, reason: str) -> None:
    assert validate_renewal(p, D("2028-01-01"), [], [], [], TODAY).reason == reason


@pytest.mark.requirement("PROJ-3")
@pytest.mark.parametrize(
    ("created", "end", "reason"),
    [
        ("2026-01-01", "2028-01-01", "ok"),
        ("2026-01-01", "2028-01-02", "term-too-long"),
        ("2024-02-29", "2026-02-28", "ok"),
        ("2024-02-29", "2026-03-01", "term-too-long"),
    ],
)
def test_a_project_database_ends_two_years_after_creation(
    created: str, end: str, reason: str
) -> None:
    pdb = project(
        scheme="project_database",
        starts_on=D(created),
        created_at=at(created, 9),
        access_ends_on=D(end),
        deletion_deadline=D(end),
    )
    owner = institution(authorisations=(inst_auth("project_database", "2020-01-01"),))
    assert validate_project(pdb, None, owner, D(created)).reason == reason


@pytest.mark.requirement("PROJ-3")
@pytest.mark.parametrize(
    ("p", "end", "reason"),
    [
        (project(scheme="project_database"), "2029-01-01", "ok"),
        (project(scheme="project_database"), "2027-01-02", "ok"),
        (project(scheme="project_database"), "2029-01-02", "term-too-long"),
        (project(scheme="project_database"), "2027-01-01", "not-later"),
        (project(scheme="project_database", deleted_at=at("2026-03-01")), "2028-01-01", "deleted"),
        (project(scheme="authority"), "2028-01-01", "not-project-database"),
        (project(scheme="sub_project", parent_id=1), "2028-01-01", "not-project-database"),
    ],
)
def test_a_project_database_is_extended_by_an_explicit_act_of_at_most_two_years(
    p: Any, end: str, reason: str
) -> None:
    assert validate_extension(p, D(end), TODAY).reason == reason


@pytest.mark.requirement("PROJ-3")
@pytest.mark.parametrize(
    ("parent_changes", "child_changes", "reason"),
    [
        ({}, {}, "ok"),
        ({}, {"access_ends_on": D("2028-01-01"), "deletion_deadline": D("2028-02-01")}, "ok"),
        ({"owner_institution_id": 2}, {}, "different-institution"),
        ({"scheme": "researcher"}, {}, "needs-project-database"),
        ({"scheme": "sub_project"}, {}, "needs-project-database"),
        (
            {},
            {"access_ends_on": D("2028-01-02"), "deletion_deadline": D("2028-02-01")},
            "beyond-parent",
        ),
    ],
)
def test_a_sub_project_belongs_to_a_project_database_of_the_same_institution(
    parent_changes: dict[str, Any], child_changes: dict[str, Any], reason: str
) -> None:
    parent = project(
        1, "project_database", access_ends_on=D("2028-01-01"), deletion_deadline=D("2028-06-01")
    )
    child = project(2, "sub_project", parent_id=1, **child_changes)
    assert validate_project(
        child, replace(parent, **parent_changes), institution(), TODAY
    ).reason == (reason)


@pytest.mark.requirement("PROJ-3")
def test_only_a_sub_project_has_a_parent() -> None:
    assert validate_project(project(2, "sub_project"), None, institution(), TODAY).reason == (
        "needs-project-database"
    )
    parent = project(1, "project_database")
    assert validate_project(project(2), parent, institution(), TODAY).reason == (
        "parent-not-allowed"
    )


@pytest.mark.requirement("PROJ-8")
@pytest.mark.parametrize(
    ("now", "changes", "state"),
    [
        (at("2025-12-31", 23), {}, ProjectState.NOT_STARTED),
        (at("2026-01-01"), {}, ProjectState.ACTIVE),
        (at("2026-12-31", 23), {}, ProjectState.ACTIVE),
        (at("2027-01-01"), {}, ProjectState.ACCESS_ENDED),  # the end of access is exclusive
        (at("2026-06-01"), {"expired_at": at("2026-05-01")}, ProjectState.ACCESS_ENDED),
        (at("2026-06-01"), {"expired_at": at("2026-06-01")}, ProjectState.ACCESS_ENDED),
        (at("2026-06-01"), {"expired_at": at("2026-06-01", 1)}, ProjectState.ACTIVE),
        (at("2027-05-31", 23), {}, ProjectState.ACCESS_ENDED),
        (at("2027-06-01"), {}, ProjectState.DUE_FOR_DELETION),
        (at("2027-06-01"), {"deleted_at": at("2027-06-01", 1)}, ProjectState.DELETED),
    ],
)
def test_a_project_passes_from_active_to_ended_to_due_for_deletion(
    now: dt.datetime, changes: dict[str, Any], state: ProjectState
) -> None:
    assert project_state(project(**changes), now) is state


ORDER = list(ProjectState)


@pytest.mark.requirement("PROJ-8")
@given(
    st.datetimes(dt.datetime(2025, 6, 1), dt.datetime(2028, 1, 1), timezones=st.just(dt.UTC)),
    st.timedeltas(dt.timedelta(0), dt.timedelta(days=900)),
    st.one_of(st.none(), st.integers(0, 500)),
)
def test_a_project_never_goes_back_to_an_earlier_state(
    now: dt.datetime, later: dt.timedelta, expired_after_days: int | None
) -> None:
    expired = (
        None
        if expired_after_days is None
        else at("2026-01-01") + dt.timedelta(days=expired_after_days)
    )
    p = project(expired_at=expired)
    before, after = project_state(p, now), project_state(p, now + later)
    assert ORDER.index(before) <= ORDER.index(after)


@pytest.mark.requirement("PROJ-8")
@pytest.mark.parametrize(
    ("now", "frozen"),
    [
        (at("2025-12-01"), False),
        (at("2026-12-31", 23), False),
        (at("2027-01-01"), True),
        (at("2027-07-01"), True),
    ],
)
def test_grants_freeze_at_the_end_of_access(now: dt.datetime, frozen: bool) -> None:
    assert grants_frozen(project(), now) is frozen


@pytest.mark.requirement("PROJ-8")
@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({}, "ok"),
        ({"expired_at": at("2026-06-01")}, "already-ended"),
        ({"access_ends_on": D("2026-06-15")}, "already-ended"),
        ({"deleted_at": at("2026-06-01")}, "already-ended"),
    ],
)
def test_a_project_expires_once(changes: dict[str, Any], reason: str) -> None:
    assert may_expire(project(**changes), NOW).reason == reason


def test_renewal_helpers_keep_29_february_in_mind() -> None:
    assert add_years(D("2024-02-29"), 1) == D("2025-02-28")
    assert add_years(D("2024-02-29"), 4) == D("2028-02-29")
