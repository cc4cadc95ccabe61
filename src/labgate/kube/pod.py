"""What a workspace pod is made of, from the workspace spec: the fields KubeSpawner takes.

KubeSpawner assembles the pod (its command, the hub's environment, ports); labgate decides
who the pod runs as, what it may do, what it mounts, what it may use and how it is
labelled. Those decisions are one pure function here, so that a test can read them and
validate the pod they make without a hub.

Security, in the terms of the Pod Security "restricted" standard: a non-root uid and gid
from the spec, no privilege escalation, every capability dropped, the runtime's default
seccomp profile, no service-account token, and a read-only root file system (home, /tmp
and the runtime directory are emptyDir volumes, which JupyterLab needs writable).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from labgate.kube import names
from labgate.kube.namespace import common_labels
from labgate.kube.settings import KubeSettings
from labgate.kube.storage import build_volumes
from labgate.workspace import WORK_MOUNT, WorkspaceSpec


@dataclass(frozen=True)
class PodFields:
    """Everything labgate sets on a workspace pod, named as KubeSpawner's traits are."""

    namespace: str
    uid: int
    gid: int
    fs_gid: int
    supplemental_gids: tuple[int, ...]
    pod_security_context: Mapping[str, Any]
    container_security_context: Mapping[str, Any]
    volumes: tuple[Mapping[str, Any], ...]
    volume_mounts: tuple[Mapping[str, Any], ...]
    labels: Mapping[str, str]
    annotations: Mapping[str, str]
    environment: Mapping[str, str]
    working_dir: str
    mem_limit: int | None = None
    cpu_limit: float | None = None
    automount_service_account_token: bool = False
    extra_pod_config: Mapping[str, Any] = field(default_factory=dict)


def pod_security_context(spec: WorkspaceSpec) -> dict[str, Any]:
    return {
        "runAsNonRoot": True,
        "runAsUser": spec.uid,
        "runAsGroup": spec.gid,
        "fsGroup": spec.gid,
        "fsGroupChangePolicy": "OnRootMismatch",
        "supplementalGroups": [spec.gid],
        "seccompProfile": {"type": "RuntimeDefault"},
    }


def container_security_context(spec: WorkspaceSpec, settings: KubeSettings) -> dict[str, Any]:
    return {
        "runAsNonRoot": True,
        "runAsUser": spec.uid,
        "runAsGroup": spec.gid,
        "privileged": False,
        "allowPrivilegeEscalation": False,
        "capabilities": {"drop": ["ALL"]},
        "readOnlyRootFilesystem": settings.read_only_root_filesystem,
        "seccompProfile": {"type": "RuntimeDefault"},
    }


def workspace_labels(spec: WorkspaceSpec) -> dict[str, str]:
    """Labels of a workspace pod; the audit log records them with the start (LOG-1)."""
    return {
        **common_labels(spec.project, "workspace"),
        names.LABEL_PERSON: names.name_label(spec.person),
        names.LABEL_SERVER: names.code_label(spec.server_name, "server"),
    }


def build_pod_fields(spec: WorkspaceSpec, store_root: str, settings: KubeSettings) -> PodFields:
    volumes, mounts = build_volumes(spec, store_root, settings)
    if spec.uid <= 0 or spec.gid <= 0:
        raise ValueError(f"A workspace never runs as uid or gid 0 (got {spec.uid}:{spec.gid}).")
    return PodFields(
        namespace=names.namespace_name(settings.namespace_prefix, spec.project),
        uid=spec.uid,
        gid=spec.gid,
        fs_gid=spec.gid,
        supplemental_gids=(spec.gid,),
        pod_security_context=pod_security_context(spec),
        container_security_context=container_security_context(spec, settings),
        volumes=tuple(volumes),
        volume_mounts=tuple(mounts),
        labels=workspace_labels(spec),
        annotations={"labgate.io/person": spec.person, "labgate.io/project": spec.project},
        environment=dict(spec.env),
        working_dir=WORK_MOUNT,
        mem_limit=spec.mem_limit_bytes,
        cpu_limit=spec.cpu_limit,
        # No service links: a workspace learns no other service's address from its env.
        extra_pod_config={"enableServiceLinks": False},
    )


#: Pod spec keys that would bypass labgate's volumes, identity or isolation.
GUARDED_POD_KEYS = frozenset(
    {
        "volumes", "securityContext", "serviceAccountName", "serviceAccount",
        "automountServiceAccountToken", "hostNetwork", "hostPID", "hostIPC", "hostUsers",
        "initContainers", "containers", "ephemeralContainers", "shareProcessNamespace",
        "enableServiceLinks",
    }
)  # fmt: skip
#: Container keys that would bypass labgate's mounts or security context.
GUARDED_CONTAINER_KEYS = frozenset({"volumeMounts", "volumeDevices", "securityContext", "envFrom"})


class UnsafePodOverride(ValueError):
    """Operator configuration would widen a workspace pod beyond its spec."""


def check_pod_overrides(
    extra_pod_config: Mapping[str, Any],
    extra_container_config: Mapping[str, Any],
    *,
    init_containers: bool,
    extra_containers: bool,
) -> None:
    """Refuse configuration that would give a workspace more than its spec (DATA-8, WS-2).

    KubeSpawner merges `extra_pod_config` over the pod it builds, so a `volumes` key there
    would replace labgate's. Such settings are an operator's mistake; the start fails
    with the setting named rather than running a pod that sees too much.
    """
    problems = [f"KubeSpawner.extra_pod_config.{k}" for k in sorted(extra_pod_config)
                if k in GUARDED_POD_KEYS]  # fmt: skip
    problems += [f"KubeSpawner.extra_container_config.{k}" for k in sorted(extra_container_config)
                 if k in GUARDED_CONTAINER_KEYS]  # fmt: skip
    if init_containers:
        problems.append("KubeSpawner.init_containers")
    if extra_containers:
        problems.append("KubeSpawner.extra_containers")
    if problems:
        raise UnsafePodOverride(
            "These settings would widen a workspace pod beyond its workspace spec; remove "
            "them: " + ", ".join(problems) + "."
        )
