"""Notices that time brings: an end of access coming up (PROJ-8), a quarterly control
overdue (LOG-5). Pure: facts and `now` in, a `Notice` or None out.

A notice's `key` names the occasion, not the moment it was noticed: the same project,
end of access and threshold always give the same key, so whoever records notices (the
enforcer) can record each exactly once, however often it asks.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from labgate.policy.control import review_due, review_overdue
from labgate.policy.facts import MembershipFacts, ProjectFacts
from labgate.policy.lifecycle import ProjectState, project_state
from labgate.vocabulary import MemberRole

#: How many days before the end of access the owners and managers are warned by default.
DEFAULT_WARNING_DAYS = 30


@dataclass(frozen=True)
class Notice:
    #: Stable, unique per object and occasion: the idempotency key of its recording.
    key: str
    #: Short, stable machine code (tests and the UI match on it).
    reason: str
    #: A full sentence a person can read: what is coming and what to do.
    message: str
    #: The day the notice is about (the end of access, the day the control fell due).
    on: dt.date


def end_of_access_warning(
    p: ProjectFacts, now: dt.datetime, days: int = DEFAULT_WARNING_DAYS
) -> Notice | None:
    """A warning when an active project's access ends within `days` days, else None.

    Access ending on day D means access until the start of D, so on D - 1 one day is left.
    A renewal or extension moves `access_ends_on`, which makes a new key: the next end of
    access is warned of again.
    """
    if days < 0:
        raise ValueError("the warning period cannot be negative")
    if project_state(p, now) is not ProjectState.ACTIVE:
        return None
    left = (p.access_ends_on - now.date()).days
    if left > days:
        return None
    when = "tomorrow" if left == 1 else f"in {left} days"
    return Notice(
        key=f"access-ends:{p.access_ends_on.isoformat()}:within:{days}",
        reason="access-ends-soon",
        message=(
            f"The access period of {p.code} ends {when}, at the start of "
            f"{p.access_ends_on.isoformat()}; its workspaces stop then. Renew or extend the "
            "project before that day if the work must go on."
        ),
        on=p.access_ends_on,
    )


def _current(m: MembershipFacts, today: dt.date) -> bool:
    return m.ended_at is None and m.valid_from <= today < m.valid_until


def warning_recipients(p: ProjectFacts, today: dt.date) -> tuple[int, ...]:
    """Who is warned of the end of access: the project's current managers, or, where it has
    none (a project that is not a project database), every current member, since they are
    the ones who hold it. Person ids, ascending."""
    current = [m for m in p.memberships if _current(m, today)]
    managers = [m for m in current if m.role == MemberRole.PDB_MANAGER.value]
    return tuple(sorted({m.person_id for m in managers or current}))


def review_overdue_notice(
    last_signed_off_at: dt.datetime | None, first_activity_at: dt.datetime, now: dt.datetime
) -> Notice | None:
    """A notice when the quarterly control is overdue (LOG-5), keyed by the day it fell due:
    one notice per overdue period, and a sign-off starts a new period."""
    decision = review_overdue(last_signed_off_at, first_activity_at, now)
    if decision.allowed:
        return None
    due = review_due(last_signed_off_at, first_activity_at, now).date()
    return Notice(
        key=f"review-due:{due.isoformat()}",
        reason=decision.reason,
        message=decision.message,
        on=due,
    )
