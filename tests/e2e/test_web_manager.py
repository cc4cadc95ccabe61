"""The project-database manager's pages and API (issue 5), on the real hub: manager1 sees
health-pdb (and nothing of labour-pdb, which reads "not found" everywhere), adds and ends a
researcher's membership of a sub-project, creates a population, and grants the sub-project
`heart` an extract of `bef` that its researcher `sam` then finds under /data, pseudonymised.
A grant beyond what the project database holds is refused with the policy's sentence and
changes nothing (PROJ-5). manager1 withdraws an extract of a sub-project, with a reason, but
neither the project database's own grant nor another project database's extract: those
read exactly like a grant number that names nothing. Every action is in the audit log.

The hub is shared by the whole e2e session: the membership added here is a fresh person's,
the population has a fresh name, the extracts granted (bef to heart; ind to diabetes, at
once withdrawn) are new, and so is the sub-project of labour-pdb, whose one extract its own
manager withdraws again.
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
from labgate.services import people, projects
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


def grant_in_force(api: Api, pdb: str, grant_id: int) -> bool:
    """Whether the grant is in force, as its project database's manager reads it."""
    r = api.get(f"api/pdb/{pdb}")
    assert r.status_code == 200, r.text
    found = [g for sub in r.json()["subprojects"] for g in sub["extracts"] if g["id"] == grant_id]
    found += [g for g in r.json()["holds"] if g["id"] == grant_id]
    return bool(found) and bool(found[0]["in_force"])


@pytest.mark.requirement("PROJ-5")
@pytest.mark.requirement("LOG-1")
def test_the_manager_withdraws_an_extract_from_the_page_with_a_reason(
    hub: Hub, page: Any, manager_api: Api
) -> None:
    granted = manager_api.post(
        f"api/pdb/{PDB}/extracts",
        {"subproject": "diabetes", "dataset": "ind", "variables": ["pnr", "year", "disposable"],
         "years": [2022]},
    )  # fmt: skip
    assert granted.status_code == 201, granted.text
    grant_id = granted.json()["id"]
    log_in(page, hub, MANAGER)
    page.goto(f"{hub.url}{SERVICE}manage/{PDB}")
    row = page.locator(
        f".subproject[data-subproject=diabetes] .extracts tr[data-grant='{grant_id}']"
    )
    assert row.get_attribute("class") == "in-force"
    # A reason of blanks is no reason: refused with the service's sentence, nothing changes.
    row.locator("input[name=reason]").fill("   ")
    row.locator("form.withdraw-extract button").click()
    page.wait_for_selector("#error")
    assert "why" in page.locator("#error").inner_text()
    assert row.get_attribute("class") == "in-force"
    reason = "The sub-project's approval does not cover disposable income."
    row.locator("input[name=reason]").fill(reason)
    row.locator("form.withdraw-extract button").click()
    page.wait_for_selector("#flash")
    assert "withdrawn" in page.locator("#flash").inner_text()
    assert row.get_attribute("class") == "withdrawn"
    state = row.locator(".state").inner_text()
    assert state.startswith("withdrawn") and state.endswith(f"by {MANAGER}"), state
    assert row.locator("form.withdraw-extract").count() == 0
    assert not grant_in_force(manager_api, PDB, grant_id)
    # LOG-1: the refusal and the withdrawal, manager1 the actor of both, the reason kept.
    withdrawals = [
        (e.outcome, json.loads(e.detail))
        for e in events(hub, actor=MANAGER, type="grant.withdraw")
        if e.object_id == str(grant_id) or json.loads(e.detail).get("grant") == grant_id
    ]
    assert withdrawals == [
        ("denied", {"reason": "missing-reason"}),
        ("ok", {"grant": grant_id, "reason": reason}),
    ]
    # Withdrawn is withdrawn: a second withdrawal names nothing.
    again = manager_api.post(f"api/pdb/{PDB}/extracts/{grant_id}/withdraw", {"reason": "again"})
    assert again.status_code == 404 and again.json()["reason"] == "not-found", again.text


@pytest.fixture(scope="module")
def labour_extract(hub: Hub) -> int:
    """An extract of a fresh sub-project of labour-pdb, granted by its manager, manager3."""
    code = f"e2e-labour-{secrets.token_hex(3)}"
    today = clock.now().date()
    setup = Actor(name="e2e-setup", kind="system", institution="")
    with Database(hub.db_url).session() as s:
        projects.create_project(
            s, setup, code=code, title="Labour market extract test", scheme="sub_project",
            owner_code="ministry", parent_code="labour-pdb", purpose="Test extracts.",
            legal_basis_art6="6(1)(e)", starts_on=today - dt.timedelta(days=1),
            access_ends_on=today + dt.timedelta(days=365), dpia_reference="DPIA-E2E",
        )  # fmt: skip
    manager3 = api_for(hub, "manager3")
    r = manager3.post(
        "api/pdb/labour-pdb/extracts",
        {"subproject": code, "dataset": "ind", "variables": ["pnr", "year", "wage"],
         "years": [2022]},
    )  # fmt: skip
    assert r.status_code == 201, r.text
    grant_id: int = r.json()["id"]
    return grant_id


@pytest.mark.requirement("PROJ-4")
def test_a_manager_cannot_withdraw_another_project_databases_extract_nor_the_main_grant(
    hub: Hub, page: Any, manager_api: Api, labour_extract: int
) -> None:
    r = manager_api.get(f"api/pdb/{PDB}")
    own = r.json()["holds"][0]["id"]  # health-pdb's own grant: the steward's to withdraw
    body = {"reason": "Not mine to withdraw."}
    nothing = manager_api.post(f"api/pdb/{PDB}/extracts/999999/withdraw", body)
    assert nothing.status_code == 404, nothing.text
    assert nothing.json()["reason"] == "not-found"
    nowhere = manager_api.post("api/pdb/zz-none/extracts/999999/withdraw", body)
    assert nowhere.status_code == 404, nowhere.text
    tries = {
        f"api/pdb/{PDB}/extracts/{labour_extract}/withdraw": nothing,
        f"api/pdb/{PDB}/extracts/{own}/withdraw": nothing,
        f"api/pdb/labour-pdb/extracts/{labour_extract}/withdraw": nowhere,
    }
    for path, twin in tries.items():
        got = manager_api.post(path, body)
        assert (got.status_code, got.content) == (twin.status_code, twin.content), (path, got.text)
        assert got.headers["Content-Type"] == twin.headers["Content-Type"]
    # The page's form, posted with the page's XSRF token, answers as about nothing too.
    log_in(page, hub, MANAGER)
    page.goto(f"{hub.url}{SERVICE}manage/{PDB}")
    xsrf = page.locator("input[name=_xsrf]").first.get_attribute("value")

    def post_form(number: int) -> tuple[int, str]:
        url = f"{hub.url}{SERVICE}manage/{PDB}/extracts/{number}/withdraw"
        answer = page.request.post(url, form={"_xsrf": xsrf, "reason": body["reason"]})
        return answer.status, answer.text().split('id="error-message">')[-1].split("</p>")[0]

    missing = post_form(999999)
    assert missing[0] == 404 and "No such grant" in missing[1], missing
    assert post_form(labour_extract) == missing
    assert post_form(own) == missing
    # Nothing changed, and nothing reached the service.
    manager3 = api_for(hub, "manager3")
    assert grant_in_force(manager3, "labour-pdb", labour_extract)
    assert grant_in_force(manager_api, PDB, own)
    touched = [
        e for e in events(hub, actor=MANAGER, type="grant.withdraw")
        if e.object_id in {str(labour_extract), str(own)}
        or json.loads(e.detail).get("grant") in {labour_extract, own}
    ]  # fmt: skip
    assert not touched
    # The extract's own manager may: the refusal was about who asks, not the route.
    done = manager3.post(f"api/pdb/labour-pdb/extracts/{labour_extract}/withdraw", body)
    assert done.status_code == 200, done.text
    assert done.json()["withdrawn_by"] == "manager3"


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
    # populations of health-pdb only: fuzzed memberships and extracts (granted or
    # withdrawn) would change the shared demo world.
    anywhere = tmp_path / "anywhere.toml"
    anywhere.write_text("")
    health = tmp_path / "health.toml"
    health.write_text(f'[parameters]\n"path.code" = "{PDB}"\n')
    as_rita = fuzz(hub, "rita", anywhere)
    assert as_rita.returncode == 0, as_rita.stdout[-4000:]
    as_manager = fuzz(
        hub, MANAGER, health, "--exclude-path-regex", "(members|end|extracts|withdraw)$"
    )
    assert as_manager.returncode == 0, as_manager.stdout[-4000:]
