"""Kubernetes manifests for labgate's workspaces, as pure functions.

Every builder here takes plain, typed input (a `labgate.workspace.WorkspaceSpec` and the
cluster's `KubeSettings`) and returns the manifest as a dict in the API's own camelCase
shape, so that tests can validate it against the official Kubernetes schema. Nothing here
talks to a cluster or imports JupyterHub; `labgate.hub.kubespawner` does that.

    names      DNS-safe, collision-free names and label values (hash suffixes)
    settings   what labgate needs to know about the cluster
    namespace  one namespace per project, Pod Security "restricted" enforced
    network    the default-deny NetworkPolicy of a project namespace (WS-2)
    storage    the project's view of the shared data volume and the pod's mounts (DATA-8)
    pod        security contexts, resources and labels of a workspace pod
"""
