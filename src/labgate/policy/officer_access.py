"""Which institution's log a security officer's request reads (AUTH-2, LOG-3).

`policy.staff.may_audit` decides whether an officer may read one institution's log; this
module decides which institution a request means when it names none: the officer's own
(if they are its officer), else the one institution they are officer of. An officer of
every institution who names none reads everything (None).
"""

from __future__ import annotations

from labgate.policy.decision import Decision
from labgate.policy.staff import StaffFacts, institutions_for, may_audit
from labgate.vocabulary import StaffRole


def audited_institution(staff: StaffFacts, asked: str | None) -> str | None:
    """The institution a request reads: the one asked for, else the officer's default.

    None means every institution, which only an officer of all may read (`may_audit`).
    """
    if asked is not None:
        return asked
    reach = institutions_for(staff, StaffRole.SECURITY_OFFICER)
    if reach is None:
        return None
    if staff.institution in reach or not reach:
        return staff.institution
    return min(reach)


def reviewed_institution(staff: StaffFacts, asked: str | None) -> str:
    """The institution a control is about: always one, the officer's own by default."""
    return audited_institution(staff, asked) or staff.institution


def may_read_log(staff: StaffFacts, institution: str | None) -> Decision:
    """May read (search, export, count) the log of `institution` (None: of all)."""
    return may_audit(staff, institution)
