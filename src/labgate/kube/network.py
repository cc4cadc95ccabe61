"""The NetworkPolicy of a project namespace: nothing in or out but the hub's channel (WS-2).

The policy selects every pod of the namespace (`podSelector: {}`) for both directions, so
whatever is not listed is denied:

- ingress: only from the proxy (user traffic) and the hub (JupyterHub checks that a new
  server answers before it routes to it), only on the server's port;
- egress: only to the hub's API port, and to the cluster DNS on port 53 when
  `allow_dns` is on (the hub is usually reached by its service name).

Peers are selected by namespace *and* pod labels together, so a pod that copies the hub's
labels in another namespace is still not a peer.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from labgate.kube import names
from labgate.kube.namespace import common_labels
from labgate.kube.settings import KubeSettings

POLICY_NAME = "labgate-workspace-isolation"
NAMESPACE_NAME_LABEL = "kubernetes.io/metadata.name"


def _peer(namespace: str, pod_labels: Mapping[str, str]) -> dict[str, Any]:
    return {
        "namespaceSelector": {"matchLabels": {NAMESPACE_NAME_LABEL: namespace}},
        "podSelector": {"matchLabels": dict(pod_labels)},
    }


def _tcp(port: int) -> dict[str, Any]:
    return {"protocol": "TCP", "port": port}


def build_network_policy(project: str, settings: KubeSettings) -> dict[str, Any]:
    hub_ns = settings.hub_namespace
    egress: list[dict[str, Any]] = [
        {"to": [_peer(hub_ns, settings.hub_pod_labels)], "ports": [_tcp(settings.hub_port)]}
    ]
    if settings.allow_dns:
        egress.append(
            {
                "to": [_peer(settings.dns_namespace, settings.dns_pod_labels)],
                "ports": [{"protocol": "UDP", "port": 53}, {"protocol": "TCP", "port": 53}],
            }
        )
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {
            "name": POLICY_NAME,
            "namespace": names.namespace_name(settings.namespace_prefix, project),
            "labels": common_labels(project, "network-policy"),
        },
        "spec": {
            "podSelector": {},
            "policyTypes": ["Ingress", "Egress"],
            "ingress": [
                {
                    "from": [
                        _peer(hub_ns, settings.proxy_pod_labels),
                        _peer(hub_ns, settings.hub_pod_labels),
                    ],
                    "ports": [_tcp(settings.server_port)],
                }
            ],
            "egress": egress,
        },
    }
