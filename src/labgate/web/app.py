"""The labgate service's tornado application: every area's routes under the service prefix."""

from __future__ import annotations

import importlib
import json
import logging
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jupyterhub._data
from jinja2 import ChoiceLoader, Environment, FileSystemLoader, select_autoescape
from jupyterhub.services.auth import HubOAuth, HubOAuthCallbackHandler
from tornado import web

from labgate.datastore.layout import DataStore
from labgate.db import Database
from labgate.policy.staff import not_found

HERE = Path(__file__).parent
#: The areas, each a module with ROUTES (path under the prefix, handler class); the admin's
#: authenticator apps are a module of their own beside the admin's pages.
AREAS = (
    "researcher", "admin", "admin_second_factor", "steward", "manager", "officer", "openapi",
)  # fmt: skip


@dataclass(frozen=True)
class Config:
    db_url: str
    data_root: str
    prefix: str  # /services/labgate/
    hub_prefix: str  # /hub/
    cookie_secret: bytes | None = None


def routes() -> list[tuple[str, type[web.RequestHandler]]]:
    """(path relative to the prefix, handler) for every area, in AREAS order."""
    found: list[tuple[str, type[web.RequestHandler]]] = []
    for area in AREAS:
        module = importlib.import_module(f"labgate.web.{area}")
        found.extend(module.ROUTES)
    return found


def templates() -> Environment:
    """labgate's templates first, then the hub's own (our pages extend its page.html)."""
    hub_templates = Path(jupyterhub._data.DATA_FILES_PATH) / "templates"
    return Environment(
        loader=ChoiceLoader(
            [FileSystemLoader(str(HERE / "templates")), FileSystemLoader(str(hub_templates))]
        ),
        autoescape=select_autoescape(default=True, default_for_string=True),
    )


def make_app(config: Config, hub_auth: HubOAuth | None = None) -> web.Application:
    auth = hub_auth or HubOAuth.instance()
    db = Database(config.db_url)
    handlers: list[Any] = [
        (config.prefix + "oauth_callback", HubOAuthCallbackHandler),
        *((config.prefix + path, handler) for path, handler in routes()),
    ]
    return web.Application(
        handlers,
        hub_auth=auth,
        db=db,
        store=DataStore(Path(config.data_root)),
        prefix=config.prefix,
        hub_prefix=config.hub_prefix,
        templates=templates(),
        log=logging.getLogger("labgate.web"),
        cookie_secret=config.cookie_secret or secrets.token_bytes(32),
        xsrf_cookies=True,
        login_url=auth.login_url,
        default_handler_class=NotFoundHandler,
    )


class NotFoundHandler(web.RequestHandler):
    """A path no route serves: byte for byte what a refusal answers (not allowed reads as
    not found, so the two must not be told apart)."""

    def prepare(self) -> None:
        refusal = not_found()
        self.set_status(404)
        self.set_header("Content-Type", "application/json; charset=UTF-8")
        self.finish(json.dumps({"status": 404, "reason": refusal.reason,
                                "message": refusal.message}))  # fmt: skip
