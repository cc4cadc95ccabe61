"""Notices of an end of access (PROJ-8) and of an overdue quarterly control (LOG-5)."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from typing import Any

import pytest

from labgate.policy.facts import ProjectFacts
from labgate.policy.notices import end_of_access_warning, review_overdue_notice, warning_recipients
from tests.policy import factories as f

ENDS = dt.date(2026, 7, 15)  # f.NOW is 2026-06-15 12:00: 30 days before


def _project(**kw: Any) -> ProjectFacts:
    return f.project(access_ends_on=ENDS, deletion_deadline=ENDS, **kw)


@pytest.mark.requirement("PROJ-8")
@pytest.mark.parametrize(
    ("days_before", "days", "reason"),
    [
        (31, 30, None),
        (30, 30, "access-ends-soon"),
        (1, 30, "access-ends-soon"),
        (0, 30, None),  # the end of access itself: no longer active, nothing to warn of
        (8, 7, None),
        (7, 7, "access-ends-soon"),
    ],
)
def test_the_warning_starts_days_before_the_end_of_access_and_stops_at_it(
    days_before: int, days: int, reason: str | None
) -> None:
    now = dt.datetime.combine(ENDS - dt.timedelta(days=days_before), dt.time(12), dt.UTC)
    notice = end_of_access_warning(_project(), now, days)
    assert (notice.reason if notice else None) == reason


@pytest.mark.requirement("PROJ-8")
def test_the_warning_key_names_the_end_of_access_and_threshold_not_the_day() -> None:
    p = _project()
    notices = [end_of_access_warning(p, f.NOW + dt.timedelta(days=d), 30) for d in range(29)]
    keys = {n.key for n in notices if n is not None}
    assert len(keys) == 1 and None not in notices
    assert keys == {"access-ends:2026-07-15:within:30"}
    renewed = replace(p, access_ends_on=dt.date(2026, 8, 1), deletion_deadline=dt.date(2026, 8, 1))
    later = end_of_access_warning(renewed, f.NOW + dt.timedelta(days=20), 30)
    assert later is not None and later.key not in keys


def test_an_expired_project_is_not_warned() -> None:
    p = _project(expired_at=f.NOW - dt.timedelta(hours=1))
    assert end_of_access_warning(p, f.NOW, 30) is None


@pytest.mark.requirement("PROJ-8")
def test_managers_are_warned_or_every_current_member_where_there_is_none() -> None:
    pdb = replace(
        f.project(scheme="project_database"),
        memberships=(
            f.membership(person_id=1, role="pdb_manager"),
            f.membership(person_id=2),
            f.membership(person_id=3, role="pdb_manager", ended_at=f.NOW),
        ),
    )
    plain = replace(f.project(), memberships=(f.membership(person_id=5), f.membership(person_id=4)))
    assert warning_recipients(pdb, f.TODAY) == (1,)
    assert warning_recipients(plain, f.TODAY) == (4, 5)


@pytest.mark.requirement("LOG-5")
def test_one_overdue_notice_per_period_keyed_by_its_due_day() -> None:
    start = dt.datetime(2026, 1, 10, 9, tzinfo=dt.UTC)
    assert review_overdue_notice(None, start, dt.datetime(2026, 4, 10, 9, tzinfo=dt.UTC)) is None
    first = review_overdue_notice(None, start, dt.datetime(2026, 4, 10, 9, 1, tzinfo=dt.UTC))
    later = review_overdue_notice(None, start, dt.datetime(2026, 6, 1, tzinfo=dt.UTC))
    assert first is not None and later is not None
    assert first.key == later.key == "review-due:2026-04-10" and first.reason == "review-overdue"
    signed = dt.datetime(2026, 6, 2, tzinfo=dt.UTC)
    again = review_overdue_notice(signed, start, dt.datetime(2026, 9, 3, tzinfo=dt.UTC))
    assert again is not None and again.key == "review-due:2026-09-02"
