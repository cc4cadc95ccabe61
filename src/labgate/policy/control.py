"""The quarterly control: when a review is due and when it is overdue (LOG-5)."""

from __future__ import annotations

import datetime as dt

from labgate.policy.calendar import add_months as add_months
from labgate.policy.decision import Decision, allow, deny

REVIEW_INTERVAL_MONTHS = 3


def review_due(
    last_signed_off_at: dt.datetime | None, first_activity_at: dt.datetime, now: dt.datetime
) -> dt.datetime:
    """When the next review falls due: three months after the last sign-off (or the start)."""
    since = last_signed_off_at or first_activity_at
    due = add_months(since.date(), REVIEW_INTERVAL_MONTHS)
    return dt.datetime.combine(due, since.timetz())


def review_overdue(
    last_signed_off_at: dt.datetime | None, first_activity_at: dt.datetime, now: dt.datetime
) -> Decision:
    """Allowed means the control is up to date; a denial says it is overdue, and since when.

    Overdue means the last sign-off (or, before any, the first activity) lies more than
    three months back: at the due instant itself the review is due, not yet overdue.
    """
    due = review_due(last_signed_off_at, first_activity_at, now)
    if now > due:
        return deny(
            "review-overdue",
            f"The quarterly control was due on {due.date().isoformat()} and has not been "
            "signed off. Review the authorisations and the log, then sign off.",
        )
    return allow(f"The next quarterly control is due on {due.date().isoformat()}.", "review-ok")
