"""The OpenAPI 3 description of the service's REST API, served at `api/openapi.json`.

Each area keeps its own fragment (`openapi/<area>.json`: paths, and schemas under
components); this module merges them onto the shared head. A test checks the result
against the real routes, both ways.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from tornado import web

from labgate.web.base import LabgateHandler

FRAGMENTS = Path(__file__).parent / "openapi"


def _head() -> dict[str, Any]:
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "labgate",
            "version": "1",
            "description": (
                "labgate's REST API: everything its hub pages do. Authenticate with a hub "
                "API token (`Authorization: token <token>`); what a token may do is its "
                "owner's hub scopes (custom:labgate:...) and, per object, labgate's policy. "
                "Errors are JSON: status, a stable reason, and a sentence for people."
            ),
        },
        "paths": {},
        "components": {
            "securitySchemes": {
                "token": {"type": "apiKey", "in": "header", "name": "Authorization"}
            },
            "schemas": {
                "Error": {
                    "type": "object",
                    "required": ["status", "reason", "message"],
                    "properties": {
                        "status": {"type": "integer"},
                        "reason": {"type": "string"},
                        "message": {"type": "string"},
                    },
                }
            },
        },
        "security": [{"token": []}],
    }


@cache
def spec() -> dict[str, Any]:
    doc = _head()
    for path in sorted(FRAGMENTS.glob("*.json")):
        fragment = json.loads(path.read_text())
        for route, item in fragment.get("paths", {}).items():
            if route in doc["paths"]:
                raise ValueError(f"{path.name}: {route} is described twice.")
            doc["paths"][route] = item
        doc["components"]["schemas"].update(fragment.get("components", {}).get("schemas", {}))
    return doc


class OpenApiHandler(LabgateHandler):
    """Public: the description holds no data (as the hub's own REST API docs are public)."""

    def get(self) -> None:
        served = dict(spec())
        served["servers"] = [{"url": self.prefix.rstrip("/")}]
        self.set_header("Content-Type", "application/json; charset=UTF-8")
        self.finish(json.dumps(served, indent=1))


ROUTES: list[tuple[str, type[web.RequestHandler]]] = [("api/openapi.json", OpenApiHandler)]
