"""The data steward's pages and API (issue 5), on the real hub: datasets and their flags,
a grant made with the variable and year pickers (refused without the justification DATA-5
asks for), materialised as a job with progress, withdrawn; all in the audit log. A
researcher reads "not found" everywhere here, a job is its owner's only, and a dataset title
with HTML is shown as text.

The hub is shared by the whole e2e session: the grants made here are new ones (to the
project `mobility`, which holds nothing of `bef` in the demo world), and only they are
withdrawn.
"""

from __future__ import annotations

import secrets
import time
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from labgate.audit.log import Actor
from labgate.audit.search import search
from labgate.datastore.registry import register_dataset
from labgate.db import Database
from labgate.services.datasets import VariableSpec
from tests.e2e.api import SERVICE, Api, api_for, hub_session
from tests.e2e.conftest import Hub, log_in

pytestmark = [pytest.mark.hub, pytest.mark.browser, pytest.mark.slapd]

STEWARD = "steward"
JUSTIFICATION = "Exact age at each move is needed to model moves around retirement."


def events(hub: Hub, **filters: Any) -> list[Any]:
    with Database(hub.db_url).read_session() as s:
        return search(s, **filters)


def bef_grants_in_force(api: Api, project: str) -> list[dict[str, Any]]:
    r = api.get("api/grants", params={"project": project})
    assert r.status_code == 200, r.text
    return [g for g in r.json() if g["dataset"] == "bef" and g["in_force"]]


def wait_for_job(api: Api, job_id: str, seconds: float = 120) -> dict[str, Any]:
    deadline = time.monotonic() + seconds
    while True:
        r = api.get(f"api/jobs/{job_id}")
        assert r.status_code == 200, r.text
        job: dict[str, Any] = r.json()
        if job["state"] in ("done", "failed") or time.monotonic() > deadline:
            return job
        time.sleep(0.3)


def test_the_steward_sees_the_datasets_and_the_flags_of_their_variables(
    hub: Hub, page: Any
) -> None:
    log_in(page, hub, STEWARD)
    page.goto(hub.url + SERVICE)
    page.click("#nav-steward")
    page.wait_for_selector("#datasets")
    codes = page.locator("#datasets tbody tr").evaluate_all(
        "rows => rows.map(r => r.dataset.dataset)"
    )
    assert {"bef", "ind", "udda"} <= set(codes)
    bef = page.locator("#datasets tr[data-dataset=bef]")
    assert bef.locator(".identifying").inner_text() == "birth_date, postcode"
    assert bef.locator(".years").inner_text() == "2019\u20132023"
    bef.locator("a").click()
    page.wait_for_selector("#variables")
    flags = {
        name: page.locator(f"#variables tr[data-variable={name}] .flag").evaluate_all(
            "els => els.map(e => e.dataset.flag)"
        )
        for name in ("pnr", "year", "birth_date", "sex", "postcode", "protected")
    }
    assert flags == {
        "pnr": ["identifier"],
        "year": ["year"],
        "birth_date": ["identifying"],
        "sex": [],
        "postcode": ["identifying"],
        "protected": ["protection_marker"],
    }
    assert page.locator("#dataset .years").inner_text() == "2019, 2020, 2021, 2022, 2023"


@pytest.mark.requirement("DATA-4")
@pytest.mark.requirement("DATA-5")
@pytest.mark.requirement("LOG-1")
def test_a_grant_made_with_the_pickers_needs_a_justification_then_materialises_with_progress(
    hub: Hub, page: Any
) -> None:
    api = api_for(hub, STEWARD)
    assert bef_grants_in_force(api, "mobility") == [], "mobility must not hold bef yet"
    log_in(page, hub, STEWARD)
    page.goto(hub.url + SERVICE + "steward/grants/new")
    page.select_option("#choose-project", "mobility")
    page.select_option("#choose-dataset", "bef")
    page.click("#choose-submit")
    page.wait_for_selector("#grant-form")
    # The pickers are the dataset's own variables and years.
    names = page.locator("#variables input").evaluate_all("els => els.map(e => e.value)")
    assert names == ["pnr", "year", "birth_date", "sex", "kom", "postcode", "protected"]
    years = page.locator("#years input").evaluate_all("els => els.map(e => e.value)")
    assert years == ["2019", "2020", "2021", "2022", "2023"]
    for name in ("pnr", "year", "sex", "birth_date"):
        page.check(f"#var-{name}")
    page.check("#year-2022")
    page.check("#year-2023")
    page.click("#grant-submit")

    # Refused with the policy's own sentence; the choices are kept, nothing was granted.
    error = page.locator("#error").inner_text()
    assert "Particularly identifying variables (birth_date)" in error
    assert "written justification" in error
    assert page.is_checked("#var-birth_date") and page.is_checked("#year-2023")
    assert bef_grants_in_force(api, "mobility") == []
    refused = events(hub, type="grant.create", object_id="mobility", outcome="denied")
    assert refused[-1].actor == STEWARD
    assert refused[-1].details["reason"] == "justification-required"

    page.fill("#justification", JUSTIFICATION)
    page.click("#grant-submit")
    page.wait_for_selector("#flash")
    assert page.locator("#flash").inner_text() == "The grant was created."
    grant_id = int(page.locator("#grant").get_attribute("data-grant"))
    assert page.locator("#grant .variables").inner_text() == "birth_date, pnr, sex, year"
    assert page.locator("#grant .years").inner_text() == "2022, 2023"
    assert page.locator("#grant .justification").inner_text() == JUSTIFICATION

    # Materialising is a job: the page polls it until done and shows the row count.
    page.click("#materialise")
    page.wait_for_selector("#job")
    page.wait_for_selector("#job-state[data-state=done]", timeout=120_000)
    rows = int(page.locator("#job-state").get_attribute("data-rows"))
    assert rows > 0
    assert page.locator("#job-state").inner_text() == f"Done: {rows} rows in mobility's data."
    assert page.locator("#job-bar").get_attribute("aria-valuenow") == "100"
    assert page.locator("#grant .state").inner_text() == "in force, materialised just now"
    assert (hub.store.dataset_dir("mobility", "bef") / "part-0.parquet").is_file()

    # Withdrawing needs a reason; then it is withdrawn.
    page.goto(hub.url + SERVICE + f"steward/grants/{grant_id}")
    page.click("#withdraw")
    assert page.locator("#error").inner_text() == "Write the reason."
    page.fill("#reason", "The project no longer studies moves around retirement.")
    page.click("#withdraw")
    page.wait_for_selector("#flash")
    assert page.locator("#flash").inner_text() == "The grant was withdrawn."
    assert page.locator("#grant .state").inner_text().startswith("withdrawn")
    assert page.locator("#withdraw").count() == 0

    # Every step is in the audit log, by the steward.
    created = events(hub, type="grant.create", object_id="mobility", actor=STEWARD, outcome="ok")
    assert [e.details["grant"] for e in created if e.details["grant"] == grant_id] == [grant_id]
    mine = next(e for e in created if e.details["grant"] == grant_id)
    assert mine.details["justification"] == JUSTIFICATION
    materialised = events(hub, type="data.materialise", object_id="mobility", actor=STEWARD)
    assert any(e.details["grant"] == grant_id and e.details["rows"] == rows for e in materialised)
    withdrawn = events(hub, type="grant.withdraw", object_id="mobility", actor=STEWARD)
    assert any(e.details["grant"] == grant_id for e in withdrawn)


@pytest.mark.requirement("DATA-5")
def test_the_api_grants_refuses_with_sentences_withdraws_and_runs_jobs_for_their_owner(
    hub: Hub,
) -> None:
    api = api_for(hub, STEWARD)
    r = api.get("api/datasets")
    assert r.status_code == 200, r.text
    assert {"bef", "ind", "udda"} <= {d["code"] for d in r.json()}
    bef = api.get("api/datasets/bef").json()
    assert [v["name"] for v in bef["variables"] if v["identifying"]] == ["birth_date", "postcode"]

    request = {"project": "mobility", "dataset": "bef", "variables": ["pnr", "postcode"],
               "years": [2019]}  # fmt: skip
    r = api.post("api/grants", request)
    assert r.status_code == 400, r.text
    assert r.json()["reason"] == "justification-required"
    assert "Particularly identifying variables (postcode)" in r.json()["message"]
    bad_requests = [
        {**request, "years": "2019"},
        {**request, "variables": [1]},
        {**request, "project": "<b>"},
        {**request, "justification": "a\x00b" * 10},
    ]
    for bad in bad_requests:
        r = api.post("api/grants", bad)
        assert r.status_code == 400, r.text
        assert r.json()["message"].endswith(".")
    assert api.post("api/grants", {**request, "project": "no-such"}).status_code == 404

    r = api.post("api/grants", {**request, "variables": ["pnr", "kom"]})
    assert r.status_code == 201, r.text
    grant = r.json()
    assert grant["variables"] == ["kom", "pnr"] and grant["years"] == [2019]
    assert api.get(f"api/grants/{grant['id']}").json()["in_force"] is True

    assert api.post(f"api/grants/{grant['id']}/withdraw", {"reason": " "}).status_code == 400
    r = api.post(f"api/grants/{grant['id']}/withdraw", {"reason": "Granted by mistake."})
    assert r.status_code == 200, r.text
    assert r.json()["in_force"] is False
    r = api.post(f"api/grants/{grant['id']}/withdraw", {"reason": "Again."})
    assert r.status_code == 409
    assert r.json()["reason"] == "already-withdrawn"
    assert api.post(f"api/grants/{grant['id']}/materialise").status_code == 409
    assert api.get("api/grants/99999999999999999999").status_code == 404

    # A job is its owner's: materialising a demo grant again (already complete: no change).
    ind = next(g for g in api.get("api/grants", params={"project": "mobility"}).json()
               if g["dataset"] == "ind" and g["in_force"])  # fmt: skip
    r = api.post(f"api/grants/{ind['id']}/materialise")
    assert r.status_code == 202, r.text
    job = r.json()
    assert r.headers["Location"] == f"{SERVICE}api/jobs/{job['id']}"
    done = wait_for_job(api, job["id"])
    assert done["state"] == "done", done
    assert done["steps_done"] == done["steps_total"]
    assert done["result"]["rows"] > 0 and done["result"]["written"] is False
    for other in ("admin", "rita"):
        r = api_for(hub, other).get(f"api/jobs/{job['id']}")
        assert r.status_code == 404, r.text
        assert r.json()["reason"] == "not-found"


@pytest.mark.requirement("AUTH-2")
def test_a_researcher_reads_not_found_on_the_steward_pages_and_api(hub: Hub, page: Any) -> None:
    log_in(page, hub, "rita")
    page.goto(hub.url + SERVICE)
    assert page.locator("#nav-steward").count() == 0
    for path in ("steward", "steward/datasets/bef", "steward/grants", "steward/grants/new",
                 "steward/grants/1"):  # fmt: skip
        response = page.goto(hub.url + SERVICE + path)
        assert response.status == 404, path
        assert "No such page" in page.content()
    api = api_for(hub, "rita")
    for path in ("api/datasets", "api/datasets/bef", "api/grants", "api/grants/1",
                 "api/jobs/" + "a" * 24):  # fmt: skip
        r = api.get(path)
        assert r.status_code == 404, (path, r.text)
    request = {"project": "mobility", "dataset": "bef", "variables": ["pnr", "sex"],
               "years": [2022]}  # fmt: skip
    assert api.post("api/grants", request).status_code == 404
    assert api.post("api/grants/1/withdraw", {"reason": "Mine now."}).status_code == 404
    assert api.post("api/grants/1/materialise").status_code == 404
    # An admin reads datasets (datasets:read) only as a steward: no steward role, no page.
    assert api_for(hub, "admin").get("api/datasets").status_code == 404


def test_a_dataset_title_with_html_is_shown_as_text(hub: Hub, page: Any, tmp_path: Path) -> None:
    title = "<img src=x onerror=alert(1)>"
    code = "xss-" + secrets.token_hex(4)
    data = tmp_path / "xss.parquet"
    pq.write_table(
        pa.table(
            {
                "pnr": ["0101001234"],
                "year": pa.array([2022], pa.int64()),
                "x": pa.array([1], pa.int64()),
            }
        ),
        data,
    )
    register_dataset(
        Database(hub.db_url), hub.store, Actor("e2e-test", "system", ""), code=code, path=data,
        title=title, variables=[VariableSpec("pnr", "string", is_identifier=True),
                                VariableSpec("year", "int", is_year=True),
                                VariableSpec("x", "int")],
    )  # fmt: skip
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    log_in(page, hub, STEWARD)
    page.goto(hub.url + SERVICE + "steward")
    row = page.locator(f"#datasets tr[data-dataset={code}]")
    assert row.locator(".title").inner_text() == title
    assert page.locator("#datasets img").count() == 0
    page.goto(hub.url + SERVICE + f"steward/datasets/{code}")
    assert page.locator("#dataset .title").inner_text() == title
    page.goto(hub.url + SERVICE + f"steward/grants/new?project=mobility&dataset={code}")
    assert page.locator("#grant-form").count() == 1
    assert page.locator("img[src=x]").count() == 0
    assert dialogs == []


def test_forms_and_api_refuse_a_cookie_request_without_the_xsrf_token(hub: Hub) -> None:
    session = hub_session(hub, STEWARD)
    r = session.get(hub.url + SERVICE + "steward", timeout=60)  # through the hub's OAuth
    assert r.status_code == 200 and 'id="datasets"' in r.text
    form = {"project": "mobility", "dataset": "bef", "variable": ["pnr", "kom"], "year": "2020"}
    for headers in ({}, {"Sec-Fetch-Mode": "no-cors", "Sec-Fetch-Site": "same-origin"}):
        r = session.post(
            hub.url + SERVICE + "steward/grants", data=form, headers=headers, timeout=60,
            allow_redirects=False,
        )  # fmt: skip
        assert r.status_code == 403, r.text[:300]
        r = session.post(
            hub.url + SERVICE + "api/grants", headers=headers, timeout=60, allow_redirects=False,
            json={"project": "mobility", "dataset": "bef", "variables": ["pnr", "kom"],
                  "years": [2020]},
        )  # fmt: skip
        assert r.status_code == 403, r.text[:300]
    assert 2020 not in {y for g in bef_grants_in_force(api_for(hub, STEWARD), "mobility")
                        for y in g["years"]}  # fmt: skip
