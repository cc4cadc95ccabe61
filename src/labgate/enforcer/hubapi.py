"""The few calls the enforcer makes on the JupyterHub REST API, over plain HTTP.

The enforcer is a hub-managed service: the hub gives it `JUPYTERHUB_API_URL` and a token
whose role allows `list:users`, `read:servers`, `delete:servers` and
`read:users:activity`, and nothing else. Stopping is idempotent on the hub's side: a
server that is already stopping answers 202, a stopped one 204, a removed one 404; all
three mean "not running any more, or about to stop", so a replayed stop is harmless.
"""

from __future__ import annotations

import datetime as dt
import json
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

PAGINATION = "application/jupyterhub-pagination+json"
PAGE_SIZE = 200


class HubError(RuntimeError):
    """The hub did not answer as expected; the pass is retried at the next interval."""


@dataclass(frozen=True)
class RunningServer:
    """One active server (running, starting or stopping) as the hub reports it."""

    user: str
    #: The server name: labgate's project code ("" for a user's default server).
    name: str
    started: dt.datetime | None
    pending: str | None

    @property
    def label(self) -> str:
        return f"{self.user}/{self.name}"


def parse_time(value: str | None) -> dt.datetime | None:
    """The hub's ISO 8601 times ("...Z") as aware UTC datetimes."""
    if not value:
        return None
    parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


def servers_of(user: dict[str, Any]) -> list[RunningServer]:
    """The active servers in one user model of `GET /users?state=active`."""
    found = []
    for name, server in sorted((user.get("servers") or {}).items()):
        if server.get("stopped") and not server.get("pending"):
            continue
        found.append(
            RunningServer(
                user=user["name"],
                name=name,
                started=parse_time(server.get("started")),
                pending=server.get("pending"),
            )
        )
    return found


class HubClient:
    def __init__(self, api_url: str, token: str, timeout_seconds: float = 20.0) -> None:
        self.api_url = api_url.rstrip("/")
        self.token = token
        self.timeout_seconds = timeout_seconds

    def _request(self, method: str, path: str, accept: str = "application/json") -> Any:
        request = urllib.request.Request(
            self.api_url + path,
            method=method,
            headers={"Authorization": f"token {self.token}", "Accept": accept},
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout_seconds) as response:
                body = response.read()
        except urllib.error.HTTPError as e:
            if method == "DELETE" and e.code == 404:
                return None  # no such server (any more): nothing to stop
            raise HubError(f"{method} {path}: the hub answered {e.code} {e.reason}") from e
        except (urllib.error.URLError, OSError) as e:
            raise HubError(f"{method} {path}: the hub cannot be reached ({e})") from e
        return json.loads(body) if body else None

    def _users(self) -> Iterator[dict[str, Any]]:
        offset = 0
        while True:
            query = urllib.parse.urlencode(
                {"state": "active", "offset": offset, "limit": PAGE_SIZE}
            )
            page = self._request("GET", f"/users?{query}", accept=PAGINATION)
            yield from page["items"]
            following = (page.get("_pagination") or {}).get("next")
            if not following:
                return
            offset = int(following["offset"])

    def running_servers(self) -> list[RunningServer]:
        return [s for user in self._users() for s in servers_of(user)]

    def stop(self, server: RunningServer) -> None:
        path = "/users/{}/servers/{}".format(
            urllib.parse.quote(server.user, safe=""), urllib.parse.quote(server.name, safe="")
        )
        self._request("DELETE", path)

    def is_active(self, user: str, name: str) -> bool:
        model = self._request("GET", f"/users/{urllib.parse.quote(user, safe='')}")
        server = (model.get("servers") or {}).get(name)
        return server is not None and not (server.get("stopped") and not server.get("pending"))

    def wait_stopped(self, servers: list[RunningServer], timeout_seconds: float) -> bool:
        """True once none of `servers` is active, False if some still are after the timeout."""
        deadline = time.monotonic() + timeout_seconds
        left = list(servers)
        while left:
            left = [s for s in left if self.is_active(s.user, s.name)]
            if not left:
                break
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.5)
        return True
