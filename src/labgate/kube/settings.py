"""What labgate needs to know about the cluster, as one frozen value.

`LabgateKubeSpawner` fills this from its traits; the builders read only this and the
workspace spec, so a test can build every manifest without a hub or a cluster.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Literal

#: Labels of Zero to JupyterHub's hub and proxy pods (its `app` and `component` labels).
HUB_POD_LABELS: Mapping[str, str] = MappingProxyType({"app": "jupyterhub", "component": "hub"})
PROXY_POD_LABELS: Mapping[str, str] = MappingProxyType({"app": "jupyterhub", "component": "proxy"})
#: Labels of the cluster DNS pods (CoreDNS keeps kube-dns's label) and their namespace.
DNS_POD_LABELS: Mapping[str, str] = MappingProxyType({"k8s-app": "kube-dns"})
DNS_NAMESPACE = "kube-system"


@dataclass(frozen=True)
class NfsSource:
    """The shared data store on an NFS export; `path` is the data store root on the server.

    Each project's volume is narrowed to `<path>/projects/<project>`, so even a wrong
    subPath in a project namespace cannot reach another project or the vault.
    """

    server: str
    path: str
    kind: Literal["nfs"] = "nfs"


@dataclass(frozen=True)
class CsiSource:
    """The shared data store behind a CSI driver (CephFS, a cloud file service...).

    Static CSI volumes need a distinct `volumeHandle` per PersistentVolume, so each project
    gets `<volume_handle_prefix>-<namespace>`. If the driver takes the directory to mount
    as a volume attribute (CephFS's `rootPath`), name it in `root_path_attribute` and set
    `root_path` to the data store root: the project's volume is then narrowed to its own
    directory, as with NFS. Otherwise the volume is the whole store and only subPaths
    (always under `projects/<project>/`) select what a workspace sees.
    """

    driver: str
    volume_handle_prefix: str
    volume_attributes: Mapping[str, str] = field(default_factory=dict)
    root_path_attribute: str | None = None
    root_path: str = "/"
    node_stage_secret: tuple[str, str] | None = None  # (namespace, name)
    kind: Literal["csi"] = "csi"


DataSource = NfsSource | CsiSource


@dataclass(frozen=True)
class KubeSettings:
    """Operator settings that shape every object of every project namespace."""

    #: The namespace the hub and proxy run in (Zero to JupyterHub's release namespace).
    hub_namespace: str
    #: Where the data store lives, as each project namespace will see it.
    data_source: DataSource
    #: Prefix of the per-project namespaces: `<prefix>-<project>-<hash>`.
    namespace_prefix: str = "labgate"
    hub_pod_labels: Mapping[str, str] = field(default_factory=lambda: dict(HUB_POD_LABELS))
    proxy_pod_labels: Mapping[str, str] = field(default_factory=lambda: dict(PROXY_POD_LABELS))
    hub_port: int = 8081
    #: The port the single-user server listens on inside the pod.
    server_port: int = 8888
    #: Allow DNS lookups (needed when the hub is reached by a service name). DNS can carry
    #: data out through a forwarding resolver; turn it off by giving the hub by IP.
    allow_dns: bool = True
    dns_namespace: str = DNS_NAMESPACE
    dns_pod_labels: Mapping[str, str] = field(default_factory=lambda: dict(DNS_POD_LABELS))
    #: Name of the data claim in each project namespace.
    data_claim_name: str = "labgate-data"
    #: Capacity written on the per-project volume and claim (binding needs a number).
    data_capacity: str = "1Ti"
    data_mount_options: tuple[str, ...] = ()
    #: "Memory" keeps home and /tmp in RAM (never on the node's disk, WS-6); "" uses disk.
    scratch_medium: Literal["Memory", ""] = "Memory"
    home_size_limit: str = "1Gi"
    tmp_size_limit: str = "1Gi"
    read_only_root_filesystem: bool = True
    #: Pod Security Standard enforced on project namespaces by the API server.
    pod_security_level: Literal["restricted", "baseline"] = "restricted"


def data_source_from_config(config: Mapping[str, Any]) -> DataSource:
    """The data source from its configuration (`LabgateKubeSpawner.data_source`, or the
    chart's `dataStore.source`), with the key and the accepted form named on error."""
    key = "LabgateKubeSpawner.data_source"
    if len(config) != 1 or next(iter(config)) not in ("nfs", "csi"):
        raise ValueError(
            f"{key} must have exactly one key, 'nfs' or 'csi', for example "
            '{"nfs": {"server": "nfs.example.org", "path": "/exports/labgate"}}; '
            f"got {sorted(config)}."
        )
    kind, body = next(iter(config.items()))
    try:
        if kind == "nfs":
            return NfsSource(server=str(body["server"]), path=str(body["path"]))
        secret = body.get("nodeStageSecretRef")
        return CsiSource(
            driver=str(body["driver"]),
            volume_handle_prefix=str(body["volumeHandlePrefix"]),
            volume_attributes={str(k): str(v) for k, v in body.get("volumeAttributes", {}).items()},
            root_path_attribute=body.get("rootPathAttribute"),
            root_path=str(body.get("rootPath", "/")),
            node_stage_secret=(str(secret["namespace"]), str(secret["name"])) if secret else None,
        )
    except KeyError as missing:
        raise ValueError(f"{key}.{kind} needs the key {missing}.") from None
