"""A manager of one project database can do nothing to another (PROJ-4, PROJ-5)."""

from __future__ import annotations

import pytest

from labgate.policy.manager_access import (
    may_manage_database,
    may_manage_membership,
    may_manage_subproject,
)
from labgate.policy.staff import StaffFacts

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
