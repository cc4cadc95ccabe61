"""schemathesis over the service's own OpenAPI description, on a hub of its own.

Every operation the served spec describes is called with generated input, valid (positive)
and invalid (negative), with a hub API token of each kind of person. No answer may be a
5xx; a refusal or a bad input is JSON with a sentence; and a valid call's answer conforms
to the spec (status, content type, body schema).

schemathesis sends random writes, so it runs against a fresh demo world and hub started
here, never the session's shared `hub`. Whatever operations exist when it runs are covered.
LABGATE_SCHEMATHESIS_EXAMPLES sets the examples per operation, person and mode (default 10).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from labgate.demo.directory import ThrowawayDirectory
from labgate.demo.run import prepare
from tests.e2e.api import SERVICE, api_token
from tests.e2e.conftest import Hub, start_hub, stop_hub

pytestmark = [pytest.mark.hub, pytest.mark.slapd]

#: The admin last: its random writes (ending authorisations by number) may lock others out.
PEOPLE = ("rita", "manager1", "officer", "steward", "admin")
EXAMPLES = int(os.environ.get("LABGATE_SCHEMATHESIS_EXAMPLES", "10"))
CONFORMANCE: list[Callable[..., Any]] = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


@pytest.fixture(scope="module")
def own_hub(
    tmp_path_factory: pytest.TempPathFactory, directory: ThrowawayDirectory
) -> Iterator[Hub]:
    root: Path = tmp_path_factory.mktemp("schemathesis") / "demo"
    url, store = prepare(root, persons=100)
    process, running = start_hub(root, url, store, directory)
    try:
        yield running
    finally:
        stop_hub(process)


@pytest.fixture(scope="module")
def tokens(own_hub: Hub) -> dict[str, str]:
    """Everyone's token before any fuzzing: a random write may end someone's login."""
    return {username: api_token(own_hub, username) for username in PEOPLE}


@pytest.fixture(scope="module")
def schema(own_hub: Hub) -> Any:
    return schemathesis.openapi.from_url(own_hub.url + SERVICE + "api/openapi.json", timeout=30)


#: Refused by the HTTP servers (proxy, tornado) before any labgate handler runs: a URI or
#: headers too large for them. Still never a 5xx.
TRANSPORT = {414, 431}


def error_is_json_with_a_sentence(response: Any) -> str | None:
    """A 4xx answer is labgate's error JSON, with a sentence that says what to do."""
    if not 400 <= response.status_code < 500 or response.status_code in TRANSPORT:
        return None
    try:
        body = response.json()
    except ValueError:
        return f"{response.status_code} is not JSON: {response.text[:200]!r}"
    if not isinstance(body, dict) or not {"status", "reason", "message"} <= set(body):
        return f"{response.status_code} lacks status/reason/message: {body!r:.200}"
    message = str(body["message"]).strip()
    if len(message) < 10 or not message.endswith((".", "?", "!", ")", "`")):
        return f"{response.status_code} message is not a sentence: {message!r}"
    return None


def fuzz(
    operation: Any, mode: GenerationMode, base_url: str, token: str, calls: list[int]
) -> list[str]:
    """Call `operation` with EXAMPLES generated cases; the problems found (never raises).
    Each call made appends its status to `calls` (so an empty run cannot pass unnoticed)."""
    problems: list[str] = []
    try:
        strategy = operation.as_strategy(generation_mode=mode)
    except Exception as error:
        return [] if mode is GenerationMode.NEGATIVE else [f"no strategy: {error}"]
    checks = CONFORMANCE if mode is GenerationMode.POSITIVE else [not_a_server_error]

    @settings(max_examples=EXAMPLES, deadline=None, database=None, phases=[Phase.generate],
              suppress_health_check=list(HealthCheck))  # fmt: skip
    @given(case=strategy)
    def run(case: Any) -> None:
        response = case.call(
            base_url=base_url, headers={"Authorization": f"token {token}"}, timeout=120
        )
        calls.append(response.status_code)
        where = f"{case.method} {case.formatted_path} {case.body!r:.120} -> {response.status_code}"
        try:
            case.validate_response(response, checks=checks)
        except Exception as failure:
            problems.append(f"{where}: {str(failure)[:400]}")
        problem = error_is_json_with_a_sentence(response)
        if problem:
            problems.append(f"{where}: {problem}")

    try:
        run()
    except Exception as error:
        if mode is GenerationMode.POSITIVE:
            problems.append(f"{operation.label}: generation failed: {str(error)[:300]}")
    return problems


@pytest.mark.timeout(600)
@pytest.mark.parametrize("username", PEOPLE)
def test_no_operation_answers_5xx_and_answers_conform_to_the_spec(
    own_hub: Hub, schema: Any, tokens: dict[str, str], username: str
) -> None:
    token = tokens[username]
    base_url = own_hub.url + SERVICE.rstrip("/")
    operations = [result.ok() for result in schema.get_all_operations()]
    assert operations, "the served spec describes no operation"
    problems: list[str] = []
    for operation in operations:
        calls: list[int] = []
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            found = fuzz(operation, mode, base_url, token, calls)
            problems += [f"[{mode.value}] {p}" for p in found]
        if not calls:
            problems.append(f"{operation.label}: no request was made")
    assert not problems, f"{len(problems)} problems:\n" + "\n".join(sorted(set(problems))[:60])
