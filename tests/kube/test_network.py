"""The project namespace's NetworkPolicy: default deny, the hub's channel only (WS-2)."""

from __future__ import annotations

from typing import Any

import pytest

from labgate.kube.network import build_network_policy
from tests.kube.factories import settings
from tests.kube.validation import assert_valid

HUB_PEER = {
    "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "jhub"}},
    "podSelector": {"matchLabels": {"app": "jupyterhub", "component": "hub"}},
}
PROXY_PEER = {
    "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "jhub"}},
    "podSelector": {"matchLabels": {"app": "jupyterhub", "component": "proxy"}},
}
DNS_RULE = {
    "to": [
        {
            "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "kube-system"}},
            "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}},
        }
    ],
    "ports": [{"protocol": "UDP", "port": 53}, {"protocol": "TCP", "port": 53}],
}


@pytest.mark.requirement("WS-2")
def test_every_pod_of_the_namespace_is_denied_all_but_the_listed_peers() -> None:
    policy = build_network_policy("fam-2026", settings())
    assert_valid(policy)
    spec: dict[str, Any] = policy["spec"]
    assert spec["podSelector"] == {}
    assert spec["policyTypes"] == ["Ingress", "Egress"]
    assert policy["metadata"]["namespace"] == "labgate-fam-2026-647501da42"


@pytest.mark.requirement("WS-2")
def test_ingress_comes_only_from_the_proxy_and_the_hub_to_the_server_port() -> None:
    spec = build_network_policy("fam-2026", settings())["spec"]
    assert spec["ingress"] == [
        {"from": [PROXY_PEER, HUB_PEER], "ports": [{"protocol": "TCP", "port": 8888}]}
    ]


@pytest.mark.requirement("WS-2")
@pytest.mark.parametrize(
    ("allow_dns", "expected"),
    [
        (True, [{"to": [HUB_PEER], "ports": [{"protocol": "TCP", "port": 8081}]}, DNS_RULE]),
        (False, [{"to": [HUB_PEER], "ports": [{"protocol": "TCP", "port": 8081}]}]),
    ],
)
def test_egress_goes_only_to_the_hub_api_and_dns_if_allowed(
    allow_dns: bool, expected: list[dict[str, Any]]
) -> None:
    policy = build_network_policy("fam-2026", settings(allow_dns=allow_dns))
    assert_valid(policy)
    assert policy["spec"]["egress"] == expected


def test_peers_follow_the_configured_hub_namespace_labels_and_ports() -> None:
    policy = build_network_policy(
        "fam-2026",
        settings(
            hub_namespace="research",
            hub_pod_labels={"component": "labgate-hub"},
            hub_port=9081,
            server_port=9888,
        ),
    )
    assert_valid(policy)
    egress = policy["spec"]["egress"][0]
    assert egress["to"][0]["namespaceSelector"]["matchLabels"] == {
        "kubernetes.io/metadata.name": "research"
    }
    assert egress["to"][0]["podSelector"]["matchLabels"] == {"component": "labgate-hub"}
    assert egress["ports"] == [{"protocol": "TCP", "port": 9081}]
    assert policy["spec"]["ingress"][0]["ports"] == [{"protocol": "TCP", "port": 9888}]
