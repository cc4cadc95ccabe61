"""A researcher's day, end to end: log in, see only their projects, open one, read
pseudonymised data, and find every other door closed (WS-1, WS-2, DATA-1, DATA-8, AUTH-5)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest

from tests.e2e.conftest import Hub, log_in
from tests.e2e.workspace import CELL_MARK, run_cell, start_workspace

pytestmark = [pytest.mark.hub, pytest.mark.browser, pytest.mark.sandbox, pytest.mark.slapd]

PROBE = """
import glob, json, os, socket
import pyarrow.parquet as pq

def attempt(action):
    try:
        action()
        return "ok"
    except Exception as error:
        return type(error).__name__

table = pq.read_table(glob.glob("/data/bef/*.parquet")[0])
environs = []
for path in glob.glob("/proc/[0-9]*/environ"):
    try:
        environs.append(open(path, "rb").read().decode(errors="replace"))
    except OSError:
        pass
result = {
    "datasets": sorted(os.listdir("/data")),
    "columns": table.column_names,
    "pnr_type": str(table.schema.field("pnr").type),
    "pnrs": [str(v) for v in table.column("pnr").to_pylist()],
    "write_data": attempt(lambda: open("/data/bef/new.txt", "w")),
    "write_work": attempt(lambda: open("/work/new.txt", "w").write("x")),
    "other_project": attempt(lambda: os.listdir(OTHER)),
    "vault": attempt(lambda: os.listdir(VAULT)),
    "hub_over_tcp": attempt(lambda: socket.create_connection(("127.0.0.1", HUB_PORT), 3)),
    "interfaces": [name for _, name in socket.if_nameindex()],
    "visible_pids": len(glob.glob("/proc/[0-9]*")),
    "other_tokens": sum("JUPYTERHUB_SERVER_NAME=heart" in e for e in environs),
}
print(MARK + json.dumps(result))
"""


def probe(hub: Hub) -> str:
    port = int(hub.url.rsplit(":", 1)[1])
    return (
        f"OTHER = {str(hub.store.data_dir('heart'))!r}\n"
        f"VAULT = {str(hub.store.vault)!r}\n"
        f"HUB_PORT = {port}\nMARK = {CELL_MARK!r}\n" + PROBE
    )


def raw_person_numbers(hub: Hub) -> set[str]:
    numbers: set[str] = set()
    for path in Path(hub.store.register_dir("bef")).glob("*.parquet"):
        numbers |= {str(v) for v in pq.read_table(path, columns=["pnr"]).column("pnr").to_pylist()}
    return numbers


@pytest.fixture(scope="module")
def rita_result(hub: Hub, browser: Any) -> dict[str, Any]:
    # Another person's workspace runs at the same time, to prove it cannot be seen.
    sam = browser.new_context().new_page()
    log_in(sam, hub, "sam")
    start_workspace(sam, hub.url, "sam", "heart")
    page = browser.new_context().new_page()
    log_in(page, hub, "rita")
    page.goto(f"{hub.url}/hub/spawn")
    page.locator("input[name=project]").first.wait_for()
    offered = sorted(page.locator("input[name=project]").evaluate_all("e => e.map(x => x.value)"))
    base = start_workspace(page, hub.url, "rita", "diabetes")
    result = run_cell(page, base, probe(hub))
    result["offered"] = offered
    return result


@pytest.mark.requirement("AUTH-5")
def test_the_spawn_form_offers_only_the_researchers_own_projects(
    rita_result: dict[str, Any],
) -> None:
    assert rita_result["offered"] == ["diabetes", "mobility"]


@pytest.mark.requirement("DATA-1")
def test_a_notebook_reads_pseudonyms_and_never_a_real_person_number(
    hub: Hub, rita_result: dict[str, Any]
) -> None:
    assert rita_result["datasets"] == ["bef", "ind"]
    assert rita_result["pnr_type"] == "int64"
    assert rita_result["pnrs"]
    assert not set(rita_result["pnrs"]) & raw_person_numbers(hub)


@pytest.mark.requirement("DATA-4")
def test_the_workspace_sees_only_the_granted_variables(rita_result: dict[str, Any]) -> None:
    assert set(rita_result["columns"]) <= {"pnr", "year", "sex", "kom", "protected"}
    assert "postcode" not in rita_result["columns"]


@pytest.mark.requirement("DATA-8")
def test_data_is_read_only_and_nothing_else_of_the_store_is_visible(
    rita_result: dict[str, Any],
) -> None:
    assert rita_result["write_data"] in {"OSError", "PermissionError"}
    assert rita_result["write_work"] == "ok"
    assert rita_result["other_project"] in {"FileNotFoundError", "PermissionError"}
    assert rita_result["vault"] in {"FileNotFoundError", "PermissionError"}


@pytest.mark.requirement("WS-2")
def test_the_workspace_has_no_network(rita_result: dict[str, Any]) -> None:
    assert rita_result["interfaces"] == ["lo"]
    assert rita_result["hub_over_tcp"] in {"ConnectionRefusedError", "OSError", "TimeoutError"}


@pytest.mark.requirement("WS-2")
def test_another_workspace_and_its_token_are_invisible(rita_result: dict[str, Any]) -> None:
    assert rita_result["other_tokens"] == 0
    assert rita_result["visible_pids"] < 20
