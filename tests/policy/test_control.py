"""Minimisation, under-use and the quarterly control (PROJ-6, PROJ-7, LOG-5)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from labgate.policy.control import review_due, review_overdue
from labgate.policy.facts import ProjectFacts
from labgate.policy.minimisation import minimisation_report, under_use_report
from tests.policy.factories import NOW, at, grant, project

PDB = project(100, "project_database")
SECOND = dt.timedelta(seconds=1)


def sub(pid: int, **kw: Any) -> ProjectFacts:
    return project(pid, "sub_project", parent_id=100, **kw)


@pytest.mark.requirement("PROJ-6")
def test_a_dataset_used_by_fewer_than_two_sub_projects_is_flagged() -> None:
    subs = [sub(1), sub(2), sub(3, access_ends_on=dt.date(2026, 6, 1))]
    grants = [
        grant(1, 100, dataset_id=7),
        grant(2, 100, dataset_id=8),
        grant(3, 100, dataset_id=9),
        grant(4, 1, dataset_id=7),
        grant(5, 2, dataset_id=7),
        grant(6, 1, dataset_id=8),
        grant(7, 2, dataset_id=8, withdrawn_at=at("2026-02-01")),  # withdrawn: not a use
        grant(8, 3, dataset_id=9),  # sub-project 3's access has ended: not a use
        grant(9, 1, dataset_id=9),
    ]
    flags = minimisation_report(PDB, subs, grants, NOW)
    assert {(f.dataset_id, f.used_by) for f in flags} == {(8, 1), (9, 1)}
    assert all("directly" in f.message for f in flags)


@pytest.mark.requirement("PROJ-6")
@pytest.mark.parametrize(("min_uses", "flagged"), [(1, set()), (2, {8, 9}), (3, {7, 8, 9})])
def test_the_minimum_number_of_uses_is_configurable(min_uses: int, flagged: set[int]) -> None:
    subs = [sub(1), sub(2)]
    grants = [grant(1, 100, dataset_id=d) for d in (7, 8, 9)] + [
        grant(2, 1, dataset_id=7),
        grant(3, 2, dataset_id=7),
        grant(4, 1, dataset_id=8),
        grant(5, 2, dataset_id=9),
    ]
    flags = minimisation_report(PDB, subs, grants, NOW, min_uses)
    assert {f.dataset_id for f in flags} == flagged


@pytest.mark.requirement("PROJ-6")
def test_data_the_project_database_does_not_hold_is_not_reported() -> None:
    flags = minimisation_report(PDB, [sub(1)], [grant(1, 1, dataset_id=7)], NOW)
    assert flags == []


@pytest.mark.requirement("PROJ-7")
@pytest.mark.parametrize(("count", "under"), [(0, True), (4, True), (5, False), (6, False)])
def test_a_project_database_with_few_active_sub_projects_is_reported(
    count: int, under: bool
) -> None:
    ended = [sub(98, expired_at=at("2026-01-02")), sub(99, access_ends_on=dt.date(2026, 6, 15))]
    other_family = [project(97, "sub_project", parent_id=555)]
    report = under_use_report(PDB, [sub(i) for i in range(count)] + ended + other_family, NOW)
    assert (report.active_subprojects, report.under_used) == (count, under)


@pytest.mark.requirement("PROJ-7")
def test_the_under_use_threshold_is_configurable() -> None:
    assert not under_use_report(PDB, [sub(1), sub(2)], NOW, min_active=2).under_used
    assert under_use_report(PDB, [sub(1), sub(2)], NOW, min_active=3).under_used


@pytest.mark.requirement("LOG-5")
@pytest.mark.parametrize(
    ("last", "now", "overdue"),
    [
        (at("2026-03-15"), at("2026-06-14", 23), False),
        (at("2026-03-15"), at("2026-06-15"), False),  # due, not yet overdue
        (at("2026-03-15"), at("2026-06-15") + SECOND, True),
        (None, at("2026-04-01"), False),  # no sign-off yet: three months from first activity
        (None, at("2026-04-01") + SECOND, True),
        (at("2026-05-01"), at("2026-06-15"), False),
    ],
)
def test_the_quarterly_control_is_overdue_more_than_three_months_after_the_last_sign_off(
    last: dt.datetime | None, now: dt.datetime, overdue: bool
) -> None:
    decision = review_overdue(last, at("2026-01-01"), now)
    assert decision.allowed is not overdue
    assert decision.reason == ("review-overdue" if overdue else "review-ok")


@pytest.mark.requirement("LOG-5")
@pytest.mark.parametrize(
    ("signed", "due"),
    [
        ("2026-11-30", "2027-02-28"),
        ("2023-11-29", "2024-02-29"),
        ("2023-11-30", "2024-02-29"),
        ("2026-03-31", "2026-06-30"),
    ],
)
def test_a_review_signed_late_in_a_month_falls_due_at_the_month_end(signed: str, due: str) -> None:
    assert review_due(at(signed), at("2020-01-01"), NOW).date() == dt.date.fromisoformat(due)
