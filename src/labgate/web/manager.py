"""The manager pages and API (issue 5). Routes are added by the area's author."""

from __future__ import annotations

from tornado import web

ROUTES: list[tuple[str, type[web.RequestHandler]]] = []
