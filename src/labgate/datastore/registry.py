"""Register a dataset from a Parquet or CSV file: check it against its declaration, copy it
into the vault, and declare it in the database with the years found in the data.

Every check runs before anything is written. The copy is staged in the vault and renamed
into `vault/registers/<code>` only when complete, and removed again if the database
refuses the declaration, so a refused registration leaves nothing behind.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
from sqlalchemy import select

from labgate.audit.log import Actor, record_as
from labgate.datastore.engine import connect, sql_path
from labgate.datastore.layout import (
    DataStore,
    fsync_tree,
    identifier_kind,
    remove_tree,
    write_json_atomic,
)
from labgate.datastore.vaultfiles import MANIFEST, RegisterManifest, sha256_file
from labgate.db import Database
from labgate.errors import Conflict, InvalidInput, NotFound
from labgate.model import Dataset
from labgate.names import validate_code
from labgate.services.datasets import VariableSpec, create_dataset

#: Declared type -> the DuckDB type a CSV column is read as.
SQL_TYPES = {
    "string": "VARCHAR",
    "int": "BIGINT",
    "float": "DOUBLE",
    "date": "DATE",
    "bool": "BOOLEAN",
}
ARROW_CHECKS = {
    "string": lambda t: (
        pa.types.is_string(t) or pa.types.is_large_string(t) or pa.types.is_string_view(t)
    ),
    "int": pa.types.is_integer,
    "float": pa.types.is_floating,
    "date": pa.types.is_date,
    "bool": pa.types.is_boolean,
}  # fmt: skip


def register_dataset(
    db: Database,
    store: DataStore,
    actor: Actor,
    *,
    code: str,
    path: Path,
    variables: Sequence[VariableSpec],
    unit: str = "person",
    title: str = "",
    source: str = "",
    description: str = "",
    identifier_kinds: Mapping[str, str] | None = None,
    years: Sequence[int] = (),
    owner_project_id: int | None = None,
    audit_type: str = "data.register",
) -> Dataset:
    """Register the file at `path` as dataset `code`; `years` only for data without a year
    column. Identifier kinds default to the dataset's unit (person or business)."""
    validate_code(code, "dataset")
    specs = list(variables)
    kinds = _identifier_kinds(specs, unit, identifier_kinds or {})
    with db.read_session() as session:
        if session.scalar(select(Dataset.id).where(Dataset.code == code)) is not None:
            raise Conflict(
                f"A dataset with the code '{code}' already exists.", reason="duplicate-code"
            )
    reader = _reader(path, specs)
    con = connect(store)
    try:
        _check_columns(con, reader, path, specs)
        rows, found_years = _check_values(con, reader, specs)
        staging = store.new_staging_dir(f"register+{code}")
        target = staging / "part-0.parquet"
        select_list = ", ".join(_column(s, reader) for s in specs)
        con.execute(
            f"COPY (SELECT {select_list} FROM {reader}) TO {sql_path(target)} "
            "(FORMAT parquet, COMPRESSION zstd)"
        )
    finally:
        con.close()
    manifest = RegisterManifest(
        dataset=code, rows=rows, identifier_kinds=kinds,
        files={target.name: sha256_file(target)}, source_name=path.name,
    )  # fmt: skip
    write_json_atomic(staging / MANIFEST, manifest.to_json())
    fsync_tree(staging)
    final = store.register_dir(code)
    remove_tree(final)  # an orphan of a run killed before its database write; no row names it
    staging.rename(final)
    try:
        with db.session() as session:
            dataset = create_dataset(
                session, actor, code=code, title=title, unit=unit, variables=specs,
                years=found_years or years, source=source, description=description,
                owner_project_id=owner_project_id,
            )  # fmt: skip
            record_as(
                session, actor, audit_type, "dataset", code,
                detail={"rows": rows, "file": path.name, "sha256": manifest.files[target.name]},
            )  # fmt: skip
            # Loaded now, while the session is open: callers read them afterwards.
            _ = (list(dataset.variables), list(dataset.years))
            return dataset
    except BaseException:
        remove_tree(final)
        raise


def _identifier_kinds(
    specs: Sequence[VariableSpec], unit: str, given: Mapping[str, str]
) -> dict[str, str]:
    identifiers = [s.name for s in specs if s.is_identifier]
    for name in given:
        if name not in identifiers:
            raise InvalidInput(
                f"'{name}' is given an identifier kind but is not declared as an identifier.",
                reason="kind-for-non-identifier",
            )
    return {name: identifier_kind(given.get(name, unit)) for name in identifiers}


def _reader(path: Path, specs: Sequence[VariableSpec]) -> str:
    if not path.is_file():
        raise NotFound(f"There is no file at {path}.", reason="no-such-file")
    suffix = path.suffix.lower()
    if suffix == ".parquet":
        return f"read_parquet({sql_path(path)})"
    if suffix == ".csv":
        # Read every column as text first, so a bad value is reported by column, not lost
        # in a parser error, and person numbers keep their leading zeros.
        return f"read_csv({sql_path(path)}, header = true, all_varchar = true)"
    raise InvalidInput(
        f"'{path.name}' is neither a Parquet (.parquet) nor a CSV (.csv) file.",
        reason="unsupported-file-type",
    )


def _check_columns(
    con: duckdb.DuckDBPyConnection, reader: str, path: Path, specs: Sequence[VariableSpec]
) -> None:
    if path.suffix.lower() == ".parquet":
        schema = pq.read_schema(path)
        actual: dict[str, pa.DataType | None] = {f.name: f.type for f in schema}
    else:
        actual = {
            row[0]: None for row in con.execute(f"DESCRIBE SELECT * FROM {reader}").fetchall()
        }
    declared = [s.name for s in specs]
    missing = [n for n in declared if n not in actual]
    if missing:
        raise InvalidInput(
            f"The file has no column named {', '.join(missing)}, which the declaration lists. "
            f"Its columns are: {', '.join(actual)}.",
            reason="missing-column",
        )
    extra = [n for n in actual if n not in declared]
    if extra:
        raise InvalidInput(
            f"The file has columns that are not declared: {', '.join(extra)}. Declare them "
            "(with their flags) or remove them from the file; undeclared columns could hold "
            "identifiers.",
            reason="undeclared-column",
        )
    for spec in specs:
        arrow_type = actual[spec.name]
        if arrow_type is not None and not ARROW_CHECKS[spec.dtype](arrow_type):
            raise InvalidInput(
                f"The column '{spec.name}' is declared as {spec.dtype}, but the file holds "
                f"{arrow_type} values. Correct the declaration or the file and register again.",
                reason="wrong-column-type",
            )
        if spec.is_identifier and spec.dtype not in ("string", "int"):
            raise InvalidInput(
                f"The identifier '{spec.name}' must be a string or an int, not {spec.dtype}.",
                reason="wrong-identifier-type",
            )
        if spec.is_year and spec.dtype != "int":
            raise InvalidInput(
                f"The year column '{spec.name}' must be an int, not {spec.dtype}.",
                reason="wrong-year-type",
            )


def _check_values(
    con: duckdb.DuckDBPyConnection, reader: str, specs: Sequence[VariableSpec]
) -> tuple[int, list[int]]:
    """One pass: values that do not fit their type (CSV), empty identifiers, the years."""
    csv = reader.startswith("read_csv")
    parts = ["count(*)"]
    for s in specs:
        if csv:
            parts.append(
                f'count(*) FILTER (WHERE "{s.name}" IS NOT NULL AND '
                f'TRY_CAST("{s.name}" AS {SQL_TYPES[s.dtype]}) IS NULL)'
            )
        if s.is_identifier:
            blank = f" OR \"{s.name}\" = ''" if s.dtype == "string" or csv else ""
            parts.append(f'count(*) FILTER (WHERE "{s.name}" IS NULL{blank})')
    year = next((s for s in specs if s.is_year), None)
    if year is not None:
        parts.append(f'list(DISTINCT TRY_CAST("{year.name}" AS BIGINT))')
    values = list(con.execute(f"SELECT {', '.join(parts)} FROM {reader}").fetchall()[0])
    rows = int(values.pop(0))
    for s in specs:
        if csv and (bad := int(values.pop(0))):
            raise InvalidInput(
                f"The column '{s.name}' is declared as {s.dtype}, but {bad} of its values are "
                f"not {s.dtype} values. Correct the declaration or the file and register again.",
                reason="wrong-column-type",
            )
        if s.is_identifier and (empty := int(values.pop(0))):
            raise InvalidInput(
                f"The identifier '{s.name}' is empty in {bad_rows(empty)}. Every row needs its "
                "identifier; remove or complete those rows and register again.",
                reason="empty-identifier",
            )
    found = sorted(int(y) for y in (values.pop(0) if year is not None else []) if y is not None)
    return rows, found


def _column(spec: VariableSpec, reader: str) -> str:
    """A column as the vault keeps it: CSV text cast to its declared type."""
    if reader.startswith("read_csv"):
        return f'CAST("{spec.name}" AS {SQL_TYPES[spec.dtype]}) AS "{spec.name}"'
    return f'"{spec.name}"'


def bad_rows(n: int) -> str:
    return "1 row" if n == 1 else f"{n} rows"
