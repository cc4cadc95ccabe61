"""One namespace per project: the unit of isolation on Kubernetes.

Workspaces of different projects never share a namespace, so a NetworkPolicy, a claim or
a quota of one project can never select another's pods (AUTH-5). The API server's Pod
Security admission enforces the "restricted" standard on the namespace: a pod that asks
for root, a capability or a host path is refused by the cluster itself, whatever the
spawner's configuration says.
"""

from __future__ import annotations

from typing import Any

from labgate.kube import names
from labgate.kube.settings import KubeSettings


def common_labels(project: str, component: str) -> dict[str, str]:
    """Labels on every object labgate creates for `project`."""
    return {
        names.LABEL_PART_OF: names.PART_OF,
        names.LABEL_MANAGED_BY: "labgate",
        names.LABEL_COMPONENT: component,
        names.LABEL_PROJECT: names.code_label(project, "project"),
    }


def build_namespace(project: str, settings: KubeSettings) -> dict[str, Any]:
    level = settings.pod_security_level
    labels = {
        **common_labels(project, "project-namespace"),
        "pod-security.kubernetes.io/enforce": level,
        "pod-security.kubernetes.io/enforce-version": "latest",
        "pod-security.kubernetes.io/warn": level,
        "pod-security.kubernetes.io/audit": level,
    }
    return {
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {
            "name": names.namespace_name(settings.namespace_prefix, project),
            "labels": labels,
            "annotations": {"labgate.io/project-code": project},
        },
    }
