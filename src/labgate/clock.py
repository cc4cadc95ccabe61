"""The one clock seam.

Every rule in labgate that depends on time (authorisation periods, end of access,
deletion deadlines, overdue reviews) reads the time through `now()`. Tests replace the
clock with `set_clock`; production code never passes its own time source around.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from contextlib import contextmanager

UTC = dt.UTC

_source: Callable[[], dt.datetime] = lambda: dt.datetime.now(UTC)  # noqa: E731


def now() -> dt.datetime:
    """The current time, timezone-aware, in UTC."""
    value = _source()
    if value.tzinfo is None:
        raise ValueError("the clock must return timezone-aware datetimes")
    return value.astimezone(UTC)


def today() -> dt.date:
    """Today's date in UTC: the calendar that access periods and deadlines use."""
    return now().date()


def set_clock(source: Callable[[], dt.datetime]) -> None:
    global _source
    _source = source


def reset_clock() -> None:
    set_clock(lambda: dt.datetime.now(UTC))


@contextmanager
def frozen(at: dt.datetime) -> Iterator[None]:
    """Freeze the clock at `at` for the duration of the block (tests and simulations)."""
    previous = _source
    set_clock(lambda: at)
    try:
        yield
    finally:
        set_clock(previous)
