"""Who may follow a long operation started from the steward's pages (issue 5).

A job (materialising a grant) carries its owner's name; its progress and result are the
owner's alone. Anyone else is told it does not exist, as for every other object a person
may not see.
"""

from __future__ import annotations

from labgate.policy.decision import Decision, allow
from labgate.policy.staff import StaffFacts, not_found


def may_follow_job(staff: StaffFacts, owner: str) -> Decision:
    """Only the person who started a job may read its state."""
    return allow() if owner and staff.username == owner else not_found("job")
