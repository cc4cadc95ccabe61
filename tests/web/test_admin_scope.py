"""An admin of one institution, created through the services, sees and changes nothing of
another (AUTH-2): the facts the service reads, the policy's decision per object, and the
lists the admin's pages and API show (issue 5)."""

from __future__ import annotations

import datetime as dt

import pytest

from labgate import clock
from labgate.audit.log import Actor
from labgate.db import Database
from labgate.policy.admin_access import admin_reach, may_administer_all
from labgate.policy.staff import may_administer
from labgate.services import admin_views as views
from labgate.services.institutions import authorise_institution, create_institution
from labgate.services.people import assign_role, create_person
from labgate.services.projects import create_project
from labgate.services.staff import staff_facts

SETUP = Actor(name="test-setup", kind="system", institution="")


def build(db: Database) -> None:
    today = clock.today()
    with db.session() as s:
        for code in ("uni", "ministry"):
            create_institution(s, SETUP, code=code, name=code.title(), country="DK")
        create_person(s, SETUP, username="uniadmin", full_name="Uni Admin", institution_code="uni")
        create_person(s, SETUP, username="minperson", full_name="M P", institution_code="ministry")
        assign_role(s, SETUP, username="uniadmin", role="admin", institution_code="uni")
    with db.session() as s:
        authorise_institution(
            s, SETUP, code="ministry", scheme="authority", valid_from=today,
            valid_until=today + dt.timedelta(days=800), security_policy_ref="MIN-1",
        )  # fmt: skip
        create_project(
            s, SETUP, code="reform", title="Reform", scheme="authority", owner_code="ministry",
            purpose="Evaluate.", legal_basis_art6="6(1)(e)", starts_on=today,
            dpia_not_needed_reason="Statistics only.",
        )  # fmt: skip


@pytest.mark.requirement("AUTH-2")
def test_an_institution_admin_reaches_their_institution_only(db: Database) -> None:
    build(db)
    with db.read_session() as s:
        staff = staff_facts(s, "uniadmin", (), clock.now())
        assert staff is not None
        reach = admin_reach(staff)
        assert reach == frozenset({"uni"})
        assert [i["code"] for i in views.list_institutions(s, reach)] == ["uni"]
        assert [p["username"] for p in views.list_people(s, reach)] == ["uniadmin"]
        assert views.list_projects(s, reach) == []
        ministry_person = views.institution_of_person(s, "minperson")
        reform = views.institution_of_project(s, "reform")
    assert may_administer(staff, "uni").allowed
    for institution in (ministry_person, reform):
        refused = may_administer(staff, institution)
        assert not refused.allowed and refused.reason == "not-found"
    assert not may_administer_all(staff).allowed
