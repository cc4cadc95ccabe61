"""Checking a run of audit_event rows against the chain (stdlib only: runs in workers).

This module imports nothing heavier than `labgate.audit.chain`, so that the worker
processes `verify` starts come up in a few milliseconds.
"""

from __future__ import annotations

import gc
import hashlib
import json
import sqlite3
import sys
from collections.abc import Iterable, Sequence
from typing import Any, NamedTuple

from labgate.audit.chain import GENESIS, canonical_text

# CAST AS TEXT: a value tampered into a BLOB comes back as text with the same bytes, so it
# goes through the same encoding (and a str-only encoding stays one-to-one).
_TEXT_COLUMNS = ("actor", "actor_kind", "institution", "type", "object_kind", "object_id")
SELECT_ROWS = (
    "SELECT seq, ts_us, "
    + ", ".join(f"CAST({c} AS TEXT)" for c in _TEXT_COLUMNS)
    + ", CAST(outcome AS TEXT), CAST(detail AS TEXT), CAST(prev_hash AS TEXT), hash "
    "FROM audit_event"
)
BATCH = 5_000


class RangeResult(NamedTuple):
    #: Events found intact, from the first of the range on.
    intact: int
    broken_seq: int | None
    problem: str | None


def check_rows(
    batches: Iterable[Sequence[Sequence[Any]]], first_seq: int, prev: str | None
) -> tuple[RangeResult, int]:
    """Check rows (columns as SELECT_ROWS) that should be `first_seq`, `first_seq`+1, ...
    chained to `prev` (None: the event before is missing). Returns the result and the
    next seq expected."""
    sha256 = hashlib.sha256
    expected = first_seq
    for batch in batches:
        for row in batch:
            seq, ts, actor, kind, inst, type_, okind, oid, outcome, detail, prev_hash, digest = row
            if seq != expected:
                return RangeResult(expected - first_seq, expected, "seq gap"), expected
            if prev_hash != prev:
                broken = RangeResult(expected - first_seq, seq, "prev_hash does not match")
                return broken, expected
            try:
                text = canonical_text(
                    prev_hash, seq, ts, actor, kind, inst, type_, okind, oid, outcome, detail
                ).encode("utf-8")
            except (TypeError, ValueError):
                # A number where text belongs, a float time, text that is not Unicode:
                # `record` never writes these, so the event was altered.
                return RangeResult(expected - first_seq, seq, "hash mismatch"), expected
            if sha256(text).hexdigest() != digest:
                return RangeResult(expected - first_seq, seq, "hash mismatch"), expected
            prev = digest
            expected += 1
    return RangeResult(expected - first_seq, None, None), expected


def check_sqlite_range(path: str, first_seq: int, end_seq: int) -> RangeResult:
    """Check events `first_seq` <= seq < `end_seq` of the SQLite database at `path`."""
    # These rows hold no cycles; the collector would only rescan a million row tuples.
    was_enabled = gc.isenabled()
    gc.disable()
    conn = sqlite3.connect(path)
    try:
        prev = _stored_hash(conn, first_seq - 1)
        result, expected = check_rows(_sqlite_batches(conn, first_seq, end_seq), first_seq, prev)
        if result.broken_seq is None and expected != end_seq:
            # The range ended early: the rows up to end_seq are missing.
            return RangeResult(result.intact, expected, "seq gap")
        return result
    finally:
        conn.close()
        if was_enabled:
            gc.enable()


def _stored_hash(conn: sqlite3.Connection, seq: int) -> str | None:
    if seq == 0:
        return GENESIS
    row = conn.execute("SELECT hash FROM audit_event WHERE seq = ?", (seq,)).fetchone()
    return None if row is None else str(row[0])


def _sqlite_batches(conn: sqlite3.Connection, first_seq: int, end_seq: int) -> Iterable[list[Any]]:
    query = f"{SELECT_ROWS} WHERE seq >= ? AND seq < ? ORDER BY seq"
    cur = conn.execute(query, (first_seq, end_seq))
    next_seq = first_seq
    while True:
        try:
            batch = cur.fetchmany(BATCH)
        except sqlite3.OperationalError:
            # Bytes that are not UTF-8 ("Could not decode to UTF-8"): read on with the
            # bad bytes kept as surrogates, which the encoder then refuses (hash mismatch).
            conn.text_factory = lambda b: b.decode("utf-8", "surrogateescape")
            cur = conn.execute(query, (next_seq, end_seq))
            continue
        if not batch:
            return
        next_seq = int(batch[-1][0]) + 1
        yield batch


def main(argv: Sequence[str]) -> None:
    """`python -m labgate.audit.verify_rows PATH FIRST END`: one worker of `verify`."""
    path, first, end = argv
    print(json.dumps(check_sqlite_range(path, int(first), int(end))._asdict()))


if __name__ == "__main__":
    main(sys.argv[1:])
