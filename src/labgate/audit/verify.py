"""Proving the audit chain intact, or naming the first broken event (LOG-2).

Every event is read in `seq` order through a raw DBAPI cursor (no ORM objects) and its
hash recomputed from its fields by `labgate.audit.chain`, the one definition of the
encoding. Three problems are told apart:

- "seq gap": an event is missing (deleted, or the log does not start at 1); the missing
  seq is named.
- "prev_hash does not match": the event does not link to the hash of the one before it.
- "hash mismatch": its stored hash is not the hash of its own fields (it was edited).

A million events must verify in about two seconds. In Python one core manages about half
of that on a small server, so on SQLite the seq range is split between worker processes
(fresh interpreters that import only the chain code: no fork of a threaded hub). Each
worker checks its range against the stored hash of the event before it, and that hash is
itself recomputed by the worker of the previous range, so the ranges together check
every link. On PostgreSQL the server streams one cursor while Python hashes.

A removed tail cannot be seen from the chain alone (what is left is a valid, shorter
chain): compare `events` and the last hash with a copy kept elsewhere for that.
"""

from __future__ import annotations

import itertools
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import text

from labgate.audit.chain import GENESIS
from labgate.audit.verify_rows import (
    BATCH,
    SELECT_ROWS,
    RangeResult,
    check_rows,
    check_sqlite_range,
)
from labgate.db import Database

#: Below this many events one process is faster than starting workers.
PARALLEL_FROM_EVENTS = 200_000
MAX_WORKERS = 4


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    #: Events checked and found intact (all of them when `ok`).
    events: int
    #: The first event that is missing, edited or unlinked; None when intact.
    first_broken_seq: int | None
    #: "hash mismatch", "seq gap" or "prev_hash does not match"; None when intact.
    problem: str | None


def verify(db: Database, *, workers: int | None = None) -> VerifyResult:
    """Recompute every hash of the chain in `db`, in order. `workers` (SQLite only)
    overrides the number of processes (default: one per core, at most 4, for large logs)."""
    if db.dialect == "sqlite":
        return _verify_sqlite(db, workers)
    return _verify_stream(db)


def _verify_sqlite(db: Database, workers: int | None) -> VerifyResult:
    path = db.engine.url.database
    if not path:
        raise ValueError("verify needs an SQLite database file")
    with db.read_engine.connect() as conn:
        last = conn.execute(text("SELECT max(seq) FROM audit_event")).scalar()
    if last is None:
        return VerifyResult(True, 0, None, None)
    if workers is None:
        workers = 1 if last < PARALLEL_FROM_EVENTS else min(os.cpu_count() or 1, MAX_WORKERS)
    bounds = [1 + (last * i) // workers for i in range(workers)] + [last + 1]
    ranges = list(itertools.pairwise(bounds))
    if workers == 1:
        results = [check_sqlite_range(path, 1, last + 1)]
    else:
        results = _run_workers(path, ranges)
    return _combine(results)


def _run_workers(path: str, ranges: list[tuple[int, int]]) -> list[RangeResult]:
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "labgate.audit.verify_rows", path, str(a), str(b)],
            stdout=subprocess.PIPE,
            text=True,
        )
        for a, b in ranges
    ]
    results = []
    for proc in procs:
        out, _ = proc.communicate()
        if proc.returncode != 0:
            raise RuntimeError(f"an audit verify worker failed (exit status {proc.returncode})")
        results.append(RangeResult(**json.loads(out)))
    return results


def _combine(results: list[RangeResult]) -> VerifyResult:
    intact = 0
    for result in results:
        intact += result.intact
        if result.broken_seq is not None:
            return VerifyResult(False, intact, result.broken_seq, result.problem)
    return VerifyResult(True, intact, None, None)


def _verify_stream(db: Database) -> VerifyResult:
    raw = db.read_engine.raw_connection()
    try:
        result, _ = check_rows(_pg_batches(raw.driver_connection), 1, GENESIS)
    finally:
        raw.rollback()
        raw.close()
    return _combine([result])


def _pg_batches(conn: Any) -> Iterator[list[Any]]:
    # A named (server-side) cursor: rows arrive in batches, not all at once.
    cur = conn.cursor(name="labgate_audit_verify")
    try:
        cur.execute(f"{SELECT_ROWS} ORDER BY seq")
        while batch := cur.fetchmany(BATCH):
            yield batch
    finally:
        cur.close()
