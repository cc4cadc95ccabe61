"""Look for real identifiers anywhere under the project area (DATA-1, DATA-3)."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import pyarrow.parquet as pq

from labgate.datastore.layout import DataStore


def raw_identifiers(raw: Path, column: str = "pnr") -> set[str]:
    return {str(v) for v in pq.read_table(raw, columns=[column]).column(column).to_pylist()}


def assert_no_raw_identifier(store: DataStore, raw_ids: Iterable[str]) -> int:
    """Read back every Parquet file and grep every file's bytes; return files scanned."""
    ids = set(raw_ids)
    needles = [i.encode() for i in ids]
    files = [p for p in store.projects.rglob("*") if p.is_file()]
    for path in files:
        blob = path.read_bytes()
        found = [n for n in needles if n in blob]
        assert not found, f"{path} holds raw identifier bytes {found[:3]}"
        if path.suffix == ".parquet":
            table = pq.read_table(path)
            for name in table.column_names:
                values = {str(v) for v in table.column(name).to_pylist()}
                assert not values & ids, f"{path}:{name} holds raw identifiers"
    return len(files)
