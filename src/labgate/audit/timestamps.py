"""Audit times are integer microseconds since the Unix epoch (UTC); days count from it too."""

from __future__ import annotations

import datetime as dt

EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
MICROSECOND = dt.timedelta(microseconds=1)
US_PER_DAY = 86_400_000_000


def to_us(at: dt.datetime) -> int:
    """Microseconds since the epoch; `at` must be timezone-aware (a naive time is ambiguous)."""
    if at.tzinfo is None:
        raise ValueError("audit times must be timezone-aware")
    # Integer division of timedeltas is exact, unlike going through float timestamps.
    return (at - EPOCH) // MICROSECOND


def from_us(ts_us: int) -> dt.datetime:
    return EPOCH + dt.timedelta(microseconds=ts_us)


def day_of(ts_us: int) -> int:
    """The UTC day (days since 1970-01-01) that `ts_us` falls in."""
    return ts_us // US_PER_DAY
