"""The officer area's input checks and chart data, without a hub (LOG-3, LOG-4)."""

from __future__ import annotations

import datetime as dt

import pytest

from labgate.audit.stats import StatRow
from labgate.errors import InvalidInput, NotFound
from labgate.services.officer_views import EventFilters, per_user_totals
from labgate.web.officer import (
    event_filters,
    findings_value,
    institution_value,
    period,
    review_number,
    time_value,
)

UTC = dt.UTC


def filters(
    given: dict[str, str] | None = None, types: list[str] | None = None, csv: bool = False
) -> EventFilters:
    return event_filters((given or {}).get, types or [], csv)


def test_times_are_iso_8601_and_utc_unless_they_say_otherwise() -> None:
    assert time_value("2026-11-01", "since") == dt.datetime(2026, 11, 1, tzinfo=UTC)
    assert time_value("2026-11-01T13:30+01:00", "since") == dt.datetime(
        2026, 11, 1, 12, 30, tzinfo=UTC
    )
    assert time_value("  ", "since") is None
    for bad in ("yesterday", "2026-13-01", "1969-12-31", "2300-01-01", "2026-11-01T25:00"):
        with pytest.raises(InvalidInput) as refused:
            time_value(bad, "since")
        assert str(refused.value).endswith(".")


@pytest.mark.requirement("LOG-3")
def test_a_search_is_checked_before_it_runs() -> None:
    f = filters(
        {"user": "rita", "since": "2026-11-01", "until": "2026-11-02", "outcome": "ok"}, ["login"]
    )
    assert f.actor == "rita" and f.types == ("login",) and f.limit == 50
    assert filters(csv=True).limit == 100_000
    bad = [
        dict(since="2026-11-02", until="2026-11-01"),
        dict(outcome="maybe"),
        dict(limit="0"),
        dict(limit="501"),
        dict(after="-1"),
        dict(user="x" * 129),
        dict(object_id="a\x01b"),
    ]
    for given in bad:
        with pytest.raises(InvalidInput):
            filters(given)
    with pytest.raises(InvalidInput, match="Unknown transaction type"):
        filters(types=["no.such.type"])


@pytest.mark.requirement("LOG-5")
def test_a_period_defaults_to_now_and_must_not_be_inverted() -> None:
    start = dt.datetime(2026, 8, 1, tzinfo=UTC)
    since, until = period(None, None, start)
    assert since == start and until > since
    with pytest.raises(InvalidInput, match="ends before it starts"):
        period("2026-11-20", "2026-11-01", start)


def test_findings_must_be_written_and_storable() -> None:
    assert findings_value("  Nothing found. ") == "Nothing found."
    for bad in (None, "", "   ", 3, "x" * 4001, "a\x00b", "\ud800"):
        with pytest.raises(InvalidInput):
            findings_value(bad)


def test_addresses_that_name_nothing_are_not_found() -> None:
    assert institution_value("uni") == "uni"
    assert institution_value(None) is None
    for bad in ("Uni", "../x", "a" * 41):
        with pytest.raises(NotFound):
            institution_value(bad)
    assert review_number("7") == 7
    for bad in ("0", "x", "99999999999", "٣"):
        with pytest.raises(NotFound):
            review_number(bad)


@pytest.mark.requirement("LOG-4")
def test_the_chart_gives_each_user_their_total_and_share_of_the_largest() -> None:
    rows = [
        StatRow("rita", "login", 3),
        StatRow("rita", "file.access", 5),
        StatRow("sam", "login", 4),
    ]
    assert per_user_totals(rows) == [
        {"user": "rita", "total": 8, "share": 1.0},
        {"user": "sam", "total": 4, "share": 0.5},
    ]
    assert per_user_totals([]) == []
