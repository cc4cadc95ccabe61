"""Local workspace sandboxes: bubblewrap, one host uid per workspace, no network.

`bwrap` builds command lines (pure), `uids` allocates host ids, `hostdirs` and `cgroups`
prepare the host, `bridge` forwards the hub API into the sandbox, and `process` runs,
polls, stops and cleans up sandboxes. Only `labgate.hub.spawner` ties them to JupyterHub.
"""
