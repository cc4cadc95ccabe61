"""Materialise a grant: only the granted variables and years, identifiers replaced by the
project's pseudonyms, protection markers carried along (DATA-1, 2, 4, 7, 8; PROJ-5).

One DuckDB query streams the raw register from the vault through the key tables into a
Parquet file in the vault's staging area; the finished directory is then renamed into
`projects/<project>/data/<dataset>`. A run killed at any point leaves either the previous
dataset or the complete new one visible, never a part, and a rerun finishes the job.

Identifier columns keep their names (`pnr` stays `pnr`) and hold the project's pseudonym
(BIGINT) instead of the real number, so that joins across a project's datasets read the
same as they would on the raw registers, and code written against register documentation
keeps working. The raw values never leave the vault.

A sub-project grant with a population: the population is a set of the main project's
pseudonyms. Inside the vault, main pseudonym -> raw identifier (main key) -> sub-project
pseudonym (the sub-project's own key); the sub-project never sees the main numbers.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from labgate import clock
from labgate.audit.log import Actor, record_as
from labgate.datastore import keys
from labgate.datastore.engine import DEFAULT_MEMORY_LIMIT, connect, sql_path
from labgate.datastore.layout import DataStore, fsync_tree, make_read_only, remove_tree
from labgate.datastore.plan import GRANT_FILE, Plan, load_plan
from labgate.datastore.vaultfiles import read_manifest, register_glob
from labgate.db import Database
from labgate.model import Grant


@dataclass(frozen=True)
class Materialised:
    grant_id: int
    project: str
    dataset: str
    rows: int
    #: False when the dataset was already complete and only the record was brought up to date.
    written: bool
    keys_added: dict[str, int] = field(default_factory=dict)


def materialise_grant(
    db: Database,
    store: DataStore,
    actor: Actor,
    grant_id: int,
    *,
    memory_limit: str = DEFAULT_MEMORY_LIMIT,
    threads: int | None = None,
    seed: int | None = None,
) -> Materialised:
    """Write grant `grant_id` into its project's data area (idempotent, crash-safe)."""
    with db.read_session() as session:
        plan = load_plan(session, grant_id)
    with store.project_lock(plan.project):
        result = _existing(store, plan)
        if result is None:
            result = _write(store, plan, memory_limit=memory_limit, threads=threads, seed=seed)
    with db.session() as session:
        grant = session.get(Grant, grant_id)
        assert grant is not None
        if grant.materialised_at is None or result.written:
            grant.materialised_at = clock.now()
            record_as(
                session, actor, "data.materialise", "project", plan.project,
                detail={
                    "grant": grant_id,
                    "dataset": plan.dataset,
                    "rows": result.rows,
                    "variables": list(plan.columns),
                    "years": list(plan.years),
                    "population": plan.population_name or "",
                    "keys_added": result.keys_added,
                },
            )  # fmt: skip
    return result


def _existing(store: DataStore, plan: Plan) -> Materialised | None:
    """The complete dataset for this very grant, if a previous run already put it in place."""
    target = store.dataset_dir(plan.project, plan.dataset)
    info = target / GRANT_FILE
    if not info.is_file():
        return None
    recorded = json.loads(info.read_text(encoding="utf-8"))
    if recorded.get("grant") != plan.grant_id:
        return None
    make_read_only(target)  # a run killed right after the rename may not have got this far
    return Materialised(plan.grant_id, plan.project, plan.dataset, int(recorded["rows"]), False)


def _write(
    store: DataStore, plan: Plan, *, memory_limit: str, threads: int | None, seed: int | None
) -> Materialised:
    purpose = f"materialise+{plan.project}+{plan.dataset}"
    stale = store.stale_staging(purpose) + store.stale_staging(f"replaced-{purpose}")
    for path in stale:
        remove_tree(path)  # left by a killed run: never visible, safe to drop
    manifest = read_manifest(store, plan.dataset)
    staging = store.new_staging_dir(purpose)
    con = connect(store, memory_limit=memory_limit, threads=threads)
    try:
        source = _source_sql(store, plan)
        added: dict[str, int] = {}
        kinds = {manifest.identifier_kinds.get(c, plan.unit) for c in plan.identifiers}
        for kind in sorted(kinds):
            columns = [
                c for c in plan.identifiers if manifest.identifier_kinds.get(c, plan.unit) == kind
            ]
            union = " UNION ALL ".join(f'SELECT "{c}" AS identifier FROM src' for c in columns)
            update = keys.ensure_keys(
                con, store, plan.project, kind, f"WITH src AS ({source}) {union}", seed=seed
            )
            added[kind] = update.added
        out = staging / "part-0.parquet"
        row = con.execute(
            f"COPY ({_select_sql(store, plan, source, manifest.identifier_kinds)}) "
            # DuckDB's default row groups and snappy: larger row groups made the writer
            # buffer past the memory limit and spill (3x slower at 10 M rows), and zstd
            # costs a third more time for files that live only until the project ends.
            f"TO {sql_path(out)} (FORMAT parquet)"
        ).fetchall()
    finally:
        con.close()
    rows = int(row[0][0]) if row else 0
    (staging / GRANT_FILE).write_text(json.dumps(_grant_info(plan, rows), indent=2) + "\n")
    fsync_tree(staging)
    _swap_in(store, plan, staging)
    return Materialised(plan.grant_id, plan.project, plan.dataset, rows, True, added)


def _source_sql(store: DataStore, plan: Plan) -> str:
    """The raw rows this grant covers: its years, and its population if it has one."""
    sql = f"SELECT r.* FROM read_parquet({sql_path(register_glob(store, plan.dataset))}) AS r"
    if plan.population_owner and plan.population_name and plan.population_column:
        owner_key = keys.key_relation(store, plan.population_owner, "person")
        members = store.population_file(plan.population_owner, plan.population_name)
        sql += (
            f" JOIN {owner_key} AS pk"
            f' ON CAST(r."{plan.population_column}" AS VARCHAR) = pk.identifier'
            f" JOIN read_parquet({sql_path(members)}) AS pop ON pk.pseudonym = pop.pseudonym"
        )
    if plan.year_column:
        years = ", ".join(str(int(y)) for y in plan.years) or "NULL"
        sql += f' WHERE r."{plan.year_column}" IN ({years})'
    return sql


def _select_sql(store: DataStore, plan: Plan, source: str, kinds: dict[str, str]) -> str:
    """Granted columns in register order; identifiers swapped for the project's numbers."""
    joins: list[str] = []
    columns: list[str] = []
    for column in plan.columns:
        if column in plan.identifiers:
            alias = f"k{len(joins)}"
            kind = kinds.get(column, plan.unit)
            joins.append(
                f"LEFT JOIN {keys.key_relation(store, plan.project, kind)} AS {alias}"
                f' ON CAST(src."{column}" AS VARCHAR) = {alias}.identifier'
            )
            columns.append(f'{alias}.pseudonym AS "{column}"')
        else:
            columns.append(f'src."{column}"')
    return f"SELECT {', '.join(columns)} FROM ({source}) AS src {' '.join(joins)}"


def _grant_info(plan: Plan, rows: int) -> dict[str, Any]:
    """What the researcher got, readable next to the data; holds no identifier."""
    return {
        "grant": plan.grant_id,
        "dataset": plan.dataset,
        "variables": list(plan.columns),
        "pseudonymised": sorted(plan.identifiers),
        "protection_markers": list(plan.protection_markers),
        "year_column": plan.year_column if plan.year_column in plan.columns else None,
        "years": list(plan.years),
        "population": plan.population_name,
        "rows": rows,
        "materialised_at": clock.now().isoformat(),
    }


def _swap_in(store: DataStore, plan: Plan, staging: Any) -> None:
    """Rename the complete dataset into place; an older version goes out first."""
    store.ensure_project(plan.project)
    target = store.dataset_dir(plan.project, plan.dataset)
    make_read_only(staging)
    staging.chmod(0o755)  # moving a directory to a new parent needs write access to it
    if target.exists():
        old = store.new_staging_dir(f"replaced-materialise+{plan.project}+{plan.dataset}")
        target.chmod(0o755)
        target.rename(old / "old")
        remove_tree(old)
    staging.rename(target)
    target.chmod(0o555)
