"""Populations of a project database (PROJ-5): sets of the project's own pseudonyms.

A manager selects a population from the project's materialised (already pseudonymised)
data with simple conditions, `column op value`, joined by AND, or lists pseudonyms. The
conditions are parsed here and every value is a query parameter: a manager never writes
SQL, so a filter cannot read another file of the store. The members are kept in the vault
(`vault/populations/<project>/<name>.parquet`); the database keeps the rule and the size.
"""

from __future__ import annotations

import os
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
from sqlalchemy import select

from labgate import clock
from labgate.audit.log import Actor, record_as
from labgate.datastore.engine import connect, sql_path
from labgate.datastore.keys import key_relation
from labgate.datastore.layout import DataStore, fsync_dir
from labgate.db import Database
from labgate.errors import Conflict, InvalidInput, NotFound
from labgate.model import Population
from labgate.names import validate_code
from labgate.services import lookup

CONDITION = re.compile(r"^\s*([a-z][a-z0-9_]*)\s*(<=|>=|!=|=|<|>|\bin\b)\s*(.+?)\s*$")


@dataclass(frozen=True)
class Condition:
    column: str
    op: str
    values: tuple[str, ...]


def parse_condition(text: str) -> Condition:
    """'kom = 101', 'year >= 2020' or 'level in 60,65,70'."""
    match = CONDITION.match(text)
    if not match:
        raise InvalidInput(
            f"'{text}' is not a condition. Write column, operator and value, for example "
            "'kom = 101', 'year >= 2020' or 'level in 60,65,70'.",
            reason="invalid-condition",
        )
    column, op, value = match.groups()
    values = tuple(v.strip() for v in value.split(",")) if op == "in" else (value.strip(),)
    return Condition(column, op, tuple(v.strip("'\"") for v in values))


def create_population(
    db: Database,
    store: DataStore,
    actor: Actor,
    *,
    project_code: str,
    name: str,
    dataset_code: str | None = None,
    conditions: Sequence[str] = (),
    pseudonyms: Sequence[int] | None = None,
    description: str = "",
) -> Population:
    """Select a population from the project's dataset `dataset_code` by `conditions`, or
    take the given `pseudonyms` (which must all be the project's person pseudonyms)."""
    validate_code(name, "population")
    with db.read_session() as session:
        project = lookup.project(session, project_code)
        taken = select(Population.id).where(
            Population.project_id == project.id, Population.name == name
        )
        if session.scalar(taken) is not None:
            raise Conflict(
                f"The project '{project_code}' already has a population named '{name}'.",
                reason="duplicate-population",
            )
        id_column = None
        if dataset_code is not None:
            dataset = lookup.dataset(session, dataset_code)
            id_column = next((v.name for v in dataset.variables if v.is_identifier), None)
    path = store.population_file(project_code, name)
    con = connect(store)
    try:
        if pseudonyms is not None:
            members, definition = _from_list(con, store, project_code, pseudonyms)
        elif dataset_code is not None and id_column is not None:
            parsed = [parse_condition(c) for c in conditions]
            members, definition = _from_data(
                con, store, project_code, dataset_code, id_column, parsed
            )
        else:
            raise InvalidInput(
                "Give a dataset of the project (with a person number) and conditions, or a "
                "list of pseudonyms.",
                reason="population-needs-source",
            )
    finally:
        con.close()
    _write_members(path, members)
    try:
        with db.session() as session:
            project = lookup.project(session, project_code)
            population = Population(
                project_id=project.id, name=name, description=description,
                definition=definition, size=len(members), created_by=actor.name,
                created_at=clock.now(),
            )  # fmt: skip
            session.add(population)
            session.flush()
            record_as(
                session, actor, "population.create", "project", project_code,
                detail={"population": name, "size": len(members), "definition": definition},
            )  # fmt: skip
            return population
    except BaseException:
        path.unlink(missing_ok=True)
        raise


def _from_data(
    con: Any, store: DataStore, project: str, dataset: str, id_column: str,
    conditions: Sequence[Condition],
) -> tuple[pa.Array, str]:  # fmt: skip
    files = store.dataset_dir(project, dataset) / "*.parquet"
    if not store.dataset_dir(project, dataset).is_dir():
        raise NotFound(
            f"The project '{project}' holds no materialised data of '{dataset}'. Materialise "
            "its grant first.",
            reason="dataset-not-materialised",
        )
    relation = f"read_parquet({sql_path(files)})"
    types = {r[0]: r[1] for r in con.execute(f"DESCRIBE SELECT * FROM {relation}").fetchall()}
    where: list[str] = []
    params: list[object] = []
    for c in conditions:
        if c.column not in types:
            raise InvalidInput(
                f"The dataset '{dataset}' has no column '{c.column}' in this project. Its "
                f"columns are: {', '.join(types)}.",
                reason="unknown-column",
            )
        marks = ", ".join("?" for _ in c.values)
        op = "IN" if c.op == "in" else c.op
        rhs = f"({marks})" if op == "IN" else "?"
        where.append(f'"{c.column}" {op} {rhs}')
        params.extend(_typed(v, types[c.column], c.column) for v in c.values)
    sql = f'SELECT DISTINCT "{id_column}" AS pseudonym FROM {relation}'
    if where:
        sql += " WHERE " + " AND ".join(where)
    members = con.sql(sql, params=params).to_arrow_table().column("pseudonym").combine_chunks()
    text = " and ".join(f"{c.column} {c.op} {','.join(c.values)}" for c in conditions)
    return members, f"persons in {dataset}" + (f" where {text}" if text else "")


def _from_list(
    con: Any, store: DataStore, project: str, pseudonyms: Sequence[int]
) -> tuple[pa.Array, str]:
    wanted = pa.table({"pseudonym": pa.array(sorted(set(pseudonyms)), pa.int64())})
    con.register("wanted", wanted)
    unknown = con.execute(
        f"SELECT count(*) FROM wanted ANTI JOIN {key_relation(store, project, 'person')} "
        "AS k USING (pseudonym)"
    ).fetchall()[0][0]
    if unknown:
        raise InvalidInput(
            f"{unknown} of the listed numbers are not pseudonyms of the project '{project}'. "
            "List only pseudonyms from the project's own data.",
            reason="unknown-pseudonym",
        )
    return wanted.column("pseudonym").combine_chunks(), f"a list of {wanted.num_rows} pseudonyms"


def _typed(value: str, sql_type: str, column: str) -> object:
    try:
        if sql_type in {"BIGINT", "INTEGER", "SMALLINT", "TINYINT", "HUGEINT"}:
            return int(value)
        if sql_type in {"DOUBLE", "FLOAT"} or sql_type.startswith("DECIMAL"):
            return float(value)
    except ValueError:
        raise InvalidInput(
            f"'{value}' is not a number, but the column '{column}' holds numbers.",
            reason="invalid-condition-value",
        ) from None
    if sql_type == "BOOLEAN":
        return value.lower() in {"true", "1", "yes"}
    return value


def _write_members(path: Any, members: pa.Array) -> None:
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    pq.write_table(pa.table({"pseudonym": members.cast(pa.int64())}), tmp)
    with open(tmp, "rb") as handle:
        os.fsync(handle.fileno())
    os.replace(tmp, path)
    fsync_dir(path.parent)
