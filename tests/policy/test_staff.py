"""The staff access policy (`labgate.policy.staff`): both locks, every branch.

A hub scope opens a door; the person's role in labgate's register *now*, and for which
institution, decides what is behind it. Every refusal reads "not found" so that a person who
may not see an object does not learn that it exists.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from typing import Any

import pytest

from labgate.policy.facts import ProjectFacts
from labgate.policy.staff import (
    StaffFacts,
    has_scope,
    institutions_for,
    managed_databases,
    may_administer,
    may_audit,
    may_manage,
    may_read_register,
    may_steward,
    not_found,
)
from labgate.vocabulary import StaffRole
from labgate.web.scopes import scope
from tests.policy.factories import NOW, institution, membership, person, project

ADMIN = StaffRole.ADMIN.value
STEWARD = StaffRole.DATA_STEWARD.value
OFFICER = StaffRole.SECURITY_OFFICER.value


def staff(*roles: tuple[str, str | None], managed: set[str] | None = None,
          scopes: set[str] | None = None, institution: str = "uni") -> StaffFacts:  # fmt: skip
    return StaffFacts(
        username="someone",
        institution=institution,
        roles=frozenset(roles),
        managed=frozenset(managed or ()),
        scopes=frozenset(scopes or ()),
    )


NOBODY = staff()
GLOBAL_ADMIN = staff((ADMIN, None))
UNI_ADMIN = staff((ADMIN, "uni"))
UNI_OFFICER = staff((OFFICER, "uni"))
MINISTRY_OFFICER = staff((OFFICER, "ministry"), institution="ministry")
GLOBAL_OFFICER = staff((OFFICER, None))
TWO_PLACE_OFFICER = staff((OFFICER, "uni"), (OFFICER, "ministry"))
DATA_STEWARD = staff((STEWARD, None))
HEALTH_MANAGER = staff(managed={"health-pdb"})


def assert_not_found(decision: object, noun: str = "page") -> None:
    assert not decision  # type: ignore[truthy-bool]
    assert decision.reason == "not-found"  # type: ignore[attr-defined]
    assert decision.message == not_found(noun).message  # type: ignore[attr-defined]


# --- the refusal ------------------------------------------------------------------------


def test_not_found_is_a_refusal_with_a_sentence_that_names_the_noun() -> None:
    decision = not_found("project")
    assert not decision.allowed
    assert decision.reason == "not-found"
    assert decision.message.startswith("No such project:")
    assert decision.message.endswith(".")


def test_not_found_says_page_by_default() -> None:
    assert not_found().message.startswith("No such page:")


# --- the hub's lock: the scope ----------------------------------------------------------


@pytest.mark.requirement("AUTH-2")
def test_a_scope_the_token_carries_opens_the_hub_lock() -> None:
    assert has_scope(staff(scopes={scope("audit:read")}), scope("audit:read"))


@pytest.mark.requirement("AUTH-2")
def test_a_missing_scope_reads_as_not_found() -> None:
    holder = staff((OFFICER, "uni"), scopes={scope("audit:read")})
    assert_not_found(has_scope(holder, scope("audit:review")))
    assert_not_found(has_scope(NOBODY, scope("workspaces")))


def test_a_scope_is_matched_exactly_not_by_prefix() -> None:
    holder = staff(scopes={"custom:labgate:audit"})
    assert_not_found(has_scope(holder, scope("audit:read")))
    holder = staff(scopes={scope("register:read")})
    assert_not_found(has_scope(holder, scope("register:write")))


# --- institutions_for -------------------------------------------------------------------


def test_a_global_role_reaches_every_institution() -> None:
    assert institutions_for(GLOBAL_OFFICER, StaffRole.SECURITY_OFFICER) is None
    assert institutions_for(GLOBAL_ADMIN, StaffRole.ADMIN) is None


def test_an_institution_scoped_role_reaches_its_institutions_only() -> None:
    assert institutions_for(UNI_OFFICER, StaffRole.SECURITY_OFFICER) == {"uni"}
    assert institutions_for(TWO_PLACE_OFFICER, StaffRole.SECURITY_OFFICER) == {
        "uni",
        "ministry",
    }


def test_a_global_role_wins_over_institution_scoped_ones_in_any_order() -> None:
    both = staff((OFFICER, "uni"), (OFFICER, None))
    assert institutions_for(both, StaffRole.SECURITY_OFFICER) is None


def test_a_role_not_held_reaches_nothing_which_is_not_everything() -> None:
    reach = institutions_for(UNI_ADMIN, StaffRole.SECURITY_OFFICER)
    assert reach == frozenset()
    assert reach is not None
    assert institutions_for(NOBODY, StaffRole.ADMIN) == frozenset()


# --- may_administer ---------------------------------------------------------------------


@pytest.mark.requirement("AUTH-2")
def test_a_global_admin_administers_every_institution() -> None:
    assert may_administer(GLOBAL_ADMIN)
    assert may_administer(GLOBAL_ADMIN, "uni")
    assert may_administer(GLOBAL_ADMIN, "ministry")


@pytest.mark.requirement("AUTH-2")
def test_an_institution_admin_administers_their_institution_only() -> None:
    assert may_administer(UNI_ADMIN, "uni")
    assert_not_found(may_administer(UNI_ADMIN, "ministry"), "institution")


def test_an_institution_admin_may_open_the_admin_pages_at_all() -> None:
    # No institution named: the door to the area; each object is then asked with its own.
    assert may_administer(UNI_ADMIN)


@pytest.mark.requirement("AUTH-2")
@pytest.mark.parametrize("other", [NOBODY, UNI_OFFICER, DATA_STEWARD, HEALTH_MANAGER])
def test_other_roles_do_not_administer(other: StaffFacts) -> None:
    assert_not_found(may_administer(other))
    assert_not_found(may_administer(other, "uni"), "institution")


def test_an_admin_scope_without_the_admin_role_does_not_administer() -> None:
    # The register is the second lock: a hub role left behind after the labgate role ended.
    stale = staff(scopes={scope("register:write"), scope("projects:write")})
    assert_not_found(may_administer(stale))


# --- may_steward ------------------------------------------------------------------------


def test_the_data_steward_stewards() -> None:
    assert may_steward(DATA_STEWARD)
    assert may_steward(staff((STEWARD, "uni")))


@pytest.mark.parametrize("other", [NOBODY, GLOBAL_ADMIN, UNI_OFFICER, HEALTH_MANAGER])
def test_nobody_else_stewards(other: StaffFacts) -> None:
    assert_not_found(may_steward(other))


# --- may_read_register ------------------------------------------------------------------


@pytest.mark.requirement("AUTH-2")
def test_a_security_officer_reads_their_institution_s_register() -> None:
    assert may_read_register(UNI_OFFICER, "uni")
    assert may_read_register(MINISTRY_OFFICER, "ministry")


@pytest.mark.requirement("AUTH-2")
def test_the_officer_of_one_institution_asking_for_another_reads_not_found() -> None:
    assert_not_found(may_read_register(UNI_OFFICER, "ministry"), "institution")
    assert_not_found(may_read_register(MINISTRY_OFFICER, "uni"), "institution")


@pytest.mark.requirement("AUTH-2")
def test_admins_read_the_register_they_administer() -> None:
    assert may_read_register(GLOBAL_ADMIN, "uni")
    assert may_read_register(GLOBAL_ADMIN, "ministry")
    assert may_read_register(UNI_ADMIN, "uni")
    assert_not_found(may_read_register(UNI_ADMIN, "ministry"), "institution")


def test_a_global_officer_reads_every_register() -> None:
    assert may_read_register(GLOBAL_OFFICER, "ministry")


@pytest.mark.requirement("AUTH-2")
@pytest.mark.parametrize("other", [NOBODY, DATA_STEWARD, HEALTH_MANAGER])
def test_neither_stewards_nor_managers_read_the_register(other: StaffFacts) -> None:
    assert_not_found(may_read_register(other, "uni"), "institution")


# --- may_audit --------------------------------------------------------------------------


@pytest.mark.requirement("AUTH-2")
@pytest.mark.requirement("LOG-3")
def test_an_officer_reads_the_log_of_their_own_institution() -> None:
    assert may_audit(UNI_OFFICER, "uni")
    assert may_audit(TWO_PLACE_OFFICER, "ministry")


@pytest.mark.requirement("AUTH-2")
@pytest.mark.requirement("LOG-3")
def test_an_officer_asking_for_another_institution_s_log_reads_not_found() -> None:
    assert_not_found(may_audit(UNI_OFFICER, "ministry"), "institution")
    assert_not_found(may_audit(MINISTRY_OFFICER, "uni"), "institution")


@pytest.mark.requirement("LOG-3")
def test_only_an_officer_of_all_institutions_reads_the_whole_log() -> None:
    assert may_audit(GLOBAL_OFFICER, None)
    assert may_audit(GLOBAL_OFFICER, "ministry")
    assert_not_found(may_audit(UNI_OFFICER, None), "institution")
    assert_not_found(may_audit(TWO_PLACE_OFFICER, None), "institution")


@pytest.mark.requirement("AUTH-2")
@pytest.mark.parametrize("other", [NOBODY, GLOBAL_ADMIN, UNI_ADMIN, DATA_STEWARD, HEALTH_MANAGER])
def test_the_log_is_the_officers_alone(other: StaffFacts) -> None:
    # Not even a global admin: AUTH-2's officer reads the log, and nobody else.
    assert_not_found(may_audit(other, "uni"), "institution")
    assert_not_found(may_audit(other, None), "institution")


# --- may_manage -------------------------------------------------------------------------


@pytest.mark.requirement("PROJ-4")
def test_a_manager_manages_their_project_database_and_its_sub_projects() -> None:
    assert may_manage(HEALTH_MANAGER, "health-pdb", None)
    assert may_manage(HEALTH_MANAGER, "diabetes", "health-pdb")


@pytest.mark.requirement("PROJ-4")
def test_a_manager_of_one_database_does_not_manage_a_sub_project_of_another() -> None:
    assert_not_found(may_manage(HEALTH_MANAGER, "reform", "labour-pdb"), "project")
    assert_not_found(may_manage(HEALTH_MANAGER, "labour-pdb", None), "project")


@pytest.mark.requirement("PROJ-4")
def test_a_project_without_a_main_project_is_managed_by_its_own_managers_only() -> None:
    assert_not_found(may_manage(HEALTH_MANAGER, "mobility", None), "project")


@pytest.mark.requirement("PROJ-4")
@pytest.mark.parametrize("other", [NOBODY, GLOBAL_ADMIN, DATA_STEWARD, GLOBAL_OFFICER])
def test_staff_roles_do_not_make_a_manager(other: StaffFacts) -> None:
    assert_not_found(may_manage(other, "health-pdb", None), "project")
    assert_not_found(may_manage(other, "diabetes", "health-pdb"), "project")


def test_a_manager_of_two_databases_manages_both() -> None:
    both = staff(managed={"health-pdb", "labour-pdb"})
    assert may_manage(both, "reform", "labour-pdb")
    assert may_manage(both, "heart", "health-pdb")


# --- managed_databases ------------------------------------------------------------------

PDB = "project_database"


def pdb(pid: int, role: str = "pdb_manager", **kw: Any) -> ProjectFacts:
    """A project database with person 10 as a member in `role`."""
    return project(pid, scheme=PDB, code=f"pdb{pid}",
                   memberships=(membership(10, pid, role),), **kw)  # fmt: skip


@pytest.mark.requirement("PROJ-4")
def test_the_databases_a_person_manages_now_are_managed() -> None:
    projects = [pdb(1), pdb(2)]
    assert managed_databases(person(), institution(), projects, NOW) == {"pdb1", "pdb2"}


@pytest.mark.requirement("PROJ-4")
def test_a_researcher_membership_of_a_database_manages_nothing() -> None:
    assert managed_databases(person(), institution(), [pdb(1, "researcher")], NOW) == set()


@pytest.mark.requirement("PROJ-4")
def test_a_manager_role_in_an_ordinary_project_is_not_a_project_database() -> None:
    ordinary = project(3, memberships=(membership(10, 3, "pdb_manager"),))
    assert managed_databases(person(), institution(), [ordinary], NOW) == set()


@pytest.mark.requirement("PROJ-4")
@pytest.mark.requirement("WS-1")
def test_a_manager_whose_authorisation_ended_manages_nothing() -> None:
    assert managed_databases(person(authorised=False), institution(), [pdb(1)], NOW) == set()


@pytest.mark.requirement("PROJ-4")
@pytest.mark.requirement("WS-1")
def test_an_ended_or_future_membership_manages_nothing() -> None:
    ended = membership(10, 1, "pdb_manager", ended_at=dt.datetime(2026, 3, 1, tzinfo=dt.UTC))
    future = membership(10, 2, "pdb_manager", valid_from=dt.date(2026, 9, 1))
    projects = [
        project(1, scheme=PDB, code="pdb1", memberships=(ended,)),
        project(2, scheme=PDB, code="pdb2", memberships=(future,)),
    ]
    assert managed_databases(person(), institution(), projects, NOW) == set()


@pytest.mark.requirement("PROJ-4")
@pytest.mark.requirement("WS-1")
def test_a_database_whose_access_period_ended_is_managed_no_more() -> None:
    expired = pdb(1, access_ends_on=dt.date(2026, 6, 1))
    assert managed_databases(person(), institution(), [expired], NOW) == set()


def test_another_person_s_management_is_not_mine() -> None:
    theirs = project(1, scheme=PDB, code="pdb1", memberships=(membership(11, 1, "pdb_manager"),))
    assert managed_databases(person(), institution(), [theirs], NOW) == set()


def test_an_institution_without_the_database_scheme_closes_it() -> None:
    inst = replace(institution(), authorisations=())
    assert managed_databases(person(), inst, [pdb(1)], NOW) == set()
