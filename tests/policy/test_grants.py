"""What data a project may be granted (DATA-4, DATA-5, PROJ-5, PROJ-8)."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from labgate.policy.grants import holdings, may_withdraw_grant, validate_grant
from tests.policy.factories import NOW, at, dataset, grant, institution, project, request

SUB = project(200, "sub_project", parent_id=100)


@pytest.mark.requirement("DATA-4")
@pytest.mark.parametrize(
    ("req", "reason"),
    [
        (request(), "ok"),
        (request(variables=set()), "empty-grant"),
        (request(years=set()), "empty-grant"),
        (request(variables={1}), "identifiers-only"),
        (request(variables={1, 99}), "unknown-variable"),
        (request(years={2030}), "unknown-year"),
    ],
)
def test_a_grant_names_real_variables_and_years_of_its_dataset(req, reason: str) -> None:  # type: ignore[no-untyped-def]
    assert (
        validate_grant(req, project(), dataset(), institution(), None, NOW, "DK").reason == reason
    )


@pytest.mark.requirement("DATA-5")
@pytest.mark.parametrize(
    ("justification", "reason"),
    [
        (None, "justification-required"),
        ("because", "justification-required"),
        ("                                   x", "justification-required"),
        ("Postcode links the neighbourhood index.", "ok"),
    ],
)
def test_particularly_identifying_variables_need_a_written_justification(
    justification: str | None, reason: str
) -> None:
    req = request(variables={1, 4}, justification=justification)
    assert (
        validate_grant(req, project(), dataset(), institution(), None, NOW, "DK").reason == reason
    )


@pytest.mark.requirement("PROJ-5")
@pytest.mark.parametrize(
    ("req", "reason"),
    [
        (request(200, variables={1, 3}, years={2020}), "ok"),
        (request(200, variables={1, 3}, years={2020, 2021}), "ok"),
        (request(200, variables={1, 3}, years={2019}), "beyond-parent"),
        (request(200, variables={1, 5}, years={2020}), "beyond-parent"),
        (request(200, dataset_id=8, variables={1, 3}, years={2020}), "beyond-parent"),
    ],
)
def test_a_sub_project_gets_nothing_its_project_database_does_not_hold(req, reason: str) -> None:  # type: ignore[no-untyped-def]
    parent = [
        grant(1, 100, {1, 2, 3}, {2020, 2021}),
        grant(2, 100, {3}, {2018}, withdrawn_at=at("2026-01-05")),
    ]
    ds = dataset(id=req.dataset_id)
    assert validate_grant(req, SUB, ds, institution(), parent, NOW, "DK").reason == reason


@pytest.mark.requirement("PROJ-5")
def test_the_refusal_names_what_the_project_database_lacks() -> None:
    parent = [grant(1, 100, {1, 3}, {2020})]
    decision = validate_grant(
        request(200, {1, 3, 5}, {2020, 2022}), SUB, dataset(), institution(), parent, NOW, "DK"
    )
    assert "protected" in decision.message and "2022" in decision.message


@pytest.mark.requirement("PROJ-5")
@given(
    st.sets(st.integers(1, 5), max_size=5),
    st.sets(st.integers(2018, 2023), max_size=6),
    st.sets(st.integers(1, 5), min_size=1, max_size=5),
    st.sets(st.integers(2018, 2023), min_size=1, max_size=6),
)
def test_an_allowed_sub_project_grant_is_within_the_parent_holdings(
    parent_vars: set[int], parent_years: set[int], want_vars: set[int], want_years: set[int]
) -> None:
    parent = [grant(1, 100, parent_vars, parent_years)]
    req = request(200, want_vars, want_years, justification="A justification of sufficient length.")
    if validate_grant(req, SUB, dataset(), institution(), parent, NOW, "DK").allowed:
        held_vars, held_years = holdings(parent)[7]
        assert want_vars <= held_vars and want_years <= held_years


@pytest.mark.requirement("PROJ-8")
def test_grants_of_an_ended_project_are_frozen() -> None:
    ended = project(access_ends_on=dt.date(2026, 6, 1))
    assert (
        validate_grant(request(), ended, dataset(), institution(), None, NOW, "DK").reason
        == "grants-frozen"
    )
    assert may_withdraw_grant(grant(), ended, NOW).reason == "grants-frozen"
    assert may_withdraw_grant(grant(), project(), NOW).allowed
    assert (
        may_withdraw_grant(grant(withdrawn_at=at("2026-02-01")), project(), NOW).reason
        == "already-withdrawn"
    )


@pytest.mark.requirement("INST-3")
def test_a_foreign_owner_cannot_be_granted_identifiable_data() -> None:
    foreign = institution(country="NO")
    assert (
        validate_grant(request(), project(), dataset(), foreign, None, NOW, "DK").reason
        == "foreign-institution"
    )
