"""LabgateKubeSpawner without a cluster: the pod it would create, the objects it would
ensure, and what it never deletes. (Tests of `labgate.hub.kubespawner`; they live here
with the other Kubernetes tests.)

No Kubernetes API server can run on these machines, so the API is a recording stand-in
(`FakeApi`); everything it receives is validated against the official schema.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable, Coroutine, Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from kubernetes_asyncio.client import ApiClient
from kubernetes_asyncio.client.rest import ApiException
from kubernetes_asyncio.config import kube_config
from traitlets.config import Config

import labgate.hub.kubespawner as kubespawner_module
from labgate.hub.kubespawner import LabgateKubeSpawner
from labgate.kube.pod import UnsafePodOverride, build_pod_fields
from tests.kube.factories import STORE_ROOT, spec
from tests.kube.validation import assert_valid

KUBECONFIG = """\
apiVersion: v1
kind: Config
current-context: nowhere
clusters: [{name: nowhere, cluster: {server: "https://127.0.0.1:9"}}]
contexts: [{name: nowhere, context: {cluster: nowhere, user: nobody}}]
users: [{name: nobody, user: {token: unused}}]
"""


@pytest.fixture(autouse=True)
def kubeconfig(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """KubeSpawner loads a client configuration at construction; give it one that points
    nowhere (no request is ever sent to it)."""
    path = tmp_path / "kubeconfig"
    path.write_text(KUBECONFIG)
    monkeypatch.setattr(kube_config, "KUBE_CONFIG_DEFAULT_LOCATION", str(path))
    yield


def in_loop(test: Callable[..., Coroutine[Any, Any, None]]) -> Callable[..., None]:
    """Run an async test in a fresh event loop (KubeSpawner needs one to be constructed)."""

    @functools.wraps(test)
    def run(*args: Any, **kwargs: Any) -> None:
        asyncio.run(test(*args, **kwargs))

    return run


def hub_config(**spawner: Any) -> Config:
    c = Config()
    c.KubeSpawner.image = "quay.io/jupyter/base-notebook:2026-01-01"
    c.KubeSpawner.cmd = ["jupyterhub-singleuser"]
    c.KubeSpawner.mem_limit = "4G"
    c.KubeSpawner.mem_guarantee = "1G"
    c.KubeSpawner.cpu_limit = 2.0
    c.KubeSpawner.cpu_guarantee = 0.5
    # What Zero to JupyterHub would set for its own singleuser storage: replaced, not merged.
    c.KubeSpawner.volumes = [{"name": "host", "hostPath": {"path": "/"}}]
    c.KubeSpawner.volume_mounts = [{"name": "host", "mountPath": "/host"}]
    c.KubeSpawner.storage_pvc_ensure = True
    c.LabgateKubeSpawner.hub_namespace = "jhub"
    c.LabgateKubeSpawner.data_root = STORE_ROOT
    c.LabgateKubeSpawner.data_source = {"nfs": {"server": "nfs.example.org", "path": "/x"}}
    for key, value in spawner.items():
        setattr(c.LabgateKubeSpawner, key, value)
    return c


def make_spawner(project: str = "fam-2026", **config: Any) -> LabgateKubeSpawner:
    user = SimpleNamespace(name="alice@au.dk", id=7, url="/user/alice@au.dk/")
    user.escaped_name = user.name
    hub = SimpleNamespace(public_host="", url="http://hub.jhub.svc:8081/hub/",
                          base_url="/hub/", api_url="http://hub.jhub.svc:8081/hub/api")  # fmt: skip
    orm = SimpleNamespace(name=project, display_name="", server=None, user_options={})
    return LabgateKubeSpawner(config=hub_config(**config), user=user, hub=hub, orm_spawner=orm)


async def pod_of(spawner: LabgateKubeSpawner) -> dict[str, Any]:
    spawner.apply_pod_fields(build_pod_fields(spec(), STORE_ROOT, spawner.kube_settings()))
    pod = await spawner.get_pod_manifest()
    async with ApiClient() as client:
        manifest: dict[str, Any] = client.sanitize_for_serialization(pod)
    return manifest


@in_loop
async def test_a_workspace_runs_in_its_projects_namespace() -> None:
    spawner = make_spawner("fam-2026")
    assert spawner.namespace == "labgate-fam-2026-647501da42"
    assert spawner.enable_user_namespaces is True
    assert spawner.delete_pvc is False
    assert spawner.storage_pvc_ensure is False


@in_loop
async def test_the_pod_kubespawner_builds_is_valid_and_restricted() -> None:
    pod = await pod_of(make_spawner())
    assert_valid(pod)
    spec_ = pod["spec"]
    (container,) = spec_["containers"]
    assert spec_["automountServiceAccountToken"] is False
    assert spec_["enableServiceLinks"] is False
    assert spec_["securityContext"]["runAsNonRoot"] is True
    assert spec_["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
    assert container["securityContext"]["capabilities"] == {"drop": ["ALL"]}
    assert container["securityContext"]["allowPrivilegeEscalation"] is False
    assert container["securityContext"]["readOnlyRootFilesystem"] is True
    assert container["resources"] == {
        "limits": {"cpu": 2.0, "memory": 4 << 30},
        "requests": {"cpu": 0.5, "memory": 1 << 30},
    }


@pytest.mark.requirement("DATA-8")
@in_loop
async def test_the_pod_mounts_only_what_the_spec_lists_whatever_else_is_configured() -> None:
    pod = await pod_of(make_spawner())
    (container,) = pod["spec"]["containers"]
    assert [v["name"] for v in pod["spec"]["volumes"]] == [
        "labgate-data", "home", "tmp", "runtime"
    ]  # fmt: skip
    assert [(m["mountPath"], m.get("readOnly", False)) for m in container["volumeMounts"]] == [
        ("/tmp", False),
        ("/data/bef", True),
        ("/data/income", True),
        ("/work", False),
        ("/home/researcher", False),
        ("/run/labgate", False),
    ]


@in_loop
async def test_the_pod_carries_labgate_labels_and_the_specs_environment() -> None:
    pod = await pod_of(make_spawner())
    labels = pod["metadata"]["labels"]
    assert labels["labgate.io/project"] == "fam-2026"
    assert labels["labgate.io/person"] == "alice-au-dk-79798fca07"
    env = {e["name"]: e.get("value") for e in pod["spec"]["containers"][0]["env"]}
    assert env["LABGATE_PROJECT"] == "fam-2026"
    assert env["HOME"] == "/home/researcher"


@pytest.mark.parametrize(
    ("setting", "value", "named"),
    [
        ("extra_pod_config", {"volumes": []}, "extra_pod_config.volumes"),
        ("extra_pod_config", {"hostNetwork": True}, "extra_pod_config.hostNetwork"),
        ("extra_container_config", {"volumeMounts": []}, "extra_container_config.volumeMounts"),
        ("init_containers", [{"name": "x", "image": "busybox"}], "init_containers"),
    ],
)
@in_loop
async def test_configuration_that_would_widen_the_pod_refuses_the_start(
    setting: str, value: Any, named: str
) -> None:
    spawner = make_spawner(**{setting: value})
    with pytest.raises(UnsafePodOverride, match=named):
        spawner.apply_pod_fields(build_pod_fields(spec(), STORE_ROOT, spawner.kube_settings()))


class FakeApi:
    """Records create/replace calls; answers 409 for names in `existing`."""

    def __init__(self, existing: set[str] = frozenset()) -> None:  # type: ignore[assignment]
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.existing = existing

    def __getattr__(self, method: str) -> Any:
        if not method.startswith(("create_", "replace_")):
            raise AssertionError(f"labgate must not call {method}")

        async def call(*args: Any) -> None:
            body = args[-1]
            self.calls.append((method, body))
            if method.startswith("create_") and body["kind"] in self.existing:
                raise ApiException(status=409, reason="AlreadyExists")

        return call


@pytest.fixture
def fake_api(monkeypatch: pytest.MonkeyPatch) -> FakeApi:
    api = FakeApi()
    monkeypatch.setattr(kubespawner_module, "shared_client", lambda _kind: api)
    return api


@pytest.mark.requirement("WS-2")
@in_loop
async def test_a_start_ensures_namespace_policy_volume_and_claim(fake_api: FakeApi) -> None:
    spawner = make_spawner()
    spawner.api = fake_api
    await spawner.ensure_project_objects("fam-2026")
    assert [(m, b["kind"]) for m, b in fake_api.calls] == [
        ("create_namespace", "Namespace"),
        ("create_namespaced_network_policy", "NetworkPolicy"),
        ("create_persistent_volume", "PersistentVolume"),
        ("create_namespaced_persistent_volume_claim", "PersistentVolumeClaim"),
    ]
    for _, body in fake_api.calls:
        assert_valid(body)


@in_loop
async def test_existing_objects_are_kept_and_the_policy_is_brought_up_to_date(
    fake_api: FakeApi,
) -> None:
    fake_api.existing = {"Namespace", "NetworkPolicy", "PersistentVolume", "PersistentVolumeClaim"}
    spawner = make_spawner()
    spawner.api = fake_api
    await spawner.ensure_project_objects("fam-2026")
    assert [m for m, _ in fake_api.calls] == [
        "create_namespace",
        "create_namespaced_network_policy",
        "replace_namespaced_network_policy",
        "create_persistent_volume",
        "create_namespaced_persistent_volume_claim",
    ]


@in_loop
async def test_deleting_a_server_deletes_no_volume_or_claim(fake_api: FakeApi) -> None:
    """kubespawner#880: `delete_forever` calls nothing on the cluster."""
    spawner = make_spawner()
    spawner.api = fake_api
    await spawner.delete_forever()
    assert fake_api.calls == []
