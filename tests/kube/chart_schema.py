"""values.schema.json of helm/labgate from values.schema.yaml (Helm reads only JSON).

Run `python -m tests.kube.chart_schema` after editing the YAML; test_chart checks they agree.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

CHART = Path(__file__).resolve().parents[2] / "helm" / "labgate"


def schema_from_yaml() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((CHART / "values.schema.yaml").read_text())
    return loaded


def schema_json() -> str:
    return json.dumps(schema_from_yaml(), indent=2, sort_keys=True) + "\n"


if __name__ == "__main__":
    (CHART / "values.schema.json").write_text(schema_json())
