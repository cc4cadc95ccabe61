"""Minimisation, under-use and the quarterly control (PROJ-6, PROJ-7, LOG-5)."""

from __future__ import annotations

import datetime as dt

import pytest

from labgate.policy.control import review_due, review_overdue
from labgate.policy.minimisation import minimisation_report, under_use_report
from tests.policy.factories import NOW, at, grant, project

PDB = project(100, "project_database")


def sub(pid: int, **kw) -> object:  # type: ignore[no-untyped-def]
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
        grant(7, 2, dataset_id=8, withdrawn_at=at("2026-02-01")),
        grant(8, 3, dataset_id=9),
        grant(9, 1, dataset_id=9),  # sub 3 has ended
    ]
    flags = minimisation_report(PDB, subs, grants, NOW)  # type: ignore[arg-type]
    assert {(f.dataset_id, f.used_by) for f in flags} == {(8, 1), (9, 1)}
    assert minimisation_report(PDB, subs, grants, NOW, min_uses=1) == []  # type: ignore[arg-type]


@pytest.mark.requirement("PROJ-7")
@pytest.mark.parametrize(("count", "under"), [(4, True), (5, False)])
def test_a_project_database_with_few_active_sub_projects_is_reported(
    count: int, under: bool
) -> None:
    subs = [sub(i) for i in range(count)] + [sub(99, expired_at=at("2026-01-02"))]
    report = under_use_report(PDB, subs, NOW)  # type: ignore[arg-type]
    assert (report.active_subprojects, report.under_used) == (count, under)


@pytest.mark.requirement("LOG-5")
@pytest.mark.parametrize(
    ("last", "now", "overdue"),
    [
        (at("2026-03-15"), at("2026-06-14", 23), False),
        (at("2026-03-15"), at("2026-06-15"), True),
        (None, at("2026-03-31"), False),
        (None, at("2026-04-01"), True),
    ],
)
def test_the_quarterly_control_is_overdue_three_months_after_the_last_sign_off(
    last: dt.datetime | None, now: dt.datetime, overdue: bool
) -> None:
    decision = review_overdue(last, at("2026-01-01"), now)
    assert (decision.reason == "review-overdue") is overdue


@pytest.mark.requirement("LOG-5")
def test_a_review_signed_on_the_31st_falls_due_at_the_month_end() -> None:
    assert review_due(at("2026-11-30"), at("2026-01-01"), NOW).date() == dt.date(2027, 2, 28)


def test_every_denial_reads_as_a_sentence() -> None:
    from labgate.policy import grants, identity, projects, workspaces
    from tests.policy.factories import dataset, institution, person, request

    denials = [
        identity.may_log_in(person(authorised=False), institution(), NOW),
        identity.may_own_project_database(institution(project_database_count=1)),
        grants.validate_grant(
            request(variables={1, 4}), project(), dataset(), institution(), None, NOW, "DK"
        ),
        grants.validate_grant(
            request(years={2030}), project(), dataset(), institution(), None, NOW, "DK"
        ),
        projects.validate_renewal(
            project(scheme="authority"), dt.date(2027, 6, 1), [1], [], [], NOW.date()
        ),
        workspaces.may_start_workspace(person(), institution(), project(101), NOW),
        review_overdue(None, at("2025-01-01"), NOW),
    ]
    for d in denials:
        assert not d.allowed
        assert d.message[0].isupper() and d.message.endswith("."), d.message
