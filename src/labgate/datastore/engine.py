"""DuckDB connections for the data store: bounded memory, spill files kept in the vault.

DuckDB spills to disk when a join or a DISTINCT outgrows its memory limit. Those spill
files hold raw identifiers, so they go to a directory inside the vault, never to DuckDB's
default (a `.tmp` next to the working directory, which could be a project area).
"""

from __future__ import annotations

import os
from pathlib import Path

import duckdb

from labgate.datastore.layout import DataStore
from labgate.errors import InvalidInput

#: Enough for a hash join of tens of millions of keys; larger inputs spill, never fail.
DEFAULT_MEMORY_LIMIT = "512MB"
UNITS = {"KB", "MB", "GB", "TB", "KIB", "MIB", "GIB"}


def sql_path(path: Path) -> str:
    """A path as a SQL string literal (paths are built from validated codes and the root)."""
    return "'" + str(path).replace("'", "''") + "'"


def connect(
    store: DataStore, *, memory_limit: str = DEFAULT_MEMORY_LIMIT, threads: int | None = None
) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB that streams: bounded memory, spill in the vault, no extensions."""
    store.ensure_vault()
    spill = store.vault / "staging" / "duckdb-spill"
    spill.mkdir(mode=0o700, exist_ok=True)
    con = duckdb.connect(":memory:")
    con.execute(f"SET memory_limit = '{_checked_size(memory_limit)}'")
    con.execute(f"SET temp_directory = {sql_path(spill)}")
    con.execute(f"SET threads = {int(threads or os.cpu_count() or 1)}")
    # Row order of a register means nothing; letting go of it lets DuckDB stream.
    con.execute("SET preserve_insertion_order = false")
    # Nothing a query reads or writes comes from the network or a downloaded extension.
    con.execute("SET autoinstall_known_extensions = false")
    con.execute("SET autoload_known_extensions = false")
    con.execute("SET enable_progress_bar = false")
    return con


def _checked_size(value: str) -> str:
    text = value.strip().upper().replace(" ", "")
    number = text.rstrip("KMGTIB")
    if not number.isdigit() or text[len(number) :] not in UNITS:
        raise InvalidInput(
            f"'{value}' is not a memory size. Write it as for example 512MB or 2GB.",
            reason="invalid-memory-limit",
        )
    return text
