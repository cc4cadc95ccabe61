"""configurable-http-proxy, with workspace sockets spelled the way it understands them.

JupyterHub stores every server as proto://host:port and gives a unix-socket server the
port 80 it never uses; configurable-http-proxy 5.3 then takes "<socket path>:80" as the
socket's path and answers 503. This proxy drops that port on the way in and puts it back
on the way out, so the hub's periodic route check still sees the targets it expects.
"""

from __future__ import annotations

import re
from typing import Any

from jupyterhub.proxy import ConfigurableHTTPProxy

_UNIX_PORT = re.compile(r"^(http\+unix://[^/:]+):80(/.*)?$")
_UNIX_BARE = re.compile(r"^(http\+unix://[^/:]+)(/.*)?$")


def target_for_chp(target: str) -> str:
    """http+unix://%2Fpath.sock:80 → http+unix://%2Fpath.sock; other targets unchanged."""
    match = _UNIX_PORT.match(target)
    return match.group(1) + (match.group(2) or "") if match else target


def target_for_hub(target: str) -> str:
    """The inverse: the form JupyterHub compares routes against."""
    if not target.startswith("http+unix://") or _UNIX_PORT.match(target):
        return target
    match = _UNIX_BARE.match(target)
    return f"{match.group(1)}:80{match.group(2) or ''}" if match else target


class LabgateProxy(ConfigurableHTTPProxy):  # type: ignore[misc]
    async def add_route(self, routespec: str, target: str, data: dict[str, Any]) -> Any:
        return await super().add_route(routespec, target_for_chp(target), data)

    async def get_all_routes(self) -> dict[str, dict[str, Any]]:
        routes: dict[str, dict[str, Any]] = await super().get_all_routes()
        for route in routes.values():
            route["target"] = target_for_hub(route["target"])
        return routes
