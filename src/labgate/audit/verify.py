"""Proving the audit chain intact, or naming the first broken event (LOG-2).

Every event is read in `seq` order through a raw DBAPI cursor (no ORM objects: a million
events must verify in about two seconds) and checked three ways:

- "seq gap": `seq` is not the one expected (an event was removed, or the log does not
  start at 1); the missing seq is named.
- "prev_hash does not match": the event does not link to the hash of the one before it.
- "hash mismatch": its stored hash is not the hash of its own fields (it was edited).

A large SQLite log is split into seq ranges checked by worker processes, one per core
(hashing is CPU-bound and the GIL would serialise threads). The log is append-only, so
the ranges fixed at the start stay valid while others keep appending; events appended
after the start are left for the next run.

A removed tail cannot be seen from the chain alone (what is left is a valid, shorter
chain); compare `events` and the last hash with a copy kept elsewhere for that.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Generator
from contextlib import closing
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, text

from labgate.audit.chain import GENESIS
from labgate.audit.timestamps import US_PER_DAY
from labgate.audit.verify_rows import (
    BATCH,
    SELECT_ROWS,
    SEQ_GAP,
    RangeResult,
    check_rows,
    sqlite_batches,
)
from labgate.db import Database

#: Below this many events, starting workers costs more than it saves.
PARALLEL_FROM_EVENTS = 200_000


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    #: Events checked and found intact (all of them when `ok`).
    events: int
    #: The first event that is missing, edited or unlinked; None when intact (or when only
    #: the daily counts are wrong).
    first_broken_seq: int | None
    #: "hash mismatch", "seq gap", "prev_hash does not match" or "daily counts do not
    #: match the events (day N)"; None when intact.
    problem: str | None


def verify(
    target: Database | Connection, *, workers: int | None = None, check_rollup: bool = False
) -> VerifyResult:
    """Recompute every hash of the chain, in order.

    `workers`: processes for an SQLite log (default: one per core from
    PARALLEL_FROM_EVENTS events on, else 1, which checks in this process).
    `check_rollup`: also recount the daily counts of transaction statistics from the
    events (a full scan grouped by day; slower).
    """
    if isinstance(target, Database):
        with target.read_engine.connect() as conn:
            result = _verify_chain(conn, target, workers)
            if result.ok and check_rollup:
                result = _check_rollup(conn, result)
            conn.rollback()
            return result
    result = _verify_chain(target, None, 1)
    if result.ok and check_rollup:
        result = _check_rollup(target, result)
    return result


def _verify_chain(conn: Connection, db: Database | None, workers: int | None) -> VerifyResult:
    low, high = conn.execute(text("SELECT min(seq), max(seq) FROM audit_event")).one()
    if low is None:
        return VerifyResult(True, 0, None, None)
    if low != 1:
        return VerifyResult(False, 0, 1, SEQ_GAP)
    if workers is None:
        workers = (os.cpu_count() or 1) if high >= PARALLEL_FROM_EVENTS else 1
    path = conn.engine.url.database if db is not None else None
    if conn.dialect.name == "sqlite" and path and path != ":memory:" and workers > 1:
        return _verify_parallel(path, high, min(workers, high))
    raw = conn.connection.driver_connection
    stream = (
        _sqlite_stream(raw, high) if conn.dialect.name == "sqlite" else _postgres_stream(raw, high)
    )
    # closing: a break found early must close the cursor now, inside this transaction,
    # not whenever the half-read generator is collected.
    with closing(stream):
        result, _ = check_rows(stream, 1, GENESIS)
    return _to_verify_result(result, high)


def _to_verify_result(result: RangeResult, high: int) -> VerifyResult:
    if result.broken_seq is None:
        # min is 1, every seq up to max was there and chained: the whole log is intact.
        return VerifyResult(True, high, None, None)
    return VerifyResult(False, result.broken_seq - 1, result.broken_seq, result.problem)


def _sqlite_stream(raw: Any, high: int) -> Generator[list[Any]]:
    saved = raw.text_factory
    try:
        yield from sqlite_batches(raw, 1, high + 1)
    finally:
        # sqlite_batches may switch to lenient decoding; the pooled connection must not keep it.
        raw.text_factory = saved


def _postgres_stream(raw: Any, high: int) -> Generator[list[Any]]:
    # A named (server-side) cursor: rows arrive in batches instead of all at once.
    with raw.cursor(name="labgate_audit_verify") as cur:
        cur.itersize = BATCH
        cur.execute(f"{SELECT_ROWS} WHERE seq <= %s ORDER BY seq", (high,))
        while batch := cur.fetchmany(BATCH):
            yield batch


def _verify_parallel(path: str, high: int, workers: int) -> VerifyResult:
    step = -(-high // workers)
    bounds = [(first, min(first + step, high + 1)) for first in range(1, high + 1, step)]
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "labgate.audit.verify_rows", path, str(a), str(b)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for a, b in bounds
    ]
    results: list[RangeResult] = []
    for proc in procs:
        out, err = proc.communicate()
        if proc.returncode != 0:
            raise RuntimeError(f"an audit verification worker failed: {err.strip()}")
        results.append(RangeResult(*json.loads(out)))
    # The ranges are in seq order, so the first broken range holds the first broken event.
    for result in results:
        if result.broken_seq is not None:
            return _to_verify_result(result, high)
    return VerifyResult(True, high, None, None)


def _check_rollup(conn: Connection, chain: VerifyResult) -> VerifyResult:
    """Recount events per (day, actor, type, institution) and compare with the rollup."""
    # Integer division truncates; times are after 1970, so it is the floor, as in `day_of`.
    counted = conn.execute(
        text(
            f"SELECT ts_us / {US_PER_DAY} AS day, actor, type, institution, count(*) "
            "FROM audit_event GROUP BY 1, 2, 3, 4"
        )
    ).all()
    stored = conn.execute(
        text("SELECT day, actor, type, institution, count FROM audit_daily_count WHERE count > 0")
    ).all()
    want = {tuple(r[:4]): r[4] for r in counted}
    have = {tuple(r[:4]): r[4] for r in stored}
    if want == have:
        return chain
    day = min(k[0] for k in want.keys() | have.keys() if want.get(k) != have.get(k))
    return VerifyResult(
        False, chain.events, None, f"daily counts do not match the events (day {day})"
    )
