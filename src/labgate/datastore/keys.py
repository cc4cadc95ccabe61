"""Per-project key tables: real identifier -> random running number (DATA-1, DATA-2, DATA-3).

A project's pseudonyms are the numbers 1..N handed out in a random order: when new
identifiers first need keys, they get a random permutation of the numbers after the
current maximum. A pseudonym is therefore not a function of the identifier (a salted hash
of a national ID space can be enumerated in minutes), the same person keeps the same
number in every dataset of the project, and two projects' numbers are unrelated because
each project draws its own permutation.

The permutation comes from numpy's Philox generator keyed with 128 bits from `secrets`:
a counter-based generator built from a block cipher, so knowing some (identifier,
pseudonym) pairs does not let anyone predict the rest. Tests may pass a seed.

Key tables live only in the vault, one Parquet file per project and identifier kind
(person, business), and are replaced atomically. Callers hold the project lock.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa

from labgate.datastore.engine import sql_path
from labgate.datastore.layout import DataStore, fsync_dir


@dataclass(frozen=True)
class KeyUpdate:
    """What one call to `ensure_keys` did."""

    kind: str
    added: int
    total: int


def new_generator(seed: int | None = None) -> np.random.Generator:
    """A Philox generator keyed from the OS CSPRNG, or from `seed` when a test asks."""
    key = secrets.randbits(128) if seed is None else seed
    return np.random.Generator(np.random.Philox(key=key))


def key_relation(store: DataStore, project: str, kind: str) -> str:
    """SQL for the project's key table (identifier VARCHAR, pseudonym BIGINT), maybe empty."""
    path = store.key_file(project, kind)
    if path.exists():
        return f"read_parquet({sql_path(path)})"
    return "(SELECT NULL::VARCHAR AS identifier, NULL::BIGINT AS pseudonym WHERE false)"


def ensure_keys(
    con: duckdb.DuckDBPyConnection,
    store: DataStore,
    project: str,
    kind: str,
    identifiers_sql: str,
    *,
    seed: int | None = None,
) -> KeyUpdate:
    """Give every identifier of `identifiers_sql` (a query with one column `identifier`)
    that has no pseudonym in `project` yet a new one; return how many were added.
    """
    path = store.key_file(project, kind)
    current = key_relation(store, project, kind)
    con.execute(
        "CREATE OR REPLACE TEMP TABLE new_ids AS "
        "SELECT identifier, (row_number() OVER ()) - 1 AS rn FROM ("
        "  SELECT DISTINCT CAST(identifier AS VARCHAR) AS identifier"
        f"  FROM ({identifiers_sql}) WHERE identifier IS NOT NULL"
        f") AS s ANTI JOIN {current} AS k USING (identifier)"
    )
    added = _scalar(con, "SELECT count(*) FROM new_ids")
    base = _scalar(con, f"SELECT coalesce(max(pseudonym), 0) FROM {current}")
    if added == 0:
        con.execute("DROP TABLE new_ids")
        return KeyUpdate(kind=kind, added=0, total=base)
    # The order of new_ids may follow the identifiers (sorted input, hash order); the random
    # permutation is what makes the assignment independent of it.
    numbers = new_generator(seed).permutation(added).astype(np.int64) + base + 1
    perm = pa.table({"rn": pa.array(np.arange(added, dtype=np.int64)), "pseudonym": numbers})
    con.register("new_numbers", perm)
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    con.execute(
        f"COPY (SELECT identifier, pseudonym FROM {current} UNION ALL "
        "SELECT n.identifier, p.pseudonym FROM new_ids n JOIN new_numbers p USING (rn)) "
        f"TO {sql_path(tmp)} (FORMAT parquet, COMPRESSION zstd)"
    )
    con.unregister("new_numbers")
    con.execute("DROP TABLE new_ids")
    _durable_replace(tmp, path)
    return KeyUpdate(kind=kind, added=added, total=base + added)


def _durable_replace(tmp: Path, path: Path) -> None:
    with open(tmp, "rb") as handle:
        os.fsync(handle.fileno())
    os.chmod(tmp, 0o600)
    os.replace(tmp, path)
    fsync_dir(path.parent)


def _scalar(con: duckdb.DuckDBPyConnection, sql: str) -> int:
    # fetchall: DuckDB 2 refuses new work on a connection with a half-read result.
    rows = con.execute(sql).fetchall()
    return int(rows[0][0]) if rows and rows[0][0] is not None else 0
