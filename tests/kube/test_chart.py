"""helm/labgate, rendered offline with Helm's own engine (helm-python-sdk), linted, and
every object it renders validated against the Kubernetes schema.

The Zero to JupyterHub dependency cannot be downloaded here and is published on no
package registry these machines reach, so `charts/` is empty: these tests render and
validate labgate's own templates only (`jupyterhub.enabled: false`), never JupyterHub's.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import helm_python
import pytest
import yaml
from traitlets.config import Config

from labgate.kube.settings import NfsSource, data_source_from_config
from tests.kube.chart_schema import CHART, schema_json
from tests.kube.validation import KUBERNETES_VERSION, assert_valid

NAMESPACE = "jhub"
CI = CHART / "ci"


def merged(*layers: dict[str, Any]) -> dict[str, Any]:
    """Helm's merge of values files: maps merge, anything else is replaced."""
    out: dict[str, Any] = {}
    for layer in layers:
        for key, value in layer.items():
            if isinstance(value, dict) and isinstance(out.get(key), dict):
                out[key] = merged(out[key], value)
            else:
                out[key] = value
    return out


def values_file(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((CI / name).read_text())
    return merged(loaded, {"jupyterhub": {"enabled": False}})


VALUES = {
    "minimal": lambda: values_file("minimal-values.yaml"),
    "maximal": lambda: values_file("maximal-values.yaml"),
}


@pytest.fixture(scope="module")
def chart() -> Iterator[helm_python.Chart]:
    with helm_python.Chart.load(CHART) as loaded:
        yield loaded


def render(chart: helm_python.Chart, values: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """Template path -> the objects it rendered."""
    out = chart.render(values, name="labgate", namespace=NAMESPACE, is_install=True)
    return {
        path: [doc for doc in yaml.safe_load_all(text) if doc]
        for path, text in out.items()
        if path.endswith(".yaml")
    }


def test_values_schema_json_is_generated_from_the_yaml() -> None:
    assert (CHART / "values.schema.json").read_text() == schema_json(), (
        "Run `python -m tests.kube.chart_schema` to regenerate values.schema.json."
    )


def test_the_dependency_is_zero_to_jupyterhub_pinned_and_switchable(
    chart: helm_python.Chart,
) -> None:
    (dependency,) = chart.metadata["dependencies"]
    assert dependency == {
        "name": "jupyterhub",
        "version": "4.4.0",
        "repository": "https://hub.jupyter.org/helm-chart/",
        "condition": "jupyterhub.enabled",
    }


@pytest.mark.parametrize("name", sorted(VALUES))
def test_lint_finds_nothing(name: str) -> None:
    report = helm_python.lint(
        CHART, VALUES[name](), strict=True, namespace=NAMESPACE,
        kube_version=f"v{KUBERNETES_VERSION}",
    )  # fmt: skip
    # The one finding is the dependency that cannot be downloaded here (see the docstring).
    missing = "chart directory is missing these dependencies: jupyterhub"
    assert [e for e in report["errors"] if missing not in e] == []
    findings = [m for m in report["messages"] if m["severity"] >= 2]
    assert [m for m in findings if missing not in m["error"]] == []


@pytest.mark.parametrize("name", sorted(VALUES))
def test_every_rendered_object_is_valid_kubernetes(chart: helm_python.Chart, name: str) -> None:
    objects = [obj for objs in render(chart, VALUES[name]()).values() for obj in objs]
    assert objects
    for obj in objects:
        assert_valid(obj)


def test_the_maximal_values_render_every_template(chart: helm_python.Chart) -> None:
    rendered = render(chart, VALUES["maximal"]())
    templates = {p.name for p in (CHART / "templates").glob("*.yaml")} - {"checks.yaml"}
    assert {Path(p).name for p, objs in rendered.items() if objs} == templates
    kinds = sorted(obj["kind"] for objs in rendered.values() for obj in objs)
    assert kinds == [
        "ClusterRole", "ClusterRoleBinding", "ConfigMap", "NetworkPolicy", "NetworkPolicy",
        "PersistentVolume", "PersistentVolumeClaim",
    ]  # fmt: skip


def objects_of(chart: helm_python.Chart, values: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [o for objs in render(chart, values).values() for o in objs if o["kind"] == kind]


def test_the_hub_cannot_delete_volumes_claims_or_policies(chart: helm_python.Chart) -> None:
    """kubespawner#880, by RBAC: the hub's role has no delete but on pods."""
    (role,) = objects_of(chart, VALUES["maximal"](), "ClusterRole")
    deletable = {
        r for rule in role["rules"] if "delete" in rule["verbs"] for r in rule["resources"]
    }
    assert deletable == {"pods"}


def test_the_data_volume_is_kept_when_the_release_goes(chart: helm_python.Chart) -> None:
    values = VALUES["maximal"]()
    (volume,) = objects_of(chart, values, "PersistentVolume")
    (claim,) = objects_of(chart, values, "PersistentVolumeClaim")
    assert volume["spec"]["persistentVolumeReclaimPolicy"] == "Retain"
    assert volume["metadata"]["annotations"]["helm.sh/resource-policy"] == "keep"
    assert claim["metadata"]["annotations"]["helm.sh/resource-policy"] == "keep"
    assert volume["spec"]["csi"]["volumeAttributes"]["rootPath"] == "/volumes/labgate"


@pytest.mark.requirement("WS-2")
def test_hub_and_proxy_may_reach_project_namespaces_on_the_server_port_only(
    chart: helm_python.Chart,
) -> None:
    policies = {
        p["metadata"]["name"]: p for p in objects_of(chart, VALUES["maximal"](), "NetworkPolicy")
    }
    proxy_egress = policies["labgate-proxy"]["spec"]["egress"]
    assert proxy_egress == [
        {
            "to": [{"namespaceSelector": {"matchLabels": {
                "app.kubernetes.io/part-of": "labgate",
                "app.kubernetes.io/component": "project-namespace",
            }}}],
            "ports": [{"protocol": "TCP", "port": 8888}],
        }
    ]  # fmt: skip
    hub_egress = policies["labgate-hub"]["spec"]["egress"]
    assert hub_egress[1]["ports"] == [{"protocol": "TCP", "port": 5433}]


@pytest.mark.parametrize(
    "typo",
    [
        {"dataStore": {"mountpath": "/srv"}},
        {"datastore": {}},
        {"networkPolicy": {"allowDNS": False}},
        {"rbac": {"create": "yes"}},
        {"projectNamespaces": {"prefix": "Labgate"}},
        {"dataStore": {"source": {"nfs": {"server": "n", "path": "/e"}, "csi": {}}}},
        {"dataStore": {"source": {"nfs": {"server": "n", "path": "/e", "readonly": True}}}},
        {"policyDatabase": {"secretName": "Research DB"}},
        {"jupyterhub": {"hub": {"config": {"LabgateKubeSpawner": "allow_dns=False"}}}},
    ],
)
def test_the_schema_rejects_typos_and_wrong_types(
    chart: helm_python.Chart, typo: dict[str, Any]
) -> None:
    with pytest.raises(helm_python.HelmValuesError):
        chart.validate_schema(chart.merge_values(merged(VALUES["minimal"](), typo)))


def test_hub_config_passes_any_class_and_trait_straight_through(chart: helm_python.Chart) -> None:
    values = merged(
        VALUES["minimal"](),
        {"jupyterhub": {"hub": {"config": {"LabgateKubeSpawner": {"allow_dns": False},
                                           "AnyOtherClass": {"any_trait": [1, 2]}}}}},
    )  # fmt: skip
    chart.validate_schema(chart.merge_values(values))


@pytest.mark.parametrize(
    ("change", "named"),
    [
        ({"dataStore": {"claimName": "other-claim"}}, "dataStore.claimName"),
        ({"policyDatabase": {"secretName": "other-secret"}}, "policyDatabase.secretName"),
    ],
)
def test_values_that_disagree_with_the_hub_part_fail_with_a_sentence(
    chart: helm_python.Chart, change: dict[str, Any], named: str
) -> None:
    with pytest.raises(helm_python.HelmRenderError, match=named):
        render(chart, merged(VALUES["minimal"](), change))


def test_the_hub_snippet_wires_labgate_from_the_rendered_configmap(
    chart: helm_python.Chart, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Run the default extraConfig snippet as the hub would, on the rendered ConfigMap."""
    values = VALUES["minimal"]()
    (configmap,) = objects_of(chart, values, "ConfigMap")
    config_file = tmp_path / "labgate.json"
    config_file.write_text(configmap["data"]["labgate.json"])
    snippet = chart.merge_values(values)["jupyterhub"]["hub"]["extraConfig"]["labgate"]
    snippet = snippet.replace("/usr/local/etc/labgate/labgate.json", str(config_file))
    monkeypatch.setattr(
        os, "environ", {"POD_NAMESPACE": NAMESPACE, "LABGATE_DB": "postgresql://db/x"}
    )
    c = Config()
    c.JupyterHub.services = []
    c.LabgateKubeSpawner.allow_dns = False  # set in hub.config: the snippet must keep it
    exec(compile(snippet, "extraConfig.labgate", "exec"), {"c": c})
    spawner = c.LabgateKubeSpawner
    assert spawner.allow_dns is False
    assert spawner.hub_namespace == NAMESPACE
    assert spawner.db_url == "postgresql://db/x"
    assert spawner.data_root == "/srv/labgate/data"
    assert data_source_from_config(spawner.data_source) == NfsSource(
        server="nfs.example.org", path="/exports/labgate"
    )
    assert [s["name"] for s in c.JupyterHub.services] == ["labgate-enforcer"]
    assert json.loads(configmap["data"]["labgate.json"])["namespacePrefix"] == "labgate"


def test_the_data_store_source_must_be_chosen(chart: helm_python.Chart) -> None:
    with pytest.raises(helm_python.HelmValuesError, match="/dataStore/source"):
        chart.validate_schema(chart.merge_values({"jupyterhub": {"enabled": False}}))
