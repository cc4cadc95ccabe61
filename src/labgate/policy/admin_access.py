"""Which admin may do what beyond `may_administer` (issue 5, AUTH-2).

An admin of one institution administers that institution's people and projects only; the
list of institutions itself, and creating a new institution, belong to a global admin.
"""

from __future__ import annotations

from labgate.policy.decision import Decision, allow
from labgate.policy.staff import StaffFacts, institutions_for, not_found
from labgate.vocabulary import StaffRole


def admin_reach(staff: StaffFacts) -> frozenset[str] | None:
    """The institutions the admin's pages list: None means every institution."""
    return institutions_for(staff, StaffRole.ADMIN)


def may_administer_all(staff: StaffFacts) -> Decision:
    """Only a global admin creates institutions (an institution admin would otherwise
    create one outside their reach)."""
    return allow() if admin_reach(staff) is None else not_found()
