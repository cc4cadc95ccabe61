"""Which institution's log a security officer's request reads (AUTH-2)."""

from __future__ import annotations

import pytest

from labgate.policy.officer_access import audited_institution, may_read_log, reviewed_institution
from labgate.policy.staff import StaffFacts

OFFICER = "security_officer"


def staff(institution: str, *roles: tuple[str, str | None]) -> StaffFacts:
    return StaffFacts(username="someone", institution=institution, roles=frozenset(roles))


@pytest.mark.requirement("AUTH-2")
def test_an_officer_reads_their_own_institution_by_default_and_no_other() -> None:
    uni = staff("uni", (OFFICER, "uni"))
    assert audited_institution(uni, None) == "uni"
    assert may_read_log(uni, "uni").allowed
    assert not may_read_log(uni, "ministry").allowed
    assert not may_read_log(uni, None).allowed  # "every institution" is not theirs
    assert audited_institution(uni, "ministry") == "ministry"  # asked: then refused


@pytest.mark.requirement("AUTH-2")
def test_an_officer_of_another_institution_defaults_to_that_one() -> None:
    guest = staff("uni", (OFFICER, "ministry"))
    assert audited_institution(guest, None) == "ministry"
    assert reviewed_institution(guest, None) == "ministry"
    assert not may_read_log(guest, "uni").allowed


def test_an_officer_of_every_institution_reads_all_and_reviews_their_own() -> None:
    chief = staff("uni", (OFFICER, None))
    assert audited_institution(chief, None) is None
    assert may_read_log(chief, None).allowed
    assert reviewed_institution(chief, None) == "uni"


@pytest.mark.requirement("AUTH-2")
def test_without_the_role_nothing_is_readable() -> None:
    rita = staff("uni")
    assert audited_institution(rita, None) == "uni"
    assert not may_read_log(rita, "uni").allowed
    admin = staff("uni", ("admin", None))
    assert not may_read_log(admin, "uni").allowed
