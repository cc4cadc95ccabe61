"""JupyterHub configuration for labgate on one machine.

It only wires labgate's classes (registered as JupyterHub entry points) and passes
labgate's settings on from the environment that `make demo` (or an operator's unit file)
sets. Every rule lives in labgate's policy module, not here.
"""

import os
import sys

from labgate.demo.directory import free_port
from labgate.hub.authenticator import TEMPLATE_DIR
from labgate.web import scopes as labgate_scopes

c = get_config()  # type: ignore[name-defined]  # noqa: F821

env = os.environ
db_url = env["LABGATE_DB"]
data_root = env["LABGATE_DATA_ROOT"]
state_dir = env.get("LABGATE_STATE_DIR", "var/state")
hub_dir = env.get("LABGATE_HUB_DIR", ".")

c.JupyterHub.bind_url = env.get("LABGATE_PUBLIC_URL", "http://127.0.0.1:8000")
c.JupyterHub.hub_ip = "127.0.0.1"
c.JupyterHub.hub_port = int(env.get("LABGATE_HUB_PORT", "8081"))
c.ConfigurableHTTPProxy.api_url = f"http://127.0.0.1:{env.get('LABGATE_PROXY_API_PORT', '8001')}"
c.JupyterHub.db_url = f"sqlite:///{hub_dir}/jupyterhub.sqlite"
c.JupyterHub.cookie_secret_file = f"{hub_dir}/jupyterhub_cookie_secret"
c.JupyterHub.proxy_class = "labgate-chp"
c.ConfigurableHTTPProxy.pid_file = f"{hub_dir}/jupyterhub-proxy.pid"

# One workspace per (person, project): a named server at /user/<name>/<project>.
c.JupyterHub.allow_named_servers = True
c.JupyterHub.named_server_limit_per_user = 0
c.JupyterHub.authenticator_class = "labgate"
# labgate's login page: the one-time code and the terms of use (AUTH-3, AUTH-4).
c.JupyterHub.template_paths = [str(TEMPLATE_DIR)]
c.JupyterHub.spawner_class = "labgate-sandbox"

c.LabgateAuthenticator.db_url = db_url
c.LabgateAuthenticator.server_address = env.get("LABGATE_LDAP_ADDRESS", "127.0.0.1")
c.LabgateAuthenticator.server_port = int(env.get("LABGATE_LDAP_PORT", "389"))
c.LabgateAuthenticator.bind_dn_template = [env["LABGATE_LDAP_BIND_DN_TEMPLATE"]]

c.LabgateSandboxSpawner.db_url = db_url
c.LabgateSandboxSpawner.data_root = data_root
c.LabgateSandboxSpawner.state_dir = state_dir

# WS-3: idle workspaces stop after ten minutes (LABGATE_IDLE_SECONDS shortens it in tests).
idle_seconds = env.get("LABGATE_IDLE_SECONDS", "600")
c.JupyterHub.load_roles = [
    {
        "name": "idle-culler",
        "scopes": ["list:users", "read:users:activity", "read:servers", "delete:servers"],
        "services": ["idle-culler"],
    }
]
c.JupyterHub.services = [
    {
        "name": "idle-culler",
        "command": [
            sys.executable,
            "-m",
            "jupyterhub_idle_culler",
            f"--timeout={idle_seconds}",
            f"--cull-every={min(60, max(5, int(idle_seconds) // 2))}",
        ],
    }
]

# --- labgate-enforcer (issue 6) ---------------------------------------------------------
# WS-4, PROJ-8/9, LOG-5: stops workspaces within a minute of expiry or revocation, deletes
# project data at the deletion deadline, records end-of-access warnings and overdue
# quarterly controls. Its role can list users and stop servers, nothing more.
enforcer_interval = env.get("LABGATE_ENFORCER_INTERVAL_SECONDS", "30")
c.JupyterHub.load_roles.append(
    {
        "name": "labgate-enforcer",
        "scopes": ["list:users", "read:servers", "delete:servers", "read:users:activity"],
        "services": ["labgate-enforcer"],
    }
)
c.JupyterHub.services.append(
    {
        "name": "labgate-enforcer",
        "command": [
            sys.executable,
            "-m",
            "labgate.enforcer",
            f"--interval-seconds={enforcer_interval}",
        ],
        "environment": {"LABGATE_DB": db_url, "LABGATE_DATA_ROOT": data_root},
    }
)

# --- the labgate service: pages and REST API (issue 5) ---------------------------------
# /services/labgate/, signed in through the hub's OAuth. Its custom scopes and the
# labgate-* roles holding them come from one table (labgate.web.scopes); the
# authenticator assigns the roles at login from labgate's register.
c.JupyterHub.custom_scopes = labgate_scopes.custom_scopes()
web_port = int(env.get("LABGATE_WEB_PORT") or free_port())
c.JupyterHub.services.append(
    {
        "name": labgate_scopes.SERVICE,
        "url": f"http://127.0.0.1:{web_port}",
        "command": [sys.executable, "-m", "labgate.web"],
        "environment": {"LABGATE_DB": db_url, "LABGATE_DATA_ROOT": data_root},
        "oauth_no_confirm": True,
        "oauth_client_allowed_scopes": sorted(labgate_scopes.custom_scopes()),
        "display": True,
    }
)
