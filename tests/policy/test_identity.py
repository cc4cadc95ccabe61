"""Institutions and the authorisation register (INST-1..3, AUTH-1)."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from labgate.policy.facts import AuthorisationFacts, InstitutionAuthorisationFacts, PersonFacts
from labgate.policy.identity import (
    authorisation_active,
    institution_authorised,
    may_end_authorisation,
    may_enrol_second_factor,
    may_log_in,
    may_own_project_database,
    may_receive_dataset,
    may_remove_second_factor,
    validate_institution_authorisation,
    validate_new_authorisation,
)
from tests.policy.factories import (
    NOW,
    at,
    authorisation,
    dataset,
    inst_auth,
    institution,
    person,
)

D = dt.date.fromisoformat
BASE = at("2026-01-01")


@pytest.mark.requirement("AUTH-1")
@pytest.mark.parametrize(
    ("now", "ended_at", "active"),
    [
        (at("2025-12-31", 23), None, False),
        (at("2026-01-01"), None, True),  # the start is inclusive
        (at("2026-12-31", 23), None, True),
        (at("2027-01-01") - dt.timedelta(microseconds=1), None, True),
        (at("2027-01-01"), None, False),  # exactly at valid_until: the end is exclusive
        (at("2026-06-01"), at("2026-05-01"), False),
        (at("2026-05-01"), at("2026-05-01"), False),  # exactly at ended_at
        (at("2026-04-30"), at("2026-05-01"), True),
    ],
)
def test_an_authorisation_is_active_inside_its_half_open_period(
    now: dt.datetime, ended_at: dt.datetime | None, active: bool
) -> None:
    assert authorisation_active(authorisation(ended_at=ended_at), now) is active


@pytest.mark.requirement("AUTH-1")
@given(
    st.datetimes(dt.datetime(2024, 1, 1), dt.datetime(2029, 1, 1), timezones=st.just(dt.UTC)),
    st.integers(-400, 400),
    st.integers(1, 800),
    st.one_of(st.none(), st.integers(0, 1200)),
)
def test_authorisation_active_matches_the_definition(
    now: dt.datetime, start: int, length: int, ended_after: int | None
) -> None:
    a = AuthorisationFacts(
        id=1,
        valid_from=BASE + dt.timedelta(days=start),
        valid_until=BASE + dt.timedelta(days=start + length),
        ended_at=None if ended_after is None else BASE + dt.timedelta(days=ended_after),
    )
    inside = a.valid_from <= now < a.valid_until
    assert authorisation_active(a, now) == (inside and (a.ended_at is None or now < a.ended_at))


@pytest.mark.requirement("AUTH-1")
@pytest.mark.parametrize(
    ("who", "reason"),
    [
        (person(), "ok"),
        (person(authorised=False), "no-authorisation"),
        (person(authorisations=(authorisation(ended_at=at("2026-02-01")),)), "no-authorisation"),
        (person(authorisations=(authorisation("2025-01-01", "2026-06-15"),)), "no-authorisation"),
        (person(authorisations=(authorisation("2026-06-16", "2027-01-01"),)), "no-authorisation"),
        (
            person(
                authorisations=(
                    authorisation("2025-01-01", "2026-01-01"),
                    authorisation("2026-06-15", "2027-01-01", id=2),
                )
            ),
            "ok",
        ),
    ],
)
def test_only_people_with_an_active_authorisation_log_in(who: PersonFacts, reason: str) -> None:
    assert may_log_in(who, institution(), NOW).reason == reason


@pytest.mark.requirement("INST-1")
@pytest.mark.parametrize(
    "auths",
    [
        (),
        (inst_auth("researcher", "2025-01-01", "2026-06-15"),),
        (inst_auth("researcher", ended_at=at("2026-03-01")),),
    ],
)
def test_members_of_an_unauthorised_institution_cannot_log_in(
    auths: tuple[InstitutionAuthorisationFacts, ...],
) -> None:
    decision = may_log_in(person(), institution(authorisations=auths), NOW)
    assert decision.reason == "institution-not-authorised"


@pytest.mark.requirement("INST-1")
@pytest.mark.parametrize(
    ("scheme", "on", "allowed"),
    [
        ("researcher", "2026-01-01", True),
        ("researcher", "2028-12-31", True),
        ("researcher", "2029-01-01", False),  # the end date is exclusive
        ("authority", "2025-12-31", False),
        ("sub_project", "2027-01-01", False),  # institutions are not authorised for this
        (None, "2027-01-01", True),
        (None, "2029-01-01", False),
    ],
)
def test_an_institution_is_authorised_per_scheme_and_period(
    scheme: str | None, on: str, allowed: bool
) -> None:
    assert institution_authorised(institution(), scheme, D(on)).allowed is allowed


@pytest.mark.requirement("INST-1")
@pytest.mark.parametrize(
    ("on", "allowed"), [("2026-02-28", True), ("2026-03-01", False), ("2026-04-01", False)]
)
def test_an_ended_institution_authorisation_covers_only_the_days_before_its_end(
    on: str, allowed: bool
) -> None:
    inst = institution(authorisations=(inst_auth("researcher", ended_at=at("2026-03-01", 10)),))
    assert institution_authorised(inst, "researcher", D(on)).allowed is allowed


@pytest.mark.requirement("INST-1")
@pytest.mark.parametrize(
    ("new", "reason"),
    [
        (inst_auth("researcher", "2030-01-01", "2031-01-01"), "ok"),
        (inst_auth("researcher", "2029-01-01", "2030-01-01"), "ok"),  # touches the old end
        (inst_auth("authority", "2028-01-01", "2030-01-01"), "overlapping-authorisation"),
        (inst_auth("researcher", "2028-01-01", "2030-01-01"), "overlapping-authorisation"),
        (inst_auth("nonsense", "2030-01-01", "2031-01-01"), "invalid-scheme"),
        (inst_auth("sub_project", "2030-01-01", "2031-01-01"), "invalid-scheme"),
        (inst_auth("researcher", "2031-01-01", "2030-01-01"), "inverted-period"),
        (inst_auth("researcher", "2030-01-01", "2030-01-01"), "inverted-period"),
        (inst_auth("researcher", "2030-01-01", "2031-01-01", ref=" "), "missing-security-policy"),
    ],
)
def test_an_institution_authorisation_needs_scheme_period_and_security_policy(
    new: InstitutionAuthorisationFacts, reason: str
) -> None:
    existing = (inst_auth("researcher"), inst_auth("authority", "2026-01-01", "2029-01-01"))
    assert validate_institution_authorisation(existing, new).reason == reason


@pytest.mark.requirement("INST-1")
def test_an_ended_institution_authorisation_does_not_block_a_new_one() -> None:
    existing = (inst_auth("researcher", ended_at=at("2026-03-01")),)
    new = inst_auth("researcher", "2026-06-01", "2027-06-01")
    assert validate_institution_authorisation(existing, new).allowed


@pytest.mark.requirement("INST-2")
@pytest.mark.parametrize(("count", "reason"), [(0, "ok"), (1, "project-database-exists")])
def test_an_institution_owns_at_most_one_project_database(count: int, reason: str) -> None:
    inst = institution(project_database_count=count)
    assert may_own_project_database(inst).reason == reason


@pytest.mark.requirement("INST-3")
@pytest.mark.parametrize(
    ("country", "anonymous", "exception", "allowed"),
    [
        ("DK", False, None, True),
        ("dk", False, None, True),
        ("SE", False, None, False),
        ("SE", True, None, True),
        ("SE", False, "Nordic cooperation agreement, case 2026-17.", True),
    ],
)
def test_foreign_institutions_get_anonymous_data_unless_an_exception_is_recorded(
    country: str, anonymous: bool, exception: str | None, allowed: bool
) -> None:
    inst = institution(country=country, foreign_exception=exception)
    decision = may_receive_dataset(inst, dataset(anonymous=anonymous), "DK")
    assert decision.allowed is allowed
    assert decision.reason == ("ok" if allowed else "foreign-institution")


@pytest.mark.requirement("AUTH-1")
@pytest.mark.parametrize(
    ("start", "end", "reason"),
    [
        ("2027-01-01", "2028-01-01", "ok"),  # starts exactly where the existing one ends
        ("2026-12-01", "2027-06-01", "overlapping-authorisation"),
        ("2026-09-01", "2026-10-01", "overlapping-authorisation"),
        ("2027-06-01", "2027-01-01", "inverted-period"),
        ("2027-06-01", "2027-06-01", "inverted-period"),
        ("2025-01-01", "2025-06-01", "period-in-past"),
        ("2025-01-01", "2026-06-15 12:00", "period-in-past"),  # ends exactly now
    ],
)
def test_new_authorisations_do_not_overlap_invert_or_lie_in_the_past(
    start: str, end: str, reason: str
) -> None:
    until = dt.datetime.fromisoformat(end).replace(tzinfo=dt.UTC)
    decision = validate_new_authorisation((authorisation(),), at(start), until, NOW)
    assert decision.reason == reason


@pytest.mark.requirement("AUTH-1")
def test_an_ended_authorisation_blocks_a_new_period_only_up_to_its_end() -> None:
    ended = (authorisation(ended_at=at("2026-03-01")),)
    assert validate_new_authorisation(ended, at("2026-03-01"), at("2027-07-01"), NOW).allowed
    refused = validate_new_authorisation(ended, at("2026-02-28"), at("2027-07-01"), NOW)
    assert refused.reason == "overlapping-authorisation"


@pytest.mark.requirement("AUTH-1")
@given(
    st.lists(
        st.tuples(st.integers(0, 1000), st.integers(1, 400), st.one_of(st.none(), st.integers())),
        max_size=4,
    ),
    st.integers(0, 1000),
    st.integers(1, 400),
)
def test_an_allowed_new_authorisation_overlaps_no_running_entry(
    spans: list[tuple[int, int, int | None]], start: int, length: int
) -> None:
    existing = [
        AuthorisationFacts(
            id=i,
            valid_from=BASE + dt.timedelta(days=s),
            valid_until=BASE + dt.timedelta(days=s + n),
            ended_at=None if e is None else BASE + dt.timedelta(days=s + e % (n + 1)),
        )
        for i, (s, n, e) in enumerate(spans)
    ]
    frm, until = BASE + dt.timedelta(days=start), BASE + dt.timedelta(days=start + length)
    if validate_new_authorisation(existing, frm, until, BASE).allowed:
        for a in existing:
            end = min(a.valid_until, a.ended_at) if a.ended_at else a.valid_until
            assert until <= a.valid_from or end <= frm


@pytest.mark.requirement("AUTH-1")
@pytest.mark.parametrize(
    ("a", "reason"),
    [
        (authorisation(), "ok"),
        (authorisation(ended_at=at("2026-02-01")), "already-ended"),
        (authorisation("2025-01-01", "2026-01-01"), "already-expired"),
        (replace(authorisation("2025-01-01"), valid_until=NOW), "already-expired"),  # ends now
        (authorisation("2027-01-01", "2028-01-01"), "ok"),  # a future one can be ended
    ],
)
def test_an_authorisation_is_ended_once_and_only_while_it_runs(
    a: AuthorisationFacts, reason: str
) -> None:
    assert may_end_authorisation(a, NOW).reason == reason


@pytest.mark.requirement("AUTH-4")
@pytest.mark.parametrize(
    ("enrolled", "reason"), [(True, "ok"), (False, "second-factor-not-enrolled")]
)
def test_only_a_registered_authenticator_app_can_be_removed(enrolled: bool, reason: str) -> None:
    assert may_remove_second_factor("tove", enrolled).reason == reason


@pytest.mark.requirement("AUTH-4")
@pytest.mark.parametrize(
    ("enrolled", "replace", "reason"),
    [
        (False, False, "ok"),
        (False, True, "ok"),
        (True, True, "ok"),
        (True, False, "second-factor-already-enrolled"),
    ],
)
def test_a_registered_authenticator_app_is_replaced_only_when_asked(
    enrolled: bool, replace: bool, reason: str
) -> None:
    assert may_enrol_second_factor("tove", enrolled, replace).reason == reason
