"""JupyterHub configuration of the enforcer tests' hub (read by a real hub subprocess).

Named servers as in production; a tiny HTTP server stands in for JupyterLab; two
services with tokens from the environment: `test-admin` (creates users, starts servers)
and `labgate-enforcer` with exactly the scopes the production config gives it. With
TEST_ENFORCER_COMMAND set, the enforcer is hub-managed, as in production.
"""

import json
import os
import sys

c = get_config()  # type: ignore[name-defined]  # noqa: F821
env = os.environ

c.JupyterHub.bind_url = f"http://127.0.0.1:{env['TEST_HUB_PORT']}"
c.JupyterHub.hub_ip = "127.0.0.1"
c.JupyterHub.hub_port = int(env["TEST_HUB_API_PORT"])
c.ConfigurableHTTPProxy.api_url = f"http://127.0.0.1:{env['TEST_PROXY_API_PORT']}"
c.JupyterHub.db_url = "sqlite:///jupyterhub.sqlite"
c.JupyterHub.allow_named_servers = True
c.JupyterHub.named_server_limit_per_user = 0
c.JupyterHub.authenticator_class = "dummy"
c.Authenticator.allow_all = True
c.JupyterHub.spawner_class = "simple"
c.Spawner.cmd = [sys.executable, env["TEST_WORKSPACE_SCRIPT"]]
c.Spawner.start_timeout = 30
c.Spawner.http_timeout = 30

enforcer: dict[str, object] = {"name": "labgate-enforcer"}
if env.get("TEST_ENFORCER_COMMAND"):
    enforcer["command"] = json.loads(env["TEST_ENFORCER_COMMAND"])
    enforcer["environment"] = {
        "LABGATE_DB": env["LABGATE_DB"],
        "LABGATE_DATA_ROOT": env["LABGATE_DATA_ROOT"],
        "PYTHONPATH": env.get("PYTHONPATH", ""),
    }
else:
    enforcer["api_token"] = env["TEST_ENFORCER_TOKEN"]

c.JupyterHub.services = [
    {"name": "test-admin", "api_token": env["TEST_ADMIN_TOKEN"]},
    enforcer,
]
c.JupyterHub.load_roles = [
    {
        "name": "test-admin",
        "scopes": ["admin:users", "admin:servers", "list:users", "read:users"],
        "services": ["test-admin"],
    },
    {
        "name": "labgate-enforcer",
        "scopes": json.loads(env["TEST_ENFORCER_SCOPES"]),
        "services": ["labgate-enforcer"],
    },
]
