"""The project's view of the shared data store, and the mounts of a workspace pod (DATA-8).

A claim lives in one namespace, so each project namespace gets its own claim bound to its
own PersistentVolume over the same shared file system. Where the driver allows it (NFS,
CSI with a root-path attribute) that volume is narrowed to `projects/<project>/`: another
project's files and the vault are then not even on the volume.

The mounts come from the workspace spec, the one place that decides what a workspace sees
(`labgate.workspace`). Each spec mount is translated, never widened:

- `projects/<project>/data/<dataset>` becomes a read-only subPath mount of the data claim;
- `projects/<project>/work` becomes a writable subPath mount;
- home and the runtime directory become emptyDir volumes (in memory by default, WS-6);
- anything else of the data store (the vault, another project) raises: a spec that asks
  for it is a bug, and a workspace must not start on a bug.

Neither the volume nor the claim carries an owner reference, and the PersistentVolume's
reclaim policy is Retain: removing a pod, a server or a user can never delete the data
(kubespawner#880).
"""

from __future__ import annotations

from pathlib import PurePosixPath
from typing import Any

from labgate.kube import names
from labgate.kube.namespace import common_labels
from labgate.kube.settings import CsiSource, KubeSettings, NfsSource
from labgate.workspace import HOME_MOUNT, RUNTIME_MOUNT, WorkspaceSpec

TMP_MOUNT = "/tmp"


class MountOutsideProject(ValueError):
    """A workspace spec asked for a path that is not the project's data or work."""


def narrowed(settings: KubeSettings) -> bool:
    """Whether each project's volume holds only `projects/<project>/`."""
    source = settings.data_source
    return isinstance(source, NfsSource) or source.root_path_attribute is not None


def data_volume_name(project: str, settings: KubeSettings) -> str:
    """The cluster-wide name of a project's PersistentVolume."""
    namespace = names.namespace_name(settings.namespace_prefix, project)
    return names.dns_slug(f"{namespace}-data", key=f"{namespace}\0data")


def _project_root(base: str, project: str) -> str:
    return str(PurePosixPath(base) / "projects" / names.code_label(project, "project"))


def _volume_source(project: str, settings: KubeSettings) -> dict[str, Any]:
    source = settings.data_source
    if isinstance(source, NfsSource):
        return {"nfs": {"server": source.server, "path": _project_root(source.path, project)}}
    assert isinstance(source, CsiSource)
    namespace = names.namespace_name(settings.namespace_prefix, project)
    attributes = dict(source.volume_attributes)
    if source.root_path_attribute:
        attributes[source.root_path_attribute] = _project_root(source.root_path, project)
    csi: dict[str, Any] = {
        "driver": source.driver,
        "volumeHandle": f"{source.volume_handle_prefix}-{namespace}",
        "volumeAttributes": attributes,
    }
    if source.node_stage_secret:
        secret_namespace, secret_name = source.node_stage_secret
        csi["nodeStageSecretRef"] = {"namespace": secret_namespace, "name": secret_name}
    return {"csi": csi}


def build_data_volume(project: str, settings: KubeSettings) -> dict[str, Any]:
    """The project's PersistentVolume, pre-bound to the project's claim."""
    namespace = names.namespace_name(settings.namespace_prefix, project)
    spec: dict[str, Any] = {
        "capacity": {"storage": settings.data_capacity},
        "accessModes": ["ReadWriteMany"],
        "persistentVolumeReclaimPolicy": "Retain",
        "storageClassName": "",
        "volumeMode": "Filesystem",
        "claimRef": {"namespace": namespace, "name": settings.data_claim_name},
        **_volume_source(project, settings),
    }
    if settings.data_mount_options:
        spec["mountOptions"] = list(settings.data_mount_options)
    return {
        "apiVersion": "v1",
        "kind": "PersistentVolume",
        "metadata": {
            "name": data_volume_name(project, settings),
            "labels": common_labels(project, "data-volume"),
        },
        "spec": spec,
    }


def build_data_claim(project: str, settings: KubeSettings) -> dict[str, Any]:
    """The project's claim on its PersistentVolume; no owner, never deleted by labgate."""
    return {
        "apiVersion": "v1",
        "kind": "PersistentVolumeClaim",
        "metadata": {
            "name": settings.data_claim_name,
            "namespace": names.namespace_name(settings.namespace_prefix, project),
            "labels": common_labels(project, "data-claim"),
        },
        "spec": {
            "accessModes": ["ReadWriteMany"],
            "storageClassName": "",
            "volumeMode": "Filesystem",
            "volumeName": data_volume_name(project, settings),
            "resources": {"requests": {"storage": settings.data_capacity}},
        },
    }


def _sub_path(
    source: str, store_root: str, project: str, settings: KubeSettings
) -> tuple[str, bool]:
    """The subPath on the project's volume for a spec mount's host path, and whether it is
    a dataset (always read-only, whatever the spec says), or raise."""
    try:
        parts = PurePosixPath(source).relative_to(PurePosixPath(store_root)).parts
    except ValueError:
        raise MountOutsideProject(f"{source} is not in the data store {store_root}.") from None
    is_data = len(parts) == 4 and parts[2] == "data"
    is_work = len(parts) == 3 and parts[2] == "work"
    if parts[:2] != ("projects", project) or not (is_data or is_work) or ".." in parts:
        raise MountOutsideProject(f"{source} is not the data or work of project {project}.")
    inside = parts[2:] if narrowed(settings) else parts
    return "/".join(inside), is_data


def _scratch(name: str, size_limit: str, settings: KubeSettings) -> dict[str, Any]:
    empty_dir: dict[str, Any] = {"sizeLimit": size_limit}
    if settings.scratch_medium:
        empty_dir["medium"] = settings.scratch_medium
    return {"name": name, "emptyDir": empty_dir}


def build_volumes(
    spec: WorkspaceSpec, store_root: str, settings: KubeSettings
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The pod's volumes and the container's volume mounts for a workspace spec."""
    claim = "labgate-data"
    volumes: list[dict[str, Any]] = [
        {"name": claim, "persistentVolumeClaim": {"claimName": settings.data_claim_name}},
        _scratch("home", settings.home_size_limit, settings),
        _scratch("tmp", settings.tmp_size_limit, settings),
        _scratch("runtime", "16Mi", settings),
    ]
    mounts: list[dict[str, Any]] = [{"name": "tmp", "mountPath": TMP_MOUNT}]
    for mount in spec.mounts:
        if mount.target == HOME_MOUNT:
            mounts.append({"name": "home", "mountPath": HOME_MOUNT})
        elif mount.target == RUNTIME_MOUNT:
            mounts.append({"name": "runtime", "mountPath": RUNTIME_MOUNT})
        else:
            sub_path, is_data = _sub_path(mount.source, store_root, spec.project, settings)
            mounts.append(
                {
                    "name": claim,
                    "mountPath": mount.target,
                    "subPath": sub_path,
                    "readOnly": is_data or not mount.writable,
                }
            )
    return volumes, mounts
