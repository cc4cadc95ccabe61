"""Institutions and the authorisation register (INST-1..3, AUTH-1)."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from labgate.policy.facts import InstitutionAuthorisationFacts
from labgate.policy.identity import (
    authorisation_active,
    institution_authorised,
    may_end_authorisation,
    may_log_in,
    may_own_project_database,
    may_receive_dataset,
    validate_institution_authorisation,
    validate_new_authorisation,
)
from tests.policy.factories import NOW, at, authorisation, dataset, institution, person


@pytest.mark.requirement("AUTH-1")
@pytest.mark.parametrize(
    ("now", "ended_at", "active"),
    [
        (at("2025-12-31", 23), None, False),
        (at("2026-01-01"), None, True),
        (at("2026-12-31", 23), None, True),
        (at("2027-01-01"), None, False),  # the end is exclusive
        (at("2026-06-01"), at("2026-05-01"), False),
        (at("2026-04-30"), at("2026-05-01"), True),
    ],
)
def test_an_authorisation_is_active_inside_its_half_open_period(
    now: dt.datetime, ended_at: dt.datetime | None, active: bool
) -> None:
    assert authorisation_active(authorisation(ended_at=ended_at), now) is active


@pytest.mark.requirement("AUTH-1")
@given(st.datetimes(timezones=st.just(dt.UTC)), st.integers(-400, 400), st.integers(1, 800))
def test_authorisation_active_matches_the_definition(
    now: dt.datetime, start: int, length: int
) -> None:
    a = authorisation()
    a = type(a)(
        id=1,
        valid_from=at("2026-01-01") + dt.timedelta(days=start),
        valid_until=at("2026-01-01") + dt.timedelta(days=start + length),
    )
    assert authorisation_active(a, now) == (a.valid_from <= now < a.valid_until)


@pytest.mark.requirement("AUTH-1")
@pytest.mark.parametrize(
    ("who", "reason"),
    [
        (person(), "ok"),
        (person(authorised=False), "no-authorisation"),
        (person(authorisations=(authorisation(ended_at=at("2026-02-01")),)), "no-authorisation"),
    ],
)
def test_only_people_with_an_active_authorisation_log_in(who, reason: str) -> None:  # type: ignore[no-untyped-def]
    assert may_log_in(who, institution(), NOW).reason == reason


@pytest.mark.requirement("INST-1")
def test_members_of_an_unauthorised_institution_cannot_log_in() -> None:
    lapsed = institution(
        authorisations=(
            InstitutionAuthorisationFacts(
                "researcher", dt.date(2025, 1, 1), dt.date(2026, 1, 1), "P"
            ),
        )
    )
    assert may_log_in(person(), lapsed, NOW).reason == "institution-not-authorised"


@pytest.mark.requirement("INST-1")
@pytest.mark.parametrize(
    ("scheme", "on", "allowed"),
    [
        ("researcher", dt.date(2026, 1, 1), True),
        ("researcher", dt.date(2028, 12, 31), True),
        ("researcher", dt.date(2029, 1, 1), False),
        ("authority", dt.date(2025, 12, 31), False),
        (None, dt.date(2027, 1, 1), True),
    ],
)
def test_an_institution_is_authorised_per_scheme_and_period(
    scheme: str | None, on: dt.date, allowed: bool
) -> None:
    assert institution_authorised(institution(), scheme, on).allowed is allowed


@pytest.mark.requirement("INST-1")
@pytest.mark.parametrize(
    ("new", "reason"),
    [
        (
            InstitutionAuthorisationFacts(
                "researcher", dt.date(2030, 1, 1), dt.date(2031, 1, 1), "P"
            ),
            "ok",
        ),
        (
            InstitutionAuthorisationFacts(
                "researcher", dt.date(2028, 1, 1), dt.date(2030, 1, 1), "P"
            ),
            "overlapping-authorisation",
        ),
        (
            InstitutionAuthorisationFacts(
                "nonsense", dt.date(2030, 1, 1), dt.date(2031, 1, 1), "P"
            ),
            "invalid-scheme",
        ),
        (
            InstitutionAuthorisationFacts(
                "researcher", dt.date(2031, 1, 1), dt.date(2030, 1, 1), "P"
            ),
            "inverted-period",
        ),
        (
            InstitutionAuthorisationFacts(
                "researcher", dt.date(2030, 1, 1), dt.date(2031, 1, 1), " "
            ),
            "missing-security-policy",
        ),
    ],
)
def test_an_institution_authorisation_needs_scheme_period_and_security_policy(
    new, reason: str
) -> None:  # type: ignore[no-untyped-def]
    assert validate_institution_authorisation(institution().authorisations, new).reason == reason


@pytest.mark.requirement("INST-2")
def test_an_institution_owns_at_most_one_project_database() -> None:
    assert may_own_project_database(institution()).allowed
    assert (
        may_own_project_database(institution(project_database_count=1)).reason
        == "project-database-exists"
    )


@pytest.mark.requirement("INST-3")
@pytest.mark.parametrize(
    ("country", "anonymous", "exception", "allowed"),
    [
        ("DK", False, None, True),
        ("SE", False, None, False),
        ("SE", True, None, True),
        ("SE", False, "Nordic cooperation agreement, case 2026-17.", True),
    ],
)
def test_foreign_institutions_get_anonymous_data_unless_an_exception_is_recorded(
    country: str, anonymous: bool, exception: str | None, allowed: bool
) -> None:
    inst = institution(country=country, foreign_exception=exception)
    assert may_receive_dataset(inst, dataset(anonymous=anonymous), "DK").allowed is allowed


@pytest.mark.requirement("AUTH-1")
@pytest.mark.parametrize(
    ("start", "end", "reason"),
    [
        ("2027-01-01", "2028-01-01", "ok"),
        ("2026-12-01", "2027-06-01", "overlapping-authorisation"),
        ("2027-06-01", "2027-01-01", "inverted-period"),
        ("2025-01-01", "2025-06-01", "period-in-past"),
    ],
)
def test_new_authorisations_do_not_overlap_or_invert(start: str, end: str, reason: str) -> None:
    existing = (authorisation(),)
    assert validate_new_authorisation(existing, at(start), at(end), NOW).reason == reason


@pytest.mark.requirement("AUTH-1")
def test_an_ended_authorisation_no_longer_blocks_a_new_period_after_its_end() -> None:
    ended = authorisation(ended_at=at("2026-03-01"))
    assert validate_new_authorisation((ended,), at("2026-07-01"), at("2027-07-01"), NOW).allowed


@pytest.mark.requirement("AUTH-1")
def test_an_authorisation_is_ended_once() -> None:
    assert may_end_authorisation(authorisation(), NOW).allowed
    assert (
        may_end_authorisation(authorisation(ended_at=at("2026-02-01")), NOW).reason
        == "already-ended"
    )
    assert (
        may_end_authorisation(authorisation("2025-01-01", "2026-01-01"), NOW).reason
        == "already-expired"
    )
