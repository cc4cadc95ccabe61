"""The service's OpenAPI description is valid and tells the truth about its routes, both
ways; and its scope table is the one thing the docs, the handlers and the hub roles use.

Other areas are written at the same time: these tests read whatever routes and fragments
exist when they run, so a route added without its description (or the reverse) fails here.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from tornado import web

from labgate.web import scopes
from labgate.web.app import routes
from labgate.web.openapi import spec

REPO = Path(__file__).resolve().parents[2]
WEB = REPO / "src" / "labgate" / "web"
METHODS = ("get", "post", "put", "patch", "delete")
#: A tornado regex group, named or not: `([^/]+)`, `(?P<code>[^/]+)`.
GROUP = re.compile(r"\((?:\?P<\w+>)?[^()]*\)")
#: An OpenAPI path parameter: `{code}`.
PARAM = re.compile(r"\{[^{}/]+\}")


def route_shape(path: str) -> str:
    """A tornado route as a comparable shape: '/api/projects/{}/renew'."""
    shape = GROUP.sub("{}", path.rstrip("$"))
    assert "(" not in shape and "\\" not in shape, f"route {path!r} is not a plain path"
    return "/" + shape


def spec_shape(path: str) -> str:
    return PARAM.sub("{}", path)


def implemented(handler: type[web.RequestHandler]) -> set[str]:
    """The HTTP methods a handler answers (tornado's defaults answer 405)."""
    return {m for m in METHODS if getattr(handler, m) is not getattr(web.RequestHandler, m)}


#: The description itself is public and is not part of the API it describes.
SELF = "api/openapi.json"


def api_routes() -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for path, handler in routes():
        if path.startswith("api/") and path != SELF:
            shape = route_shape(path)
            assert shape not in found, f"{shape} is routed twice"
            found[shape] = implemented(handler)
    return found


def described() -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for path, item in spec()["paths"].items():
        shape = spec_shape(path)
        assert shape not in found, f"{path} is described twice (as {shape})"
        found[shape] = {m for m in item if m in METHODS}
    return found


# --- a valid OpenAPI 3.0 document ---------------------------------------------------------


def test_the_spec_is_valid_openapi_3_0() -> None:
    from schemathesis.specs.openapi.definitions import OPENAPI_30

    doc = spec()
    assert doc["openapi"].startswith("3.0.")
    errors = sorted(
        jsonschema.Draft4Validator(OPENAPI_30).iter_errors(doc), key=lambda e: list(e.path)
    )
    assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors[:20])


def refs(value: Any) -> Iterator[str]:
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "$ref" and isinstance(item, str):
                yield item
            else:
                yield from refs(item)
    elif isinstance(value, list):
        for item in value:
            yield from refs(item)


def test_every_reference_in_the_spec_resolves() -> None:
    doc = spec()
    for ref in set(refs(doc)):
        assert ref.startswith("#/"), f"{ref}: only local references"
        node: Any = doc
        for part in ref[2:].split("/"):
            assert isinstance(node, dict) and part in node, f"{ref} does not resolve"
            node = node[part]


def operations() -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in spec()["paths"].items():
        for method in METHODS:
            if method in item:
                yield path, method, item[method]


def test_operation_ids_are_unique() -> None:
    ids = [op.get("operationId") for _, _, op in operations()]
    assert all(ids), "every operation needs an operationId"
    assert len(ids) == len(set(ids)), sorted(i for i in ids if ids.count(i) > 1)


def test_every_path_parameter_is_declared_as_a_required_path_parameter() -> None:
    for path, method, op in operations():
        item = spec()["paths"][path]
        declared = {
            p["name"]
            for p in [*item.get("parameters", []), *op.get("parameters", [])]
            if "$ref" not in p and p.get("in") == "path" and p.get("required")
        }
        wanted = {name[1:-1] for name in PARAM.findall(path)}
        assert wanted <= declared, f"{method.upper()} {path}: declare {wanted - declared}"


def test_every_operation_describes_a_success_and_its_errors_as_json() -> None:
    for path, method, op in operations():
        codes = set(op.get("responses", {}))
        assert any(c.startswith("2") for c in codes), f"{method.upper()} {path}: no 2xx"
        for code, response in op["responses"].items():
            if code.startswith(("4", "5")) and "content" in response:
                assert "application/json" in response["content"], f"{method} {path} {code}"


# --- the spec and the routes, both ways ---------------------------------------------------


def test_every_api_route_is_described_with_every_method_it_answers() -> None:
    spec_paths = described()
    missing = {
        f"{method.upper()} {shape}"
        for shape, methods in api_routes().items()
        for method in methods
        if method not in spec_paths.get(shape, set())
    }
    assert not missing, f"routes without a description: {sorted(missing)}"


def test_every_described_operation_is_routed() -> None:
    routed = api_routes()
    invented = {
        f"{method.upper()} {shape}"
        for shape, methods in described().items()
        for method in methods
        if method not in routed.get(shape, set())
    }
    assert not invented, f"described but not routed: {sorted(invented)}"


def test_the_spec_describes_only_api_paths() -> None:
    for path in spec()["paths"]:
        assert path.startswith("/api/"), path


def test_the_shape_helpers_agree() -> None:
    assert route_shape("api/pdb/([^/]+)/subprojects/(?P<sub>[^/]+)/members") == (
        "/api/pdb/{}/subprojects/{}/members"
    )
    assert spec_shape("/api/pdb/{code}/subprojects/{sub}/members") == (
        "/api/pdb/{}/subprojects/{}/members"
    )


# --- one scope table ----------------------------------------------------------------------


def test_docs_scopes_md_is_generated_from_the_table() -> None:
    assert (REPO / "docs" / "scopes.md").read_text() == scopes.markdown(), (
        "docs/scopes.md is stale: run `python -m labgate.web.scopes > docs/scopes.md`"
    )


#: `require("name", ...)`, `scope("name")` in Python; `scope('name')` in templates too.
SCOPE_USE = re.compile(r"""\b(?:require|scope)\(\s*["']([^"']+)["']""")


def scope_uses() -> list[tuple[str, str]]:
    files = [*WEB.rglob("*.py"), *WEB.rglob("*.html")]
    return [
        (str(f.relative_to(REPO)), name)
        for f in files
        if f.name != "scopes.py"
        for name in SCOPE_USE.findall(f.read_text())
    ]


def test_every_scope_the_handlers_ask_for_is_in_the_table() -> None:
    uses = scope_uses()
    assert uses, "no require()/scope() calls found: the pattern is stale"
    unknown = [(f, name) for f, name in uses if name not in scopes.BY_NAME]
    assert not unknown, f"scopes not in labgate.web.scopes: {unknown}"


def test_the_scope_pattern_finds_the_researcher_s_scope() -> None:
    assert ("src/labgate/web/researcher.py", "workspaces") in scope_uses()


def test_the_role_definitions_use_only_declared_custom_scopes() -> None:
    declared = set(scopes.custom_scopes())
    for role in scopes.role_definitions():
        assert role["name"].startswith("labgate-"), role["name"]
        for held in role["scopes"]:
            if held.startswith("custom:"):
                assert held in declared, f"{role['name']}: {held} is not declared"
            else:
                assert held == scopes.access_scope(), f"{role['name']}: unexpected {held}"


def test_every_declared_scope_is_held_by_some_role_and_names_are_unique() -> None:
    names = [s.name for s in scopes.SCOPES]
    assert len(names) == len(set(names))
    held = {s for role in scopes.role_definitions() for s in role["scopes"]}
    assert set(scopes.custom_scopes()) <= held
    for s in scopes.SCOPES:
        assert set(s.roles) <= set(scopes.ROLE_DESCRIPTIONS), s.name


@pytest.mark.requirement("AUTH-2")
def test_the_security_officer_role_holds_the_register_and_the_log_and_nothing_else() -> None:
    (officer,) = [r for r in scopes.role_definitions() if r["name"] == scopes.OFFICER]
    assert set(officer["scopes"]) == {
        scopes.access_scope(),
        scopes.scope("register:read"),
        scopes.scope("audit:read"),
        scopes.scope("audit:review"),
    }
