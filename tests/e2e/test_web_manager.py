"""The project-database manager's pages and API (issue 5), on the real hub: manager1 sees
health-pdb (and nothing of labour-pdb, which reads "not found" everywhere), adds and ends a
researcher's membership of a sub-project, creates a population, and grants the sub-project
`heart` an extract of `bef` that its researcher `sam` then finds under /data, pseudonymised.
A grant beyond what the project database holds is refused with the policy's sentence and
changes nothing (PROJ-5). Every action is in the audit log.

The hub is shared by the whole e2e session: the membership added here is a fresh person's,
the population has a fresh name, and the one extract granted (bef to heart) is new.
"""

from __future__ import annotations

import datetime as dt
import json
import secrets
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from labgate import clock
from labgate.audit.log import Actor
from labgate.audit.search import search
from labgate.db import Database
from labgate.services import people
from tests.e2e.api import SERVICE, Api, api_for, api_token
from tests.e2e.conftest import Hub, log_in
from tests.e2e.workspace import CELL_MARK, run_cell, start_workspace

pytestmark = [pytest.mark.hub, pytest.mark.browser, pytest.mark.slapd]

MANAGER = "manager1"
PDB = "health-pdb"


def events(hub: Hub, **filters: Any) -> list[Any]:
    with Database(hub.db_url).read_session() as s:
        return search(s, **filters)


def extracts(api: Api, sub: str) -> list[dict[str, Any]]:
    r = api.get(f"api/pdb/{PDB}")
    assert r.status_code == 200, r.text
    found = [s for s in r.json()["subprojects"] if s["code"] == sub]
    assert found, r.text
    return list(found[0]["extracts"])


@pytest.fixture(scope="module")
def manager_api(hub: Hub) -> Api:
    return api_for(hub, MANAGER)


def test_the_manager_sees_the_project_database_its_subprojects_and_warnings(
    hub: Hub, page: Any, manager_api: Api
) -> None:
    log_in(page, hub, MANAGER)
    page.goto(hub.url + SERVICE)
    page.click("#nav-manager")
    page.wait_for_selector("#pdbs")
    rows = page.locator("#pdbs tbody tr").evaluate_all("rows => rows.map(r => r.dataset.pdb)")
    assert rows == [PDB]
    page.locator(f"#pdbs tr[data-pdb={PDB}] a").click()
    page.wait_for_selector("#subprojects")
    subs = page.locator(".subproject").evaluate_all("els => els.map(e => e.dataset.subproject)")
    assert {"diabetes", "heart"} <= set(subs)  # other tests may add sub-projects
    heart = page.locator(".subproject[data-subproject=heart]")
    assert heart.locator("tr[data-person=sam]").count() == 1
    # PROJ-7: the demo world's two active sub-projects are fewer than five.
    assert "active sub-projects" in page.locator("#warnings .under-use").inner_text()
    listed = manager_api.get("api/pdb")
    assert listed.status_code == 200, listed.text
    assert [p["code"] for p in listed.json()] == [PDB]
    warnings = manager_api.get(f"api/pdb/{PDB}/warnings")
    assert warnings.status_code == 200, warnings.text
    under_use = warnings.json()["under_use"]
    assert under_use["active_subprojects"] >= 2
    assert under_use["under_used"] is (under_use["active_subprojects"] < 5)


@pytest.mark.requirement("PROJ-4")
def test_a_manager_of_one_project_database_can_do_nothing_to_another(
    hub: Hub, page: Any, manager_api: Api
) -> None:
    log_in(page, hub, MANAGER)
    for path in ("manage/labour-pdb", "manage/labour-pdb/extracts/new", "manage/reform"):
        response = page.goto(hub.url + SERVICE + path)
        assert response is not None and response.status == 404, path
    reads = ("api/pdb/labour-pdb", "api/pdb/labour-pdb/warnings", "api/pdb/reform")
    for path in reads:
        r = manager_api.get(path)
        assert r.status_code == 404, (path, r.text)
        assert r.json()["reason"] == "not-found"
    writes: list[tuple[str, dict[str, Any]]] = [
        ("api/pdb/labour-pdb/populations", {"name": "x", "dataset": "ind"}),
        ("api/pdb/labour-pdb/extracts", {"subproject": "reform", "dataset": "ind",
                                         "variables": ["pnr"], "years": [2022]}),
        ("api/pdb/labour-pdb/subprojects/reform/members", {"username": "rita"}),
        # A project that is not a sub-project of health-pdb, reached through it.
        (f"api/pdb/{PDB}/extracts", {"subproject": "mobility", "dataset": "ind",
                                     "variables": ["pnr"], "years": [2022]}),
        (f"api/pdb/{PDB}/subprojects/mobility/members", {"username": "sam"}),
        (f"api/pdb/{PDB}/subprojects/{PDB}/members", {"username": "sam"}),
    ]  # fmt: skip
    for path, body in writes:
        r = manager_api.post(path, body)
        assert r.status_code == 404, (path, r.text)
    # Ending ola's membership of reform, or manager2's of health-pdb: not found either.
    with Database(hub.db_url).read_session() as s:
        from sqlalchemy import select

        from labgate.model import Membership, Person

        ids = dict(
            s.execute(
                select(Person.username, Membership.id).join(
                    Person, Person.id == Membership.person_id
                )
            ).all()
        )
    for who in ("ola", "manager2"):
        r = manager_api.post(f"api/pdb/{PDB}/memberships/{ids[who]}/end")
        assert r.status_code == 404, (who, r.text)
    # A researcher has no manager pages at all.
    rita = api_for(hub, "rita")
    assert rita.get("api/pdb").status_code == 404
    assert rita.get(f"api/pdb/{PDB}").status_code == 404
    # Nothing changed: the refusals never reached a service.
    assert not events(hub, actor=MANAGER, type="membership.end")


def test_the_manager_adds_and_ends_a_researchers_membership(
    hub: Hub, page: Any, manager_api: Api
) -> None:
    username = f"e2e-{secrets.token_hex(3)}"
    now = clock.now()
    setup = Actor(name="e2e-setup", kind="system", institution="")
    with Database(hub.db_url).session() as s:
        people.create_person(s, setup, username=username, full_name="Temp Researcher",
                             institution_code="uni")  # fmt: skip
        people.grant_authorisation(
            s, setup, username=username, valid_from=now - dt.timedelta(days=1),
            valid_until=now + dt.timedelta(days=30), case_reference="E2E",
        )  # fmt: skip
    log_in(page, hub, MANAGER)
    page.goto(f"{hub.url}{SERVICE}manage/{PDB}")
    form = page.locator(".subproject[data-subproject=diabetes] form.add-member")
    form.locator("input[name=username]").fill(username)
    form.locator("button").click()
    page.wait_for_selector("#flash")
    row = page.locator(f".subproject[data-subproject=diabetes] tr[data-person='{username}']")
    assert row.get_attribute("class") == "active"
    row.locator("form.end-member button").click()
    page.wait_for_selector("#flash")
    assert "ended" in page.locator("#flash").inner_text()
    row = page.locator(f".subproject[data-subproject=diabetes] tr[data-person='{username}']")
    assert row.get_attribute("class") == "ended"
    # Through the API: a person who does not exist is a 400 with a sentence.
    r = manager_api.post(f"api/pdb/{PDB}/subprojects/diabetes/members", {"username": "nobody-x"})
    assert r.status_code == 400, r.text
    assert r.json()["message"].endswith(".")
    added = events(hub, actor=MANAGER, type="membership.add", object_id="diabetes")
    assert [json.loads(e.detail).get("person") for e in added if e.outcome == "ok"] == [username]
    assert events(hub, actor=MANAGER, type="membership.end", outcome="ok")


@pytest.mark.requirement("PROJ-5")
def test_the_manager_creates_a_population_from_conditions(
    hub: Hub, page: Any, manager_api: Api
) -> None:
    name = f"women-{secrets.token_hex(3)}"
    log_in(page, hub, MANAGER)
    page.goto(f"{hub.url}{SERVICE}manage/{PDB}")
    page.fill("#population-name", name)
    page.select_option("#population-dataset", "bef")
    page.fill("#population-conditions", "sex = 2\nyear >= 2020")
    page.fill("#population-description", '<b id="injected">Women</b> since 2020')
    page.click("#population-submit")
    page.wait_for_selector("#flash")
    row = page.locator(f"#populations tr[data-population='{name}']")
    # What a manager writes is shown as text, never as markup.
    assert page.locator("#injected").count() == 0
    assert '<b id="injected">Women</b>' in row.inner_text()
    assert "sex = 2" in row.locator(".definition").inner_text()
    assert int(row.locator(".size").inner_text()) > 0
    again = manager_api.post(f"api/pdb/{PDB}/populations", {"name": name, "dataset": "bef"})
    assert again.status_code == 409, again.text
    bad = manager_api.post(
        f"api/pdb/{PDB}/populations",
        {"name": "x" + name, "dataset": "bef", "conditions": ["shoe_size = 44"]},
    )
    assert bad.status_code == 400, bad.text
    assert "no column 'shoe_size'" in bad.json()["message"]
    created = events(hub, actor=MANAGER, type="population.create", object_id=PDB)
    assert [e.outcome for e in created][-3:] == ["ok", "denied", "denied"]


@pytest.mark.requirement("PROJ-5")
def test_a_grant_beyond_the_main_project_is_refused_and_nothing_changes(
    hub: Hub, page: Any, manager_api: Api
) -> None:
    before = extracts(manager_api, "diabetes")
    log_in(page, hub, MANAGER)
    page.goto(f"{hub.url}{SERVICE}manage/{PDB}/extracts/new?subproject=diabetes&dataset=bef")
    page.wait_for_selector("#extract-form")
    for name in ("pnr", "year", "postcode"):
        page.check(f"#var-{name}")
    page.check("#year-2022")
    page.fill("#justification", "Postcodes are needed to study distance to the nearest hospital.")
    page.click("#extract-submit")
    page.wait_for_selector("#error")
    sentence = page.locator("#error").inner_text()
    assert "postcode" in sentence
    r = manager_api.post(
        f"api/pdb/{PDB}/extracts",
        {"subproject": "diabetes", "dataset": "udda", "variables": ["pnr", "level"],
         "years": [2022]},
    )  # fmt: skip
    assert r.status_code == 400, r.text
    assert r.json()["message"].endswith(".")
    assert extracts(manager_api, "diabetes") == before
    refused = events(hub, actor=MANAGER, type="grant.create", object_id="diabetes")
    assert len([e for e in refused if e.outcome == "denied"]) >= 2


def _stop_server(hub: Hub, user: str, name: str) -> None:
    """The extract is written when a workspace starts: make sure this one starts afresh."""
    import requests

    headers = {"Authorization": f"token {api_token(hub, user)}"}
    url = f"{hub.url}/hub/api/users/{user}"
    requests.delete(f"{url}/servers/{name}", headers=headers, timeout=60)
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        servers = requests.get(url, headers=headers, timeout=30).json().get("servers", {})
        if name not in servers:
            return
        time.sleep(1)


PROBE = """
import glob, json, os
import pyarrow.parquet as pq
table = pq.read_table(glob.glob("/data/bef/*.parquet")[0])
print(MARK + json.dumps({
    "datasets": sorted(os.listdir("/data")),
    "columns": sorted(table.column_names),
    "pnr_type": str(table.schema.field("pnr").type),
    "years": sorted(set(table.column("year").to_pylist())),
    "rows": table.num_rows,
}))
"""


@pytest.mark.sandbox
@pytest.mark.requirement("PROJ-5")
def test_a_manager_grants_heart_an_extract_and_sam_finds_it_under_data(
    hub: Hub, page: Any, browser: Any, manager_api: Api
) -> None:
    assert not [g for g in extracts(manager_api, "heart") if g["dataset"] == "bef"]
    log_in(page, hub, MANAGER)
    page.goto(f"{hub.url}{SERVICE}manage/{PDB}")
    page.click("#new-extract")
    page.select_option("#choose-subproject", "heart")
    page.select_option("#choose-dataset", "bef")
    page.click("#choose-submit")
    page.wait_for_selector("#extract-form")
    for name in ("pnr", "year", "sex"):
        page.check(f"#var-{name}")
    for year in (2021, 2022, 2023):
        page.check(f"#year-{year}")
    page.click("#extract-submit")
    page.wait_for_selector("#flash")
    row = page.locator(".subproject[data-subproject=heart] .extracts tr[data-dataset=bef]")
    assert row.locator(".variables").inner_text() == "pnr, sex, year"
    assert row.locator(".years").inner_text() == "2021, 2022, 2023"
    granted = events(hub, actor=MANAGER, type="grant.create", object_id="heart", outcome="ok")
    assert [json.loads(e.detail)["dataset"] for e in granted] == ["bef"]

    _stop_server(hub, "sam", "heart")
    sam = browser.new_context().new_page()
    log_in(sam, hub, "sam")
    base = start_workspace(sam, hub.url, "sam", "heart")
    result = run_cell(sam, base, f"MARK = {CELL_MARK!r}\n" + PROBE)
    assert result["datasets"] == ["bef", "ind"]
    # Only the granted variables, and the protection marker that always travels along (DATA-7).
    assert result["columns"] == ["pnr", "protected", "sex", "year"]
    assert result["pnr_type"] == "int64"
    assert result["years"] == [2021, 2022, 2023]
    assert result["rows"] > 0
    grant_id = json.loads(granted[0].detail)["grant"]
    written = events(hub, type="data.materialise", object_id="heart", outcome="ok")
    assert grant_id in [json.loads(e.detail)["grant"] for e in written]


def fuzz(
    hub: Hub, username: str, config: Path, *selection: str
) -> subprocess.CompletedProcess[str]:
    """schemathesis over the manager's routes of the served OpenAPI description."""
    command = [
        str(Path(sys.executable).parent / "schemathesis"), "--config-file", str(config), "run",
        f"{hub.url}{SERVICE}api/openapi.json", "--url", hub.url + SERVICE.rstrip("/"),
        "-H", f"Authorization: token {api_token(hub, username)}",
        "--checks", "not_a_server_error,response_schema_conformance",
        "--max-examples", "25", "--include-path-regex", "^/api/pdb", *selection,
    ]  # fmt: skip
    return subprocess.run(command, capture_output=True, text=True, timeout=600, check=False)


def test_schemathesis_finds_no_server_error_in_the_manager_api(hub: Hub, tmp_path: Path) -> None:
    # Every route as a researcher (all "not found"); as the manager, the reads and the
    # populations of health-pdb only: fuzzed memberships and extracts would change the
    # shared demo world.
    anywhere = tmp_path / "anywhere.toml"
    anywhere.write_text("")
    health = tmp_path / "health.toml"
    health.write_text(f'[parameters]\n"path.code" = "{PDB}"\n')
    as_rita = fuzz(hub, "rita", anywhere)
    assert as_rita.returncode == 0, as_rita.stdout[-4000:]
    as_manager = fuzz(hub, MANAGER, health, "--exclude-path-regex", "(members|end|extracts)$")
    assert as_manager.returncode == 0, as_manager.stdout[-4000:]
