"""The policy layer is pure: it imports no database, hub or model code, and reads no clock."""

from __future__ import annotations

import ast
import json
import pathlib
import subprocess
import sys

import labgate.policy

POLICY = pathlib.Path(labgate.policy.__file__).parent
FORBIDDEN = ("sqlalchemy", "jupyterhub", "tornado", "traitlets", "labgate.model", "labgate.db")


def test_importing_every_policy_module_loads_no_database_or_hub_code() -> None:
    modules = [f"labgate.policy.{p.stem}" for p in sorted(POLICY.glob("*.py"))]
    script = (
        "import importlib, json, sys\n"
        f"for m in {modules!r}: importlib.import_module(m)\n"
        "print(json.dumps(sorted(sys.modules)))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", script], check=True, capture_output=True, text=True
    ).stdout
    loaded = json.loads(out)
    assert not [m for m in loaded if m.startswith(FORBIDDEN)]


CLOCK_CALLS = {"now", "today", "utcnow", "monotonic", "perf_counter", "time_ns"}


def test_policy_never_reads_the_clock() -> None:
    """`now` and `today` are parameters; no policy function calls datetime.now() and kin."""
    calls = [
        f"{path.name}:{node.lineno}"
        for path in sorted(POLICY.glob("*.py"))
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and (node.func.attr in CLOCK_CALLS or ast.unparse(node.func) == "time.time")
    ]
    assert calls == []
