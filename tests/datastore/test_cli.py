"""`labgate data ...` end to end through the real CLI."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import select

from labgate import clock
from labgate.db import Database
from labgate.model import Project
from tests.cli.harness import Labgate
from tests.datastore import factories as f


def test_synth_register_materialise_delete_and_show_the_confirmation(
    db: Database, db_url: str, tmp_path: Path
) -> None:
    lg = Labgate(db_url)
    root = ["--data-root", str(tmp_path / "store")]
    raw = tmp_path / "bef.parquet"
    out = lg.ok(
        *root, "data", "synth", "population", str(raw), "--persons", "200", "--years", "2019-2021"
    )
    assert out["rows"] > 0
    declared = [
        "pnr:string:identifier", "year:int:year", "birth_date:date:identifying", "sex:int",
        "kom:int", "postcode:string:identifying", "protected:bool:protected",
    ]  # fmt: skip
    args = [a for v in declared for a in ("--variable", v)]
    assert lg.ok(*root, "data", "register", "bef", str(raw), *args)["years"] == [2019, 2020, 2021]
    bad = lg.run(*root, "data", "register", "bef2", str(raw), "--variable", "pnr:string:identifier")
    assert bad.exit_code == 1 and "not declared" in bad.output

    inst = f.institution(db)
    f.project(db, "fam", institution_id=inst)
    gid = f.grant(db, "fam", "bef", ["pnr", "year", "kom"])
    done = lg.ok(*root, "data", "materialise", str(gid))
    assert done[0]["written"] and done[0]["rows"] > 0

    refused = lg.run(*root, "data", "delete", "fam", "--case-reference", "J.1")
    assert refused.exit_code == 1 and "--yes" in refused.output
    with db.session() as s:
        project = s.scalar(select(Project).where(Project.code == "fam"))
        assert project is not None
        project.expired_at = clock.now()
    deleted = lg.run(*root, "data", "delete", "fam", "--case-reference", "J.1", "--yes")
    assert deleted.exit_code == 0, deleted.output
    confirmation = json.loads(deleted.stdout)
    listed = lg.ok(*root, "data", "confirmations", "list")
    assert [c["id"] for c in listed] == [confirmation["confirmation"]]
    shown = lg.run(*root, "data", "confirmations", "show", str(confirmation["confirmation"]))
    assert json.loads(shown.stdout)["files"] == confirmation["files"]
