"""What data a project may be granted (DATA-4, DATA-5, PROJ-4, PROJ-5, PROJ-8, INST-3)."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from labgate.policy.facts import GrantFacts, GrantRequest, ProjectFacts
from labgate.policy.grants import effective_grants, holdings, may_withdraw_grant, validate_grant
from tests.policy.factories import NOW, at, dataset, grant, institution, project, request

SUB = project(200, "sub_project", parent_id=100)
PDB = project(100, "project_database")
JUSTIFIED = "Postcode links the neighbourhood index."


def decide(
    req: GrantRequest, p: ProjectFacts | None = None, parent: list[GrantFacts] | None = None
) -> str:
    target = project() if p is None else p
    return validate_grant(req, target, dataset(), institution(), parent, NOW, "DK").reason


def test_effective_grants_and_holdings_ignore_withdrawn_grants() -> None:
    gs = [
        grant(1, variables={1, 3}, years={2020}),
        grant(2, variables={3, 4}, years={2021}),
        grant(3, variables={5}, years={2018}, withdrawn_at=at("2026-02-01")),
        grant(4, dataset_id=8, variables={9}, years={2019}),
    ]
    assert [g.id for g in effective_grants(gs)] == [1, 2, 4]
    assert holdings(gs) == {
        7: (frozenset({1, 3, 4}), frozenset({2020, 2021})),
        8: (frozenset({9}), frozenset({2019})),
    }


@pytest.mark.requirement("DATA-4")
@pytest.mark.parametrize(
    ("req", "reason"),
    [
        (request(), "ok"),
        (request(variables={3}), "ok"),  # no identifier at all is fine
        (request(variables={1, 2, 3, 5}, years={2018, 2023}), "ok"),  # first and last year
        (request(variables=set()), "empty-grant"),
        (request(years=set()), "empty-grant"),
        (request(variables={1}), "identifiers-only"),
        (request(variables={1, 99}), "unknown-variable"),
        (request(years={2030}), "unknown-year"),
        (request(years={2017, 2020}), "unknown-year"),
        (request(years={2024}), "unknown-year"),
    ],
)
def test_a_grant_names_real_variables_and_years_of_its_dataset(
    req: GrantRequest, reason: str
) -> None:
    assert decide(req) == reason


@pytest.mark.requirement("DATA-5")
@pytest.mark.parametrize(
    ("justification", "reason"),
    [
        (None, "justification-required"),
        ("", "justification-required"),
        ("because", "justification-required"),
        ("                                   x", "justification-required"),
        ("a b c d e f g h i j k l m n o p q r s", "justification-required"),  # 19 letters
        ("a b c d e f g h i j k l m n o p q r s t", "ok"),  # 20 letters
        (JUSTIFIED, "ok"),
    ],
)
def test_particularly_identifying_variables_need_a_written_justification(
    justification: str | None, reason: str
) -> None:
    assert decide(request(variables={1, 4}, justification=justification)) == reason


@pytest.mark.requirement("DATA-5")
def test_ordinary_variables_need_no_justification() -> None:
    assert decide(request(variables={1, 3, 5}, justification=None)) == "ok"


@pytest.mark.requirement("PROJ-5")
@pytest.mark.parametrize(
    ("req", "reason"),
    [
        (request(200, variables={1, 3}, years={2020}), "ok"),
        (request(200, variables={1, 3}, years={2020, 2021}), "ok"),
        (request(200, variables={1, 3}, years={2019}), "beyond-parent"),
        (request(200, variables={1, 3}, years={2018}), "beyond-parent"),  # only withdrawn
        (request(200, variables={1, 5}, years={2020}), "beyond-parent"),
        (request(200, dataset_id=8, variables={1, 3}, years={2020}), "beyond-parent"),
    ],
)
def test_a_sub_project_gets_nothing_its_project_database_does_not_hold(
    req: GrantRequest, reason: str
) -> None:
    parent = [
        grant(1, 100, {1, 2, 3}, {2020, 2021}),
        grant(2, 100, {3}, {2018}, withdrawn_at=at("2026-01-05")),
    ]
    ds = dataset(id=req.dataset_id)
    assert validate_grant(req, SUB, ds, institution(), parent, NOW, "DK").reason == reason


@pytest.mark.requirement("PROJ-5")
def test_a_sub_project_without_known_parent_grants_gets_nothing() -> None:
    assert decide(request(200), SUB, None) == "beyond-parent"
    assert decide(request(200), SUB, []) == "beyond-parent"


@pytest.mark.requirement("PROJ-5")
def test_the_refusal_names_what_the_project_database_lacks() -> None:
    parent = [grant(1, 100, {1, 3}, {2020})]
    decision = validate_grant(
        request(200, {1, 3, 5}, {2020, 2022}), SUB, dataset(), institution(), parent, NOW, "DK"
    )
    assert decision.reason == "beyond-parent"
    assert "protected" in decision.message and "2022" in decision.message
    assert "income" not in decision.message and "2020" not in decision.message


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
    req = request(200, want_vars, want_years, justification=JUSTIFIED)
    if validate_grant(req, SUB, dataset(), institution(), parent, NOW, "DK").allowed:
        held_vars, held_years = holdings(parent)[7]
        assert want_vars <= held_vars and want_years <= held_years


@pytest.mark.requirement("PROJ-5")
@given(st.sets(st.integers(1, 5), min_size=1), st.sets(st.integers(2018, 2023), min_size=1))
def test_whatever_the_project_database_holds_can_be_passed_on(
    variables: set[int], years: set[int]
) -> None:
    parent = [grant(1, 100, variables, years)]
    req = request(200, variables, years, justification=JUSTIFIED)
    decision = validate_grant(req, SUB, dataset(), institution(), parent, NOW, "DK")
    assert decision.allowed or decision.reason == "identifiers-only"


@pytest.mark.requirement("PROJ-4")
def test_a_project_database_itself_holds_grants_without_a_parent() -> None:
    assert decide(request(100), PDB, None) == "ok"


def test_only_a_sub_project_grant_is_limited_to_a_population() -> None:
    parent = [grant(1, 100, {1, 3}, {2020})]
    assert decide(request(200, population_id=5), SUB, parent) == "ok"
    assert decide(request(100, population_id=5), PDB) == "population-outside-sub-project"


@pytest.mark.requirement("PROJ-8")
@pytest.mark.parametrize(
    ("p", "reason"),
    [
        (project(), "ok"),
        (project(starts_on=dt.date(2026, 7, 1)), "ok"),  # data can be prepared before the start
        (project(access_ends_on=dt.date(2026, 6, 15)), "grants-frozen"),  # ends today
        (project(expired_at=at("2026-06-01")), "grants-frozen"),
        (project(deleted_at=at("2026-06-01")), "grants-frozen"),
    ],
)
def test_grants_of_an_ended_project_are_frozen(p: ProjectFacts, reason: str) -> None:
    assert decide(request(), p) == reason


@pytest.mark.requirement("PROJ-8")
@pytest.mark.parametrize(
    ("g", "p", "reason"),
    [
        (grant(), project(), "ok"),
        (grant(withdrawn_at=at("2026-02-01")), project(), "already-withdrawn"),
        (grant(), project(access_ends_on=dt.date(2026, 6, 1)), "grants-frozen"),
        (grant(), project(expired_at=at("2026-06-15", 11)), "grants-frozen"),
    ],
)
def test_a_grant_is_withdrawn_once_and_not_after_the_end_of_access(
    g: GrantFacts, p: ProjectFacts, reason: str
) -> None:
    assert may_withdraw_grant(g, p, NOW).reason == reason


@pytest.mark.requirement("INST-3")
@pytest.mark.parametrize(
    ("country", "exception", "anonymous", "reason"),
    [
        ("NO", None, False, "foreign-institution"),
        ("NO", "Agreement with SSB, case 17.", False, "ok"),
        ("NO", None, True, "ok"),
        ("DK", None, False, "ok"),
    ],
)
def test_a_foreign_owner_is_granted_anonymous_data_only(
    country: str, exception: str | None, anonymous: bool, reason: str
) -> None:
    owner = institution(country=country, foreign_exception=exception)
    ds = dataset(anonymous=anonymous)
    assert validate_grant(request(), project(), ds, owner, None, NOW, "DK").reason == reason
