"""Audit log benchmark: durable appends, verification, search and statistics.

    .venv/bin/python benchmarks/audit.py            # full size (about 10 minutes on 2 cores)
    .venv/bin/python benchmarks/audit.py --quick    # 1/100 of every size

Prints one table:

- durable, hash-chained appends through `record_many` on SQLite (WAL, synchronous=FULL, as
  labgate.db configures it) and on a throwaway PostgreSQL server with fsync and
  synchronous commit on: batches of 1000 events per transaction, and one event per
  transaction; each beside a plain INSERT of the same rows (same table, same indexes, no
  tail read, no hashing, no daily counts): the price of the chain;
- `verify` over 1 M events (SQLite);
- a filtered search (one user + one type + a one-week span, limit 100) and transaction
  statistics over 90 days (partial days at both edges), on a 10 M-event SQLite log.

The 1 M and 10 M logs are bulk-loaded with valid chains and daily counts computed here
(the same `event_hash`), because appending 10 M events durably would take the whole budget.

Goals: >= 20,000 events/s (SQLite, batches), verify 1 M <= 2 s, search <= 100 ms,
statistics <= 1 s.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, insert, text

from labgate.audit.chain import GENESIS, VERSION_TAG, event_hash
from labgate.audit.log import EVENTS, EventIn, canonical_detail, record_many
from labgate.audit.search import search
from labgate.audit.stats import transaction_stats
from labgate.audit.timestamps import US_PER_DAY, to_us
from labgate.audit.verify import verify
from labgate.db import Database
from labgate.migrate import upgrade

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from tests.postgres_server import PostgresServer

END = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)
ACTORS = 500
INSTITUTIONS = 10
DAYS = 365
#: A working day's mix: mostly file accesses, then sessions and workspaces.
TYPES = [
    ("file.access", 70),
    ("login", 5),
    ("logout", 5),
    ("workspace.start", 4),
    ("workspace.stop", 4),
    ("data.mount", 4),
    ("login.failed", 2),
    ("audit.search", 2),
    ("export.request", 1),
    ("workspace.start.denied", 1),
    ("grant.create", 1),
    ("membership.add", 1),
]
GOALS = {
    "append": 20_000.0,
    "verify": 2.0,
    "search": 0.100,
    "stats": 1.0,
}


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def synthetic(n: int, seed: int) -> Iterator[tuple[str, str, str, str, str, str]]:
    """(actor, kind, institution, type, object_kind, object_id) for n events."""
    rng = random.Random(seed)
    names = [name for name, _ in TYPES]
    weights = [w for _, w in TYPES]
    for _ in range(n):
        user = rng.randrange(ACTORS)
        type_ = rng.choices(names, weights)[0]
        project = user % 97
        if type_ == "file.access":
            obj = ("file", f"/projects/p{project}/data/f{rng.randrange(2000)}.parquet")
        elif type_.startswith(("login", "logout")):
            obj = ("session", f"user{user}")
        else:
            obj = ("project", f"p{project}")
        yield f"user{user}", "person", f"inst{user % INSTITUTIONS}", type_, obj[0], obj[1]


def events_in(n: int, seed: int) -> list[EventIn]:
    return [
        EventIn(a, k, i, t, ok, oid, detail={"project": oid.split("/")[2]} if ok == "file" else {})
        for a, k, i, t, ok, oid in synthetic(n, seed)
    ]


# -- appends ------------------------------------------------------------------------------


def fresh_sqlite(work: Path, name: str) -> Database:
    path = work / f"{name}.sqlite"
    path.unlink(missing_ok=True)
    upgrade(f"sqlite:///{path}")
    return Database(f"sqlite:///{path}")


def fresh_postgres(server: PostgresServer, name: str) -> Database:
    admin = create_engine(server.url(), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"DROP DATABASE IF EXISTS {name}"))
        conn.execute(text(f"CREATE DATABASE {name}"))
    admin.dispose()
    upgrade(server.url(name))
    return Database(server.url(name))


def chained(db: Database, events: list[EventIn], per_txn: int) -> float:
    start = time.perf_counter()
    for i in range(0, len(events), per_txn):
        with db.session() as s:
            record_many(s, events[i : i + per_txn])
    return len(events) / (time.perf_counter() - start)


def plain(db: Database, events: list[EventIn], per_txn: int) -> float:
    """The same rows inserted as they are: the floor that the chain adds to."""
    ts = to_us(END)
    rows = [
        {
            "seq": n + 1,
            "ts_us": ts + n,
            "actor": e.actor,
            "actor_kind": e.actor_kind,
            "institution": e.institution,
            "type": e.type,
            "object_kind": e.object_kind,
            "object_id": e.object_id,
            "outcome": e.outcome,
            "detail": canonical_detail(e.detail),
            "prev_hash": "",
            "hash": "",
        }
        for n, e in enumerate(events)
    ]
    start = time.perf_counter()
    for i in range(0, len(rows), per_txn):
        with db.session() as s:
            s.connection().execute(insert(EVENTS), rows[i : i + per_txn])
    return len(rows) / (time.perf_counter() - start)


def _plain_row(seq: int, ts_us: int, e: EventIn) -> dict[str, Any]:
    return {
        "seq": seq, "ts_us": ts_us, "actor": e.actor, "actor_kind": e.actor_kind,
        "institution": e.institution, "type": e.type, "object_kind": e.object_kind,
        "object_id": e.object_id, "outcome": e.outcome, "detail": canonical_detail(e.detail),
        "prev_hash": "", "hash": "",
    }  # fmt: skip


def append_rows(
    label: str, fresh: Callable[[str], Database], batched: int, single: int
) -> list[tuple[str, str, str, str]]:
    out = []
    for per_txn, n in ((1000, batched), (1, single)):
        events = events_in(n, seed=per_txn)
        results = {}
        for kind, run in (("chained", chained), ("plain INSERT", plain)):
            log(f"{label}: {kind}, {n:,} events, {per_txn} per transaction")
            db = fresh(f"append_{per_txn}_{kind.split()[0]}")
            try:
                results[kind] = run(db, events, per_txn)
            finally:
                db.dispose()
        goal = f">= {GOALS['append']:,.0f}/s" if label == "SQLite" and per_txn == 1000 else ""
        ratio = results["plain INSERT"] / results["chained"]
        out.append(
            (
                f"{label} append, {per_txn} event{'s' if per_txn > 1 else ''}/txn",
                f"{n:,}",
                f"{results['chained']:,.0f} events/s (plain INSERT {results['plain INSERT']:,.0f}"
                f"/s, chain costs {ratio:.1f}x)",
                goal + (_met(results["chained"] >= GOALS["append"]) if goal else ""),
            )
        )
    return out


# -- bulk-loaded logs -------------------------------------------------------------------


def bulk_load(path: Path, n: int, seed: int) -> None:
    """A valid chain of n events spread evenly over DAYS days before END, with its daily
    counts: written straight into the migrated schema (indexes built after the load).
    A log loaded before with the same size and chain version (--work) is reused."""
    done = path.with_suffix(".loaded")
    if path.exists() and done.exists() and done.read_text() == f"{n} {seed} {VERSION_TAG}":
        log(f"  reusing {path}")
        return
    path.unlink(missing_ok=True)
    upgrade(f"sqlite:///{path}")
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=OFF")
    conn.execute("PRAGMA cache_size=-1000000")
    indexes = conn.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'audit_event' "
        "AND sql IS NOT NULL"
    ).fetchall()
    for name, _ in indexes:
        conn.execute(f"DROP INDEX {name}")
    first = to_us(END) - DAYS * US_PER_DAY
    step = DAYS * US_PER_DAY // n
    prev = GENESIS
    chunk: list[tuple[Any, ...]] = []
    conn.execute("BEGIN")
    for seq, (actor, kind, inst, type_, okind, oid) in enumerate(synthetic(n, seed), start=1):
        ts = first + seq * step
        detail = f'{{"project":"{oid.split("/")[2]}"}}' if okind == "file" else "{}"
        digest = event_hash(prev, seq, ts, actor, kind, inst, type_, okind, oid, "ok", detail)
        chunk.append((seq, ts, actor, kind, inst, type_, okind, oid, "ok", detail, prev, digest))
        prev = digest
        if len(chunk) == 100_000:
            _insert(conn, chunk)
            chunk = []
            if seq % 1_000_000 == 0:
                log(f"  loaded {seq:,} events")
    _insert(conn, chunk)
    conn.execute("COMMIT")
    log("  building indexes and daily counts")
    for _, sql in indexes:
        conn.execute(sql)
    conn.execute(
        f"INSERT INTO audit_daily_count (day, actor, type, institution, count) "
        f"SELECT ts_us / {US_PER_DAY}, actor, type, institution, count(*) FROM audit_event "
        "GROUP BY 1, 2, 3, 4"
    )
    conn.execute("ANALYZE")
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    done.write_text(f"{n} {seed} {VERSION_TAG}")


def _insert(conn: sqlite3.Connection, rows: list[tuple[Any, ...]]) -> None:
    conn.executemany("INSERT INTO audit_event VALUES (?,?,?,?,?,?,?,?,?,?,?,?)", rows)


def timed(fn: Callable[[], object], repeat: int) -> float:
    """The median of `repeat` runs after one warm-up (the page cache is warm in production)."""
    fn()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


#: Goals are for the full sizes: a --quick run prints them without a verdict.
_verdicts = True


def _met(ok: bool) -> str:
    if not _verdicts:
        return ""
    return " (met)" if ok else " (NOT met)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="1/100 of every size")
    parser.add_argument(
        "--work", type=Path, help="directory for the databases (kept, and reused by the next run)"
    )
    args = parser.parse_args()
    global _verdicts
    _verdicts = not args.quick
    scale = 100 if args.quick else 1
    work = args.work or Path(tempfile.mkdtemp(prefix="labgate-audit-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    rows: list[tuple[str, str, str, str]] = []
    try:
        rows += append_rows(
            "SQLite", lambda name: fresh_sqlite(work, name), 100_000 // scale, 2_000 // scale
        )
        server = PostgresServer(durable=True)
        server.start()
        try:
            rows += append_rows(
                "PostgreSQL",
                lambda name: fresh_postgres(server, name),
                100_000 // scale,
                2_000 // scale,
            )
        finally:
            server.stop()

        n_verify = 1_000_000 // scale
        log(f"loading {n_verify:,} events for verify")
        bulk_load(work / "verify.sqlite", n_verify, seed=1)
        db = Database(f"sqlite:///{work / 'verify.sqlite'}")
        start = time.perf_counter()
        result = verify(db)
        seconds = time.perf_counter() - start
        assert result.ok and result.events == n_verify, result
        db.dispose()
        rows.append(
            (
                "verify (SQLite)",
                f"{n_verify:,}",
                f"{seconds:.2f} s ({n_verify / seconds:,.0f} events/s)",
                f"<= {GOALS['verify']:.0f} s" + _met(seconds <= GOALS["verify"]),
            )
        )

        n_big = 10_000_000 // scale
        log(f"loading {n_big:,} events for search and statistics")
        bulk_load(work / "big.sqlite", n_big, seed=2)
        rows += read_rows(Database(f"sqlite:///{work / 'big.sqlite'}"), n_big)
    finally:
        if args.work is None:
            shutil.rmtree(work, ignore_errors=True)

    print(f"\nlabgate audit log{' (--quick: 1/100 sizes)' if args.quick else ''}\n")
    print(f"| {'measurement':<38} | {'events':>10} | {'result':<62} | {'goal':<20} |")
    print(f"|{'-' * 40}|{'-' * 11}:|{'-' * 64}|{'-' * 22}|")
    for label, size, result_text, goal in rows:
        print(f"| {label:<38} | {size:>10} | {result_text:<62} | {goal:<20} |")


def read_rows(db: Database, n: int) -> list[tuple[str, str, str, str]]:
    week_end = END - dt.timedelta(days=30)
    week = dict(since=week_end - dt.timedelta(days=7), until=week_end)

    def run_search() -> None:
        with db.read_session() as s:
            found = search(s, actor="user17", type="file.access", limit=100, **week)
        assert found, "the search should find events"

    # 90 days with partial days at both edges (from 07:00 to 15:00).
    since = END - dt.timedelta(days=91) + dt.timedelta(hours=7)
    until = END - dt.timedelta(hours=9)

    def run_stats() -> None:
        with db.read_session() as s:
            stats = transaction_stats(s, since=since, until=until)
        assert stats

    log("timing search and statistics")
    search_s = timed(run_search, 7)
    stats_s = timed(run_stats, 3)
    db.dispose()
    return [
        (
            "search: user + type + 1 week, limit 100",
            f"{n:,}",
            f"{search_s * 1000:.1f} ms (median of 7)",
            f"<= {GOALS['search'] * 1000:.0f} ms" + _met(search_s <= GOALS["search"]),
        ),
        (
            "statistics: 90 days, all users",
            f"{n:,}",
            f"{stats_s:.3f} s (median of 3)",
            f"<= {GOALS['stats']:.0f} s" + _met(stats_s <= GOALS["stats"]),
        ),
    ]


if __name__ == "__main__":
    main()
