"""An admin of one institution sees and changes nothing of another (AUTH-2)."""

from __future__ import annotations

from labgate.policy.admin_access import admin_reach, may_administer_all
from labgate.policy.staff import StaffFacts, may_administer

GLOBAL = StaffFacts("admin", "uni", frozenset({("admin", None)}))
UNI = StaffFacts("uniadmin", "uni", frozenset({("admin", "uni")}))
NOBODY = StaffFacts("rita", "uni")


def test_a_global_admin_reaches_every_institution() -> None:
    assert admin_reach(GLOBAL) is None
    assert may_administer_all(GLOBAL).allowed
    assert may_administer(GLOBAL, "ministry").allowed


def test_an_institution_admin_reaches_their_own_only() -> None:
    assert admin_reach(UNI) == frozenset({"uni"})
    assert may_administer(UNI, "uni").allowed
    refused = may_administer(UNI, "ministry")
    assert not refused.allowed and refused.reason == "not-found"


def test_only_a_global_admin_creates_institutions() -> None:
    refused = may_administer_all(UNI)
    assert not refused.allowed and refused.reason == "not-found"
    assert not may_administer_all(NOBODY).allowed


def test_a_researcher_reaches_nothing() -> None:
    assert admin_reach(NOBODY) == frozenset()
    assert not may_administer(NOBODY, "uni").allowed
