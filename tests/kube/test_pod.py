"""A workspace pod's security, mounts, resources and labels, and the pod they make."""

from __future__ import annotations

from typing import Any

import pytest

from labgate.kube.pod import PodFields, build_pod_fields
from tests.kube.factories import STORE_ROOT, settings, spec
from tests.kube.validation import assert_valid


def pod_of(fields: PodFields) -> dict[str, Any]:
    """The pod these fields make, as KubeSpawner would put them (for schema validation)."""
    container: dict[str, Any] = {
        "name": "notebook",
        "image": "quay.io/jupyter/base-notebook:2026-01-01",
        "securityContext": dict(fields.container_security_context),
        "volumeMounts": [dict(m) for m in fields.volume_mounts],
        "env": [{"name": k, "value": v} for k, v in fields.environment.items()],
        "workingDir": fields.working_dir,
        "resources": {"limits": {"memory": str(fields.mem_limit)}},
    }
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": "jupyter-alice",
            "namespace": fields.namespace,
            "labels": dict(fields.labels),
            "annotations": dict(fields.annotations),
        },
        "spec": {
            "securityContext": dict(fields.pod_security_context),
            "automountServiceAccountToken": fields.automount_service_account_token,
            "containers": [container],
            "volumes": [dict(v) for v in fields.volumes],
            **fields.extra_pod_config,
        },
    }


def test_the_pod_is_valid_against_the_kubernetes_schema() -> None:
    assert_valid(pod_of(build_pod_fields(spec(), STORE_ROOT, settings())))


def test_the_pod_meets_the_restricted_pod_security_standard() -> None:
    fields = build_pod_fields(spec(uid=20001, gid=30001), STORE_ROOT, settings())
    pod = fields.pod_security_context
    container = fields.container_security_context
    assert pod["runAsNonRoot"] is container["runAsNonRoot"] is True
    assert (pod["runAsUser"], pod["runAsGroup"]) == (20001, 30001)
    assert pod["seccompProfile"] == container["seccompProfile"] == {"type": "RuntimeDefault"}
    assert container["capabilities"] == {"drop": ["ALL"]}
    assert container["allowPrivilegeEscalation"] is False
    assert container["privileged"] is False
    assert container["readOnlyRootFilesystem"] is True
    assert fields.automount_service_account_token is False
    assert {next(k for k in v if k != "name") for v in fields.volumes} <= {
        "persistentVolumeClaim",
        "emptyDir",
    }


def test_read_only_root_can_be_turned_off_for_images_that_need_it() -> None:
    fields = build_pod_fields(spec(), STORE_ROOT, settings(read_only_root_filesystem=False))
    assert fields.container_security_context["readOnlyRootFilesystem"] is False


@pytest.mark.parametrize(("uid", "gid"), [(0, 100), (1000, 0), (-1, 100)])
def test_a_workspace_never_runs_as_root(uid: int, gid: int) -> None:
    with pytest.raises(ValueError, match="never runs as uid or gid 0"):
        build_pod_fields(spec(uid=uid, gid=gid), STORE_ROOT, settings())


def test_labels_name_project_person_and_server_and_are_valid_label_values() -> None:
    fields = build_pod_fields(spec(person="Alice@AU.dk"), STORE_ROOT, settings())
    assert dict(fields.labels) == {
        "app.kubernetes.io/part-of": "labgate",
        "app.kubernetes.io/managed-by": "labgate",
        "app.kubernetes.io/component": "workspace",
        "labgate.io/project": "fam-2026",
        "labgate.io/person": "alice-au-dk-79798fca07",
        "labgate.io/server": "fam-2026",
    }
    assert fields.annotations["labgate.io/person"] == "Alice@AU.dk"


def test_limits_come_from_the_workspace_spec() -> None:
    fields = build_pod_fields(spec(), STORE_ROOT, settings())
    assert fields.mem_limit == 4 << 30
    assert fields.namespace == "labgate-fam-2026-647501da42"
    assert fields.extra_pod_config == {"enableServiceLinks": False}
