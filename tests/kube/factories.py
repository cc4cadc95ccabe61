"""Workspace specs and cluster settings with sensible defaults, for literal test tables."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

from labgate.datastore.layout import DataStore
from labgate.kube.settings import CsiSource, KubeSettings, NfsSource
from labgate.workspace import HostPaths, WorkspaceSettings, WorkspaceSpec, build_workspace_spec

STORE_ROOT = "/srv/labgate/data"
NFS = NfsSource(server="nfs.example.org", path="/exports/labgate")
CEPHFS = CsiSource(
    driver="cephfs.csi.ceph.com",
    volume_handle_prefix="labgate",
    volume_attributes={"clusterID": "ceph-1", "fsName": "research", "staticVolume": "true"},
    root_path_attribute="rootPath",
    root_path="/volumes/labgate",
    node_stage_secret=("ceph-csi", "csi-cephfs-secret"),
)
PLAIN_CSI = CsiSource(driver="files.csi.example.org", volume_handle_prefix="store")


def settings(**kw: Any) -> KubeSettings:
    return replace(KubeSettings(hub_namespace="jhub", data_source=NFS), **kw)


def spec(
    project: str = "fam-2026",
    datasets: tuple[str, ...] = ("income", "bef"),
    person: str = "Alice@AU.dk",
    uid: int = 20001,
    gid: int = 20001,
) -> WorkspaceSpec:
    return build_workspace_spec(
        person=person,
        project=project,
        datasets=datasets,
        store=DataStore(Path(STORE_ROOT)),
        host=HostPaths(home="/var/lib/labgate/home/x", runtime="/run/labgate/x"),
        uid=uid,
        gid=gid,
        settings=WorkspaceSettings(cmd=("jupyterhub-singleuser",), mem_limit_bytes=4 << 30),
    )
