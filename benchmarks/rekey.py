"""Re-keying benchmark: one synthetic register, one project, three ways to pseudonymise it.

    .venv/bin/python benchmarks/rekey.py            # 10 M rows x 20 columns
    .venv/bin/python benchmarks/rekey.py --rows 200000   # a smoke run

Contenders, each in a child process of its own (peak RSS is the child's own maximum):

- labgate: `materialise_grant` (DuckDB, streaming, memory limit), once drawing the
  project's keys, once with the keys in place;
- bare DuckDB: the raw file joined with the key table and written as Parquet, with
  DuckDB's defaults (no memory limit): the practical limit;
- pandas: read, merge with the key table, `to_parquet`: what most analysts would write.

Goals: labgate >= 10x pandas, within 1.3x of bare DuckDB, peak RSS <= 1 GB.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

VARIABLES = 18
MEMORY_LIMIT = "512MB"


def setup(work: Path, rows: int, years: int) -> dict[str, Any]:
    """Register the synthetic file and grant it twice (first run draws keys, second reuses)."""
    from labgate import clock
    from labgate.audit.log import Actor
    from labgate.datastore.layout import DataStore
    from labgate.datastore.registry import register_dataset
    from labgate.datastore.synthetic import write_register
    from labgate.db import Database
    from labgate.migrate import upgrade
    from labgate.model import Dataset, Grant, GrantVariable, GrantYear, Institution, Project
    from labgate.services.datasets import VariableSpec

    raw = work / "wide.parquet"
    span = list(range(2024 - years, 2024))
    write_register("wide", raw, persons=rows, years=span, seed=2026)
    url = f"sqlite:///{work / 'labgate.sqlite'}"
    upgrade(url)
    db, store = Database(url), DataStore(work / "store")
    actor = Actor(name="benchmark", kind="system", institution="")
    specs = [
        VariableSpec("pnr", "string", is_identifier=True),
        VariableSpec("year", "int", is_year=True),
    ]
    specs += [
        VariableSpec(f"v{i:02d}", "float" if i % 3 == 1 else "int") for i in range(1, VARIABLES + 1)
    ]
    register_dataset(db, store, actor, code="wide", path=raw, variables=specs)
    import datetime as dt

    grants = []
    with db.session() as s:
        inst = Institution(code="bench", name="Bench", country="DK", created_at=clock.now())
        s.add(inst)
        s.flush()
        project = Project(
            code="bench", title="Benchmark", scheme="researcher", owner_institution_id=inst.id,
            purpose="Benchmark.", legal_basis_art6="6(1)(e)", starts_on=dt.date(2026, 1, 1),
            access_ends_on=dt.date(2030, 1, 1), deletion_deadline=dt.date(2030, 6, 1),
            created_at=clock.now(),
        )  # fmt: skip
        s.add(project)
        s.flush()
        ds = s.query(Dataset).filter_by(code="wide").one()
        for _ in range(2):
            g = Grant(
                project_id=project.id,
                dataset_id=ds.id,
                granted_by="benchmark",
                granted_at=clock.now(),
            )
            g.variables = [GrantVariable(variable_id=v.id) for v in ds.variables]
            g.years = [GrantYear(year=y) for y in span]
            s.add(g)
            s.flush()
            grants.append(g.id)
    db.dispose()
    vault_file = store.register_dir("wide") / "part-0.parquet"
    return {"url": url, "root": str(store.root), "grants": grants, "raw": str(vault_file),
            "key": str(store.key_file("bench", "person")), "out": str(work / "out")}  # fmt: skip


def run_labgate(cfg: dict[str, Any], grant: int) -> int:
    from labgate.audit.log import Actor
    from labgate.datastore.layout import DataStore
    from labgate.datastore.materialise import materialise_grant
    from labgate.db import Database

    actor = Actor(name="benchmark", kind="system", institution="")
    done = materialise_grant(
        Database(cfg["url"]), DataStore(Path(cfg["root"])), actor, grant, memory_limit=MEMORY_LIMIT
    )
    return done.rows


def run_duckdb(cfg: dict[str, Any]) -> int:
    import duckdb

    con = duckdb.connect()
    cols = ", ".join(
        ["k.pseudonym AS pnr", "r.year"] + [f"r.v{i:02d}" for i in range(1, VARIABLES + 1)]
    )
    out = Path(cfg["out"]) / "duckdb.parquet"
    out.parent.mkdir(exist_ok=True)
    rows = con.execute(
        f"COPY (SELECT {cols} FROM read_parquet('{cfg['raw']}') r "
        f"JOIN read_parquet('{cfg['key']}') k ON r.pnr = k.identifier) TO '{out}' (FORMAT parquet)"
    ).fetchall()
    return int(rows[0][0])


def run_pandas(cfg: dict[str, Any]) -> int:
    import pandas as pd

    raw = pd.read_parquet(cfg["raw"])
    key = pd.read_parquet(cfg["key"]).rename(columns={"identifier": "pnr"})
    merged = raw.merge(key, on="pnr", how="inner").drop(columns=["pnr"])
    merged = merged.rename(columns={"pseudonym": "pnr"})
    out = Path(cfg["out"]) / "pandas.parquet"
    out.parent.mkdir(exist_ok=True)
    merged.to_parquet(out, index=False)
    return len(merged)


def child(name: str, cfg: dict[str, Any]) -> None:
    # Imports are not what is measured: load them before the clock starts.
    if name.startswith("labgate"):
        import labgate.datastore.materialise  # noqa: F401
    elif name == "duckdb":
        import duckdb  # noqa: F401
    else:
        import pandas  # noqa: F401
    start = time.perf_counter()
    if name == "labgate-first":
        rows = run_labgate(cfg, cfg["grants"][0])
    elif name == "labgate":
        rows = run_labgate(cfg, cfg["grants"][1])
    elif name == "duckdb":
        rows = run_duckdb(cfg)
    else:
        rows = run_pandas(cfg)
    print(json.dumps({"rows": rows, "seconds": time.perf_counter() - start}))


def measure(name: str, cfg: dict[str, Any]) -> dict[str, float]:
    """Run one contender in a child process; sample its RSS (Linux keeps ru_maxrss across
    exec, so the child's own getrusage would report the parent's setup peak)."""
    import psutil

    proc = subprocess.Popen(
        [sys.executable, __file__, "--child", name, "--config", json.dumps(cfg)],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    watched = psutil.Process(proc.pid)
    peak = 0
    while proc.poll() is None:
        try:
            peak = max(peak, watched.memory_info().rss)
        except psutil.NoSuchProcess:
            break
        time.sleep(0.02)
    out, _ = proc.communicate()
    if proc.returncode != 0:
        raise SystemExit(f"the contender {name} failed")
    result: dict[str, float] = json.loads(out.strip().splitlines()[-1])
    result["peak_mib"] = peak / 2**20
    return result


CONTENDERS = [
    ("labgate-first", "labgate materialise (draws the keys)"),
    ("labgate", "labgate materialise (keys in place)"),
    ("duckdb", "bare DuckDB join + COPY"),
    ("pandas", "pandas merge + to_parquet"),
]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--years", type=int, default=10)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--config", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, json.loads(args.config))
        return
    with tempfile.TemporaryDirectory(prefix="labgate-rekey-") as tmp:
        t0 = time.perf_counter()
        cfg = setup(Path(tmp), args.rows, args.years)
        print(
            f"setup (synthetic register, registration): {time.perf_counter() - t0:.1f} s",
            file=sys.stderr,
        )
        results = {}
        for name, _ in CONTENDERS:
            results[name] = measure(name, cfg)
    print(f"\n{args.rows:,} rows x 20 columns, one project\n")
    print(f"| {'contender':<40} | {'seconds':>8} | {'rows/s':>12} | {'peak RSS MiB':>12} |")
    print(f"|{'-' * 42}|{'-' * 10}:|{'-' * 14}:|{'-' * 14}:|")
    for name, label in CONTENDERS:
        r = results[name]
        rate = r["rows"] / r["seconds"]
        print(f"| {label:<40} | {r['seconds']:>8.2f} | {rate:>12,.0f} | {r['peak_mib']:>12,.0f} |")
    lab, duck, pan = (results[n]["seconds"] for n in ("labgate", "duckdb", "pandas"))
    print(f"\nlabgate vs pandas: {pan / lab:.1f}x faster (goal >= 10x); "
          f"vs bare DuckDB: {lab / duck:.2f}x the time (goal <= 1.3x); "
          f"peak RSS {results['labgate']['peak_mib']:.0f} MiB (goal <= 1024)")  # fmt: skip


if __name__ == "__main__":
    main()
