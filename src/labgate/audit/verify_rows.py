"""Checking a run of audit_event rows against the chain (stdlib only: runs in workers).

`verify` splits a large SQLite log into seq ranges and checks them in parallel, each in a
`python -m labgate.audit.verify_rows PATH FIRST END` process. This module imports nothing
heavier than `labgate.audit.chain`, so such a worker is up in a few tens of milliseconds,
and it never imports the caller's `__main__` (as multiprocessing's spawn would: a hub or
CLI whose startup takes longer than the check itself).
"""

from __future__ import annotations

import gc
import hashlib
import json
import sqlite3
import sys
from collections.abc import Iterable, Iterator, Sequence
from typing import Any, NamedTuple

from labgate.audit.chain import GENESIS, canonical_text

# The columns in the order `canonical_text` takes them after prev_hash, then the two hashes.
# No CASTs: a value tampered into another storage class (a BLOB, a REAL time, NULL) comes
# back as another Python type, whose encoding either fails or differs: a hash mismatch.
SELECT_ROWS = (
    "SELECT seq, ts_us, actor, actor_kind, institution, type, object_kind, object_id, "
    "outcome, detail, prev_hash, hash FROM audit_event"
)
BATCH = 5_000

SEQ_GAP = "seq gap"
PREV_MISMATCH = "prev_hash does not match"
HASH_MISMATCH = "hash mismatch"


class RangeResult(NamedTuple):
    #: Events found intact, from the first of the range on.
    intact: int
    #: The first seq found missing, unlinked or edited; None when the range is intact.
    broken_seq: int | None
    problem: str | None


def check_rows(
    batches: Iterable[Sequence[Sequence[Any]]], first_seq: int, link: str | None
) -> tuple[RangeResult, int]:
    """Check rows (columns as SELECT_ROWS) that should be `first_seq`, `first_seq`+1, ...
    chained to the hash `link` (None: the event before is missing). Returns the result and the
    next seq expected."""
    sha256 = hashlib.sha256
    expected = first_seq
    last = link  # the hash the next row must link to
    for batch in batches:
        for row in batch:
            seq, ts_us, actor, kind, inst, type_, okind, oid, outcome, detail, prev, digest = row
            if seq != expected:
                return RangeResult(expected - first_seq, expected, SEQ_GAP), expected
            if prev != last:
                return RangeResult(expected - first_seq, seq, PREV_MISMATCH), expected
            try:
                text = canonical_text(
                    prev, seq, ts_us, actor, kind, inst, type_, okind, oid, outcome, detail
                ).encode("utf-8")
            except (TypeError, ValueError):
                # NULL, a float time, text that is not Unicode: `record` never writes
                # these, so the event was altered.
                return RangeResult(expected - first_seq, seq, HASH_MISMATCH), expected
            if sha256(text).hexdigest() != digest:
                return RangeResult(expected - first_seq, seq, HASH_MISMATCH), expected
            last = digest
            expected += 1
    return RangeResult(expected - first_seq, None, None), expected


def check_sqlite_range(path: str, first_seq: int, end_seq: int) -> RangeResult:
    """Check events `first_seq` <= seq < `end_seq` of the SQLite database at `path`."""
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        prev = stored_hash(conn, first_seq - 1)
        result, expected = check_rows(sqlite_batches(conn, first_seq, end_seq), first_seq, prev)
        if result.broken_seq is None and expected != end_seq:
            # The range ended early: the rows up to end_seq are missing.
            return RangeResult(result.intact, expected, SEQ_GAP)
        return result
    finally:
        conn.close()


def stored_hash(conn: sqlite3.Connection, seq: int) -> str | None:
    """The hash stored for event `seq` (GENESIS before the first), None if it is missing."""
    if seq == 0:
        return GENESIS
    row = conn.execute("SELECT hash FROM audit_event WHERE seq = ?", (seq,)).fetchone()
    return None if row is None else str(row[0])


def sqlite_batches(conn: sqlite3.Connection, first_seq: int, end_seq: int) -> Iterator[list[Any]]:
    """Rows first_seq <= seq < end_seq in seq order, in batches."""
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


def main(argv: Sequence[str]) -> int:
    """Worker entry point: check one range, print the result as a JSON array."""
    path, first, end = argv[0], int(argv[1]), int(argv[2])
    # A worker holds no reference cycles; the collector would only rescan row tuples.
    gc.disable()
    print(json.dumps(list(check_sqlite_range(path, first, end))))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
