"""Following a long operation: the owner only, and a stranger reads 'not found'."""

from __future__ import annotations

from labgate.policy.staff import StaffFacts
from labgate.policy.steward_access import may_follow_job


def test_the_owner_may_follow_their_job() -> None:
    assert may_follow_job(StaffFacts("steward", "uni"), "steward").allowed


def test_another_person_is_told_the_job_does_not_exist() -> None:
    decision = may_follow_job(StaffFacts("admin", "uni"), "steward")
    assert not decision.allowed
    assert decision.reason == "not-found"
    assert "No such job" in decision.message


def test_a_job_without_an_owner_is_nobody_s() -> None:
    assert not may_follow_job(StaffFacts("", "uni"), "").allowed
