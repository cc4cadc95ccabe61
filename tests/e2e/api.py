"""Reaching the labgate service's REST API as a script would: with a hub API token."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import requests

from tests.e2e.conftest import Hub

SERVICE = "/services/labgate/"


def hub_session(hub: Hub, username: str) -> requests.Session:
    """A browser-like session signed in at the hub's login form (roles synced at login)."""
    s = requests.Session()
    s.get(hub.url + "/hub/login", timeout=30).raise_for_status()
    form = {
        "username": username,
        "password": hub.password(username),
        "accept_terms": "on",
        "_xsrf": s.cookies.get("_xsrf", ""),
    }
    r = s.post(hub.url + "/hub/login", data=form, timeout=60, allow_redirects=False)
    if r.status_code != 302:
        raise AssertionError(f"login of {username} failed: {r.status_code} {r.text[:300]}")
    return s


def api_token(hub: Hub, username: str) -> str:
    """A hub API token of `username`, with the owner's full permissions (as from /hub/token)."""
    s = hub_session(hub, username)
    r = s.post(
        f"{hub.url}/hub/api/users/{username}/tokens",
        json={"note": "labgate test"},
        headers={"X-XSRFToken": s.cookies.get("_xsrf", "")},
        timeout=30,
    )
    r.raise_for_status()
    token: str = r.json()["token"]
    return token


@dataclass
class Api:
    """The service's API for one person."""

    hub: Hub
    token: str

    def request(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        headers = {"Authorization": f"token {self.token}", **kwargs.pop("headers", {})}
        return requests.request(
            method, self.hub.url + SERVICE + path, headers=headers, timeout=120, **kwargs
        )

    def get(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("GET", path, **kwargs)

    def post(
        self, path: str, body: dict[str, Any] | None = None, **kwargs: Any
    ) -> requests.Response:
        return self.request("POST", path, json=body or {}, **kwargs)


def api_for(hub: Hub, username: str) -> Api:
    return Api(hub, api_token(hub, username))
