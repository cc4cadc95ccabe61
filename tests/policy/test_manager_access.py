"""A manager of one project database can do nothing to another (PROJ-4, PROJ-5)."""

from __future__ import annotations

import pytest

from labgate.policy.manager_access import (
    ExtractPlace,
    may_manage_database,
    may_manage_membership,
    may_manage_subproject,
    may_withdraw_extract,
)
from labgate.policy.staff import StaffFacts, not_found

MANAGER1 = StaffFacts(username="manager1", institution="uni", managed=frozenset({"health-pdb"}))


@pytest.mark.requirement("PROJ-4")
def test_a_manager_manages_only_their_own_project_database() -> None:
    assert may_manage_database(MANAGER1, "health-pdb").allowed
    refused = may_manage_database(MANAGER1, "labour-pdb")
    assert not refused.allowed and refused.reason == "not-found"


@pytest.mark.requirement("PROJ-4")
def test_a_subproject_must_belong_to_the_project_database_in_the_address() -> None:
    ok = may_manage_subproject(MANAGER1, "health-pdb", "heart", "sub_project", "health-pdb")
    assert ok.allowed
    assert not may_manage_subproject(MANAGER1, "labour-pdb", "x", "sub_project", "labour-pdb")
    assert not may_manage_subproject(MANAGER1, "health-pdb", "x", "sub_project", "labour-pdb")
    assert not may_manage_subproject(MANAGER1, "health-pdb", "mobility", "researcher", None)
    assert not may_manage_subproject(MANAGER1, "health-pdb", "health-pdb", "project_database", None)


@pytest.mark.requirement("PROJ-4")
def test_a_manager_ends_only_researcher_memberships_of_their_subprojects() -> None:
    args = ("health-pdb", "heart", "sub_project", "health-pdb")
    assert may_manage_membership(MANAGER1, *args, "researcher").allowed
    refused = may_manage_membership(MANAGER1, *args, "pdb_manager")
    assert not refused.allowed and refused.reason == "not-found"
    pdb = ("health-pdb", "health-pdb", "project_database", None, "pdb_manager")
    assert not may_manage_membership(MANAGER1, *pdb)
    other = ("labour-pdb", "jobs", "sub_project", "labour-pdb", "researcher")
    assert not may_manage_membership(MANAGER1, *other)


HEART = ExtractPlace("heart", "sub_project", "health-pdb", withdrawn=False)


@pytest.mark.requirement("PROJ-5")
def test_a_manager_withdraws_an_extract_of_a_subproject_of_their_project_database() -> None:
    assert may_withdraw_extract(MANAGER1, "health-pdb", HEART).allowed
    co_manager = StaffFacts(username="manager2", institution="uni", managed=MANAGER1.managed)
    assert may_withdraw_extract(co_manager, "health-pdb", HEART).allowed


#: Everything else a manager might name reads exactly like a grant number that names nothing.
REFUSED = {
    "no such grant": (MANAGER1, "health-pdb", None),
    "already withdrawn": (
        MANAGER1, "health-pdb", ExtractPlace("heart", "sub_project", "health-pdb", True)
    ),
    "the project database's own grant": (
        MANAGER1, "health-pdb", ExtractPlace("health-pdb", "project_database", None, False)
    ),
    "another project database's sub-project, through mine": (
        MANAGER1, "health-pdb", ExtractPlace("jobs", "sub_project", "labour-pdb", False)
    ),
    "another project database's sub-project, through it": (
        MANAGER1, "labour-pdb", ExtractPlace("jobs", "sub_project", "labour-pdb", False)
    ),
    "another project database's own grant": (
        MANAGER1, "labour-pdb", ExtractPlace("labour-pdb", "project_database", None, False)
    ),
    "a project that is no sub-project": (
        MANAGER1, "health-pdb", ExtractPlace("mobility", "researcher", None, False)
    ),
    "a sub-project's scheme claimed without the parent": (
        MANAGER1, "health-pdb", ExtractPlace("odd", "sub_project", None, False)
    ),
    "my sub-project, but I no longer manage it": (
        StaffFacts(username="manager1", institution="uni"), "health-pdb", HEART
    ),
    "a researcher of the sub-project": (
        StaffFacts(username="sam", institution="uni"), "health-pdb", HEART
    ),
}  # fmt: skip


@pytest.mark.requirement("PROJ-4")
@pytest.mark.parametrize("case", sorted(REFUSED))
def test_any_other_grant_reads_like_one_that_does_not_exist(case: str) -> None:
    assert may_withdraw_extract(*REFUSED[case]) == not_found("grant")
