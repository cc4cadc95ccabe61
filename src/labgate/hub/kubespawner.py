"""LabgateKubeSpawner: labgate's workspaces as pods, one namespace per project.

The rules are the mixin's (`labgate.hub.spawner.LabgateSpawnerMixin`: the form, the policy
re-check at every start, materialisation, auditing) and the workspace spec's
(`labgate.workspace`: which datasets, where, read-only or not, uid, gid, limits). This
module only carries them to Kubernetes, through the pure builders of `labgate.kube`:

1. re-check the start with policy (WS-1), materialise pending grants;
2. build the workspace spec, then the pod's fields from it (`labgate.kube.pod`);
3. make sure the project's namespace, its default-deny NetworkPolicy (WS-2) and its data
   volume and claim exist (created once, never deleted by labgate);
4. audit, then let KubeSpawner create the pod in the project's namespace.

Configuration that could widen a pod (extra volumes, init containers, a different
security context in `extra_pod_config`) is refused at start rather than merged: the spec
is the only source of mounts (DATA-8). Deleting a server or a user deletes its pod and
nothing else (kubespawner#880): `delete_forever` never touches a claim.
"""

from __future__ import annotations

import asyncio
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from kubernetes_asyncio.client.rest import ApiException
from kubespawner import KubeSpawner
from kubespawner.clients import shared_client
from traitlets import Bool, Dict, Integer, List, Unicode, default

from labgate.hub.spawner import LabgateSpawnerMixin, StartFacts
from labgate.kube import names
from labgate.kube.namespace import build_namespace
from labgate.kube.network import build_network_policy
from labgate.kube.pod import PodFields, build_pod_fields, check_pod_overrides
from labgate.kube.settings import KubeSettings, data_source_from_config
from labgate.kube.storage import build_data_claim, build_data_volume
from labgate.workspace import HostPaths, WorkspaceSettings, WorkspaceSpec, build_workspace_spec

SERVICE_ACCOUNT_NAMESPACE = "/var/run/secrets/kubernetes.io/serviceaccount/namespace"
#: What the audit log records as a workspace's home and runtime "source" on Kubernetes.
EMPTY_DIR_HOME = HostPaths(home="emptyDir:home", runtime="emptyDir:runtime")


class LabgateKubeSpawner(LabgateSpawnerMixin, KubeSpawner):  # type: ignore[misc]
    """Each workspace a pod in its project's namespace, with no network but the hub."""

    if TYPE_CHECKING:  # KubeSpawner's traits that labgate reads and replaces
        extra_pod_config: dict[str, Any]
        extra_container_config: dict[str, Any]
        extra_labels: dict[str, str]
        extra_annotations: dict[str, str]

    namespace_prefix = Unicode(
        "labgate",
        help="""Prefix of the per-project namespaces, which are named
        `<prefix>-<project>-<hash>` (the hash keeps two projects apart even where their
        readable parts agree). A DNS label of at most 20 characters. Default `labgate`.""",
    ).tag(config=True)

    hub_namespace = Unicode(
        help="""The namespace the hub and the proxy run in: NetworkPolicies of project
        namespaces admit only their pods. Default: the hub pod's own namespace.""",
    ).tag(config=True)

    data_source = Dict(
        help="""Where the shared data store lives, so that each project namespace gets a
        volume on it. Either `{"nfs": {"server": "nfs.example.org", "path": "/exports/
        labgate"}}` (path = the data store root on the server) or `{"csi": {"driver":
        "cephfs.csi.ceph.com", "volumeHandlePrefix": "labgate", "volumeAttributes": {...},
        "rootPathAttribute": "rootPath", "rootPath": "/volumes/labgate"}}`. Required.""",
    ).tag(config=True)

    data_claim_name = Unicode(
        "labgate-data",
        help="""Name of the data claim in each project namespace. Default `labgate-data`.""",
    ).tag(config=True)

    data_capacity = Unicode(
        "1Ti",
        help="""Capacity written on each project's data volume and claim (binding needs a
        size; a shared file system does not enforce it). Default `1Ti`.""",
    ).tag(config=True)

    allow_dns = Bool(
        True,
        help="""Let workspaces query the cluster DNS (port 53 of the kube-dns pods), needed
        when `hub_connect_url` names the hub by its service name. A forwarding resolver can
        carry data out in its queries: to close that, set `hub_connect_url` to the hub
        service's cluster IP and this to False. Default True.""",
    ).tag(config=True)

    hub_pod_labels = Dict(
        {"app": "jupyterhub", "component": "hub"},
        help="""Labels of the hub pod (Zero to JupyterHub's by default).""",
    ).tag(config=True)

    proxy_pod_labels = Dict(
        {"app": "jupyterhub", "component": "proxy"},
        help="""Labels of the proxy pod (Zero to JupyterHub's by default).""",
    ).tag(config=True)

    hub_api_port = Integer(
        8081,
        help="""Port of the hub's API on the hub pod, the one egress port a workspace has.
        Default 8081.""",
    ).tag(config=True)

    scratch_medium = Unicode(
        "Memory",
        help="""Medium of the home, /tmp and runtime emptyDir volumes: `Memory` keeps them
        in RAM (counted against the memory limit, never written to the node's disk, WS-6),
        `` puts them on the node's disk. Default `Memory`.""",
    ).tag(config=True)

    home_size_limit = Unicode(
        "1Gi",
        help="""Size limit of a workspace's home (an emptyDir: files there end with the
        workspace; keep lasting files in /work). Default `1Gi`.""",
    ).tag(config=True)

    tmp_size_limit = Unicode("1Gi", help="Size limit of /tmp. Default `1Gi`.").tag(config=True)

    read_only_root_filesystem = Bool(
        True,
        help="""Run the workspace container with a read-only root file system (home, /tmp
        and the runtime directory stay writable). Turn off only for an image that must
        write elsewhere. Default True.""",
    ).tag(config=True)

    path_prepend = List(
        Unicode(),
        ["/opt/conda/bin"],
        help="""Directories put first on PATH inside the workspace, where the image keeps
        its Python. Default `["/opt/conda/bin"]` (the Jupyter docker-stacks images).""",
    ).tag(config=True)

    @default("hub_namespace")
    def _default_hub_namespace(self) -> str:
        try:
            with open(SERVICE_ACCOUNT_NAMESPACE, encoding="utf-8") as handle:
                return handle.read().strip()
        except OSError:
            return "default"

    # KubeSpawner settings that labgate fixes: one watch over all namespaces, no per-user
    # claim, and never deleting a claim.
    @default("enable_user_namespaces")
    def _default_user_namespaces(self) -> bool:
        return True

    @default("delete_pvc")
    def _default_delete_pvc(self) -> bool:
        return False

    @default("options_form")
    def _default_form(self) -> Any:
        return LabgateSpawnerMixin.labgate_options_form

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.storage_pvc_ensure = False
        self.delete_pvc = False
        if self.name:
            self.namespace = self.project_namespace(self.name)

    # -- pure parts ------------------------------------------------------------------------

    def kube_settings(self) -> KubeSettings:
        return KubeSettings(
            hub_namespace=self.hub_namespace,
            data_source=data_source_from_config(self.data_source),
            namespace_prefix=self.namespace_prefix,
            hub_pod_labels=dict(self.hub_pod_labels),
            proxy_pod_labels=dict(self.proxy_pod_labels),
            hub_port=self.hub_api_port,
            server_port=self.port or 8888,
            allow_dns=self.allow_dns,
            data_claim_name=self.data_claim_name,
            data_capacity=self.data_capacity,
            scratch_medium="Memory" if self.scratch_medium == "Memory" else "",
            home_size_limit=self.home_size_limit,
            tmp_size_limit=self.tmp_size_limit,
            read_only_root_filesystem=self.read_only_root_filesystem,
        )

    def project_namespace(self, project: str) -> str:
        try:
            return names.namespace_name(self.namespace_prefix, project)
        except Exception:
            # Not a project code: the start will be refused by policy before any use.
            return str(self.namespace)

    def workspace_settings(self) -> WorkspaceSettings:
        return WorkspaceSettings(
            cmd=tuple(self.cmd or ()),
            mem_limit_bytes=int(self.mem_limit) if self.mem_limit else None,
            cpu_limit=float(self.cpu_limit) if self.cpu_limit else None,
            path_prepend=tuple(self.path_prepend),
        )

    def apply_pod_fields(self, fields: PodFields) -> None:
        """Set KubeSpawner's traits from labgate's pod fields, replacing, never merging."""
        check_pod_overrides(
            self.extra_pod_config,
            self.extra_container_config,
            init_containers=bool(self.init_containers),
            extra_containers=bool(self.extra_containers),
        )
        self.namespace = fields.namespace
        self.uid = fields.uid
        self.gid = fields.gid
        self.fs_gid = fields.fs_gid
        self.supplemental_gids = list(fields.supplemental_gids)
        self.privileged = False
        self.allow_privilege_escalation = False
        self.pod_security_context = dict(fields.pod_security_context)
        self.container_security_context = dict(fields.container_security_context)
        self.volumes = [dict(v) for v in fields.volumes]
        self.volume_mounts = [dict(m) for m in fields.volume_mounts]
        self.extra_labels = {**self.extra_labels, **fields.labels}
        self.extra_annotations = {**self.extra_annotations, **fields.annotations}
        self.working_dir = fields.working_dir
        self.automount_service_account_token = fields.automount_service_account_token
        self.extra_pod_config = {**self.extra_pod_config, **fields.extra_pod_config}
        self.storage_pvc_ensure = False
        self._labgate_env = dict(fields.environment)

    _labgate_env: dict[str, str] = {}
    _labgate_facts: StartFacts

    def get_env(self) -> dict[str, str]:
        # The spec's environment goes in as it is: KubeSpawner's `environment` trait would
        # expand `{...}` templates inside values such as the person's name.
        env: dict[str, str] = super().get_env()
        env.update(self._labgate_env)
        return env

    # -- cluster objects -------------------------------------------------------------------

    async def _create(self, create: Any, *args: Any) -> bool:
        """Create an object; False if it already exists."""
        try:
            await asyncio.wait_for(create(*args), self.k8s_api_request_timeout)
        except ApiException as error:
            if error.status == 409:
                return False
            raise
        return True

    async def ensure_project_objects(self, project: str) -> None:
        """The project's namespace, NetworkPolicy, data volume and claim; idempotent.

        The NetworkPolicy is replaced when it exists, so a changed setting reaches running
        projects at their next start; the volume and claim are left as they are.
        """
        settings = self.kube_settings()
        core = self.api
        net = shared_client("NetworkingV1Api")
        namespace = names.namespace_name(settings.namespace_prefix, project)
        await self._create(core.create_namespace, build_namespace(project, settings))
        policy = build_network_policy(project, settings)
        if not await self._create(net.create_namespaced_network_policy, namespace, policy):
            await asyncio.wait_for(
                net.replace_namespaced_network_policy(
                    policy["metadata"]["name"], namespace, policy
                ),
                self.k8s_api_request_timeout,
            )
        await self._create(core.create_persistent_volume, build_data_volume(project, settings))
        await self._create(
            core.create_namespaced_persistent_volume_claim,
            namespace,
            build_data_claim(project, settings),
        )

    async def _ensure_namespace(self) -> None:
        # KubeSpawner calls this in _start; labgate has done it (and more) already.
        return None

    # -- lifecycle -------------------------------------------------------------------------

    async def prepare_workspace(self) -> WorkspaceSpec:
        """Policy, materialisation, spec and cluster objects; returns the audited spec."""
        facts = await self.authorise_start()
        await self.materialise_pending(facts)
        ids = await asyncio.to_thread(
            self.host_ids.for_workspace, facts.person_id, facts.project_id
        )
        spec = build_workspace_spec(
            person=self.user.name,
            project=self.name,
            datasets=facts.datasets,
            store=self.data_store,
            host=EMPTY_DIR_HOME,
            uid=ids.uid,
            gid=ids.gid,
            settings=self.workspace_settings(),
        )
        fields = build_pod_fields(spec, self.data_root, self.kube_settings())
        self.apply_pod_fields(fields)
        spec = replace(
            spec,
            sandbox_id=f"{fields.namespace}/{self.pod_name}",
            labels={**fields.labels, "namespace": fields.namespace},
        )
        await self.ensure_project_objects(spec.project)
        # Audited before the pod exists: no mount ever happens unrecorded.
        await asyncio.to_thread(self.audit_start, facts, spec)
        self._labgate_facts = facts
        return spec

    async def _start(self) -> Any:
        spec = await self.prepare_workspace()
        try:
            return await super()._start()
        except Exception:
            await asyncio.to_thread(self.audit_start, self._labgate_facts, spec, "failed")
            raise

    async def stop(self, now: bool = False) -> None:
        await super().stop(now=now)
        detail = {"namespace": self.namespace, "pod": self.pod_name}
        await asyncio.to_thread(self.audit_stop, self.name, detail)

    async def delete_forever(self) -> None:
        """Deleting a server or a user deletes nothing of the project's (kubespawner#880)."""
        self.log.info(
            "Server %s/%s deleted; the project's data claim %s in %s stays.",
            self.user.name,
            self.name,
            self.data_claim_name,
            self.namespace,
        )
