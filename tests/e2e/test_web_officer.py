"""The security officer's pages and API (issue 5), on the real hub: the log searched by
user and type and downloaded as CSV, transaction statistics with their SVG chart, the
quarterly control's overdue banner gone after the sign-off, an ad-hoc control of rita, and
the chain's verification; each of these is itself in the log. officer (uni) and officer2
(ministry) never see each other's institution, rita reads "not found" everywhere here, and
a malformed filter is a 400 with a sentence.

The hub is shared by the whole e2e session: to make uni's quarterly control overdue, its
registration (and any earlier quarterly sign-off of it) is moved four months back for one
test, which signs the control off, and then put back.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, update

from labgate.audit.search import search
from labgate.db import Database
from labgate.model import Institution, Review
from tests.e2e.api import SERVICE, api_for, api_token, hub_session
from tests.e2e.conftest import Hub, log_in

pytestmark = [pytest.mark.hub, pytest.mark.browser, pytest.mark.slapd]

OFFICER = "officer"
OFFICER2 = "officer2"


def events(hub: Hub, **filters: Any) -> list[Any]:
    with Database(hub.db_url).read_session() as s:
        return search(s, **filters)


def open_audit(page: Any, hub: Hub, username: str = OFFICER) -> None:
    log_in(page, hub, username)
    page.goto(hub.url + SERVICE)
    page.click("#nav-officer")
    page.wait_for_selector("#search-form")


@pytest.mark.requirement("LOG-3")
@pytest.mark.requirement("LOG-1")
def test_the_officer_searches_the_log_by_user_and_type_and_downloads_it_as_csv(
    hub: Hub, page: Any, tmp_path: Path
) -> None:
    hub_session(hub, "rita")  # rita logs in: a `login` event of uni
    open_audit(page, hub)
    page.fill("#f-user", "rita")
    page.select_option("#f-type", "login")
    page.click("#search")
    page.wait_for_selector("#events")
    rows = page.locator("#events tbody tr[data-seq]")
    assert rows.count() >= 1
    assert set(rows.evaluate_all("rs => rs.map(r => r.dataset.actor)")) == {"rita"}
    assert set(rows.evaluate_all("rs => rs.map(r => r.dataset.type)")) == {"login"}
    assert set(rows.evaluate_all("rs => rs.map(r => r.dataset.institution)")) == {"uni"}

    with page.expect_download() as info:
        page.click("#csv-download")
    target = tmp_path / "events.csv"
    info.value.save_as(target)
    table = list(csv.DictReader(io.StringIO(target.read_text())))
    assert len(table) == rows.count()
    assert {r["actor"] for r in table} == {"rita"}
    assert {r["type"] for r in table} == {"login"}
    assert {"seq", "time", "hash", "prev_hash"} <= set(table[0])

    searches = events(hub, actor=OFFICER, type="audit.search")
    assert any(e.details.get("actor") == "rita" for e in searches)
    assert events(hub, actor=OFFICER, type="audit.export")


@pytest.mark.requirement("LOG-4")
def test_the_officer_sees_transaction_statistics_as_a_table_and_a_chart(
    hub: Hub, page: Any
) -> None:
    open_audit(page, hub)
    page.click("#tab-stats")
    page.wait_for_selector("#stats")
    assert page.locator("#stats tbody tr[data-user=officer][data-type=login]").count() == 1
    chart = page.locator("svg#stats-chart")
    assert chart.count() == 1
    bar = chart.locator("g.bar-row[data-user=officer] rect.bar")
    assert float(bar.get_attribute("width") or 0) > 0
    users = set(page.locator("#stats tbody tr[data-user]").evaluate_all(
        "rs => rs.map(r => r.dataset.user)"))  # fmt: skip
    assert not users & {"officer2", "ola", "manager3"}, users  # ministry's people
    assert events(hub, actor=OFFICER, type="audit.stats")


@pytest.mark.requirement("LOG-5")
def test_an_overdue_quarterly_control_shows_a_banner_until_it_is_signed_off(
    hub: Hub, page: Any
) -> None:
    with uni_overdue(hub):
        sign_off_the_overdue_control(hub, page)


@contextmanager
def uni_overdue(hub: Hub) -> Iterator[None]:
    """uni registered (and any quarterly control of it signed) 125 days ago; then restored."""
    long_ago = dt.datetime.now(dt.UTC) - dt.timedelta(days=125)
    db = Database(hub.db_url)
    with db.session() as s:
        uni = s.scalar(select(Institution).where(Institution.code == "uni"))
        assert uni is not None
        created, uni.created_at = uni.created_at, long_ago
        signed = {
            r.id: r.signed_off_at
            for r in s.scalars(
                select(Review).where(Review.institution_id == uni.id, Review.kind == "quarterly")
            )
        }
        s.execute(update(Review).where(Review.id.in_(signed)).values(signed_off_at=long_ago))
    try:
        yield
    finally:
        with db.session() as s:
            s.execute(
                update(Institution).where(Institution.code == "uni").values(created_at=created)
            )
            for review_id, at in signed.items():
                s.execute(update(Review).where(Review.id == review_id).values(signed_off_at=at))


def sign_off_the_overdue_control(hub: Hub, page: Any) -> None:
    open_audit(page, hub)
    assert page.locator("#overdue-banner").is_visible()
    api = api_for(hub, OFFICER)
    assert api.get("api/audit/reviews").json()["overdue"] is True

    page.click("#tab-reviews")
    page.click("#build-report")
    page.wait_for_selector("#report[data-kind=quarterly]")
    assert page.locator("#report-authorisations tr[data-subject=rita]").count() >= 1
    page.fill("#findings", "Authorisations match the case files; no misuse found.")
    page.click("#sign-off")
    page.wait_for_selector("#flash")
    assert page.locator("#overdue-banner").count() == 0
    assert page.locator("#review-ok").is_visible()
    row = page.locator("#reviews tbody tr[data-kind=quarterly]").first
    assert "no misuse found" in row.locator(".findings").inner_text()
    assert api.get("api/audit/reviews").json()["overdue"] is False
    assert events(hub, actor=OFFICER, type="review.signoff")

    row.locator("a").first.click()
    page.wait_for_selector("#review[data-kind=quarterly]")
    assert page.locator("#review").get_attribute("data-intact") == "yes"
    assert "no misuse found" in page.locator("#review-findings").inner_text()
    number = page.url.rsplit("/", 1)[1]
    stored = api.get(f"api/audit/reviews/{number}").json()
    assert stored["report_intact"] is True and stored["report"]["institution"]["code"] == "uni"
    assert api_for(hub, OFFICER2).get(f"api/audit/reviews/{number}").status_code == 404
    assert api_for(hub, "rita").get(f"api/audit/reviews/{number}").status_code == 404
    assert api.get("api/audit/reviews/99999999").status_code == 404
    assert api.get("api/audit/reviews/abc").status_code == 404


@pytest.mark.requirement("LOG-6")
def test_the_officer_runs_an_ad_hoc_control_of_rita(hub: Hub, page: Any) -> None:
    hub_session(hub, "rita")
    open_audit(page, hub)
    page.click("#tab-adhoc")
    page.fill("#a-user", "rita")
    page.click("#run-adhoc")
    page.wait_for_selector("#report[data-kind=adhoc]")
    assert page.locator("#report-events tr[data-type=login]").count() >= 1
    page.fill("#adhoc-findings", "Checked after a report of unusual activity: nothing found.")
    page.click("#adhoc-sign-off")
    page.wait_for_selector("#flash")
    assert page.locator("#reviews tbody tr[data-kind=adhoc][data-subject=rita]").count() >= 1
    signed = events(hub, actor=OFFICER, type="review.adhoc")
    assert any(e.object_id == "rita" for e in signed)

    report = api_for(hub, OFFICER).get("api/audit/adhoc/rita")
    assert report.status_code == 200, report.text
    assert report.json()["subject"] == "rita"
    assert {e["actor"] for e in report.json()["events"]} == {"rita"}


@pytest.mark.requirement("LOG-2")
def test_the_officer_verifies_the_chain_and_sees_the_result(hub: Hub, page: Any) -> None:
    open_audit(page, hub)
    page.click("#tab-verification")
    page.click("#verify")
    page.wait_for_selector("#flash")
    assert page.locator("#verification").get_attribute("data-intact") == "yes"
    done = events(hub, actor=OFFICER, type="audit.verify")
    assert done and done[-1].outcome == "ok"
    last = api_for(hub, OFFICER).get("api/audit/verification").json()["last"]
    assert last["intact"] is True and last["seq"] == done[-1].seq
    again = api_for(hub, OFFICER).post("api/audit/verification")
    assert again.status_code == 200, again.text
    assert again.json()["last"]["seq"] > done[-1].seq


@pytest.mark.requirement("AUTH-2")
def test_officer2_never_sees_uni(hub: Hub, page: Any) -> None:
    hub_session(hub, "rita")
    api = api_for(hub, OFFICER2)
    found = api.get("api/audit/events", params={"limit": "500"})
    assert found.status_code == 200, found.text
    assert {e["institution"] for e in found.json()} <= {"ministry"}
    assert api.get("api/audit/events", params={"user": "rita"}).json() == []
    for path in ("api/audit/events", "api/audit/stats", "api/audit/reviews", "api/audit/report"):
        r = api.get(path, params={"institution": "uni"})
        assert r.status_code == 404, (path, r.text)
    assert api.get("api/audit/adhoc/rita").status_code == 404
    stats = api.get("api/audit/stats").json()
    assert not {r["user"] for r in stats["rows"]} & {"rita", "officer", "sam"}
    refused = api.post("api/audit/reviews", {"institution": "uni", "findings": "x"})
    assert refused.status_code == 404

    open_audit(page, hub, OFFICER2)
    page.goto(hub.url + SERVICE + "audit?run=1&user=rita")
    assert page.locator("#events tbody tr[data-seq]").count() == 0
    r = page.goto(hub.url + SERVICE + "audit?institution=uni")
    assert r is not None and r.status == 404


@pytest.mark.requirement("AUTH-2")
def test_a_researcher_reads_not_found_everywhere_here(hub: Hub, page: Any) -> None:
    api = api_for(hub, "rita")
    for path in (
        "api/audit/events", "api/audit/events?format=csv", "api/audit/stats",
        "api/audit/reviews", "api/audit/report", "api/audit/adhoc/rita",
        "api/audit/verification",
    ):  # fmt: skip
        r = api.get(path)
        assert r.status_code == 404, (path, r.text)
    for path in ("api/audit/reviews", "api/audit/adhoc/rita", "api/audit/verification"):
        assert api.post(path, {"findings": "x"}).status_code == 404, path
    log_in(page, hub, "rita")
    for path in ("audit", "audit/stats", "audit/reviews", "audit/adhoc", "audit/verification"):
        r = page.goto(hub.url + SERVICE + path)
        assert r is not None and r.status == 404, path
    assert page.locator("#nav-officer").count() == 0


@pytest.mark.requirement("LOG-3")
def test_malformed_filters_are_refused_with_a_sentence_and_change_nothing(
    hub: Hub, page: Any
) -> None:
    api = api_for(hub, OFFICER)
    cases = {
        "since=2026-13-45": "not a date or time",
        "since=2026-11-20&until=2026-11-01": "ends before it starts",
        "type=no.such.type": "Unknown transaction type",
        "limit=0": "whole number",
        "outcome=maybe": "ok, denied or failed",
        "after=abc": "whole number",
        "format=xml": "json or csv",
    }
    for query, sentence in cases.items():
        r = api.get("api/audit/events?" + query)
        assert r.status_code == 400, (query, r.text)
        assert sentence in r.json()["message"], (query, r.json())
    r = api.get("api/audit/stats?since=yesterday")
    assert r.status_code == 400 and "ISO 8601" in r.json()["message"]
    before = len(api.get("api/audit/reviews").json()["reviews"])
    r = api.post("api/audit/reviews", {"findings": "  "})
    assert r.status_code == 400 and "findings" in r.json()["message"]
    r = api.post(
        "api/audit/reviews", {"findings": "ok", "since": "2026-11-20", "until": "2026-11-01"}
    )
    assert r.status_code == 400, r.text
    assert len(api.get("api/audit/reviews").json()["reviews"]) == before

    open_audit(page, hub)
    page.fill("#f-since", "last tuesday")
    with page.expect_navigation() as nav:
        page.click("#search")
    assert nav.value.status == 400
    assert "not a date or time" in page.locator("#error").inner_text()


def fuzz(
    hub: Hub, username: str, config: Path, *selection: str
) -> subprocess.CompletedProcess[str]:
    """schemathesis over the officer's routes of the served OpenAPI description."""
    command = [
        str(Path(sys.executable).parent / "schemathesis"), "--config-file", str(config), "run",
        f"{hub.url}{SERVICE}api/openapi.json", "--url", hub.url + SERVICE.rstrip("/"),
        "-H", f"Authorization: token {api_token(hub, username)}",
        "--checks", "not_a_server_error,response_schema_conformance",
        "--max-examples", "25", "--include-path-regex", "^/api/audit", *selection,
    ]  # fmt: skip
    return subprocess.run(command, capture_output=True, text=True, timeout=600, check=False)


def test_schemathesis_finds_no_server_error_in_the_officer_api(hub: Hub, tmp_path: Path) -> None:
    # Every route as a researcher (all "not found"); as the officer, the reads only:
    # fuzzed sign-offs would fill the shared demo world with controls.
    config = tmp_path / "officer.toml"
    config.write_text('[parameters]\n"path.username" = "rita"\n')
    as_rita = fuzz(hub, "rita", config)
    print(as_rita.stdout[-2500:])
    assert as_rita.returncode == 0, as_rita.stdout[-4000:]
    as_officer = fuzz(hub, OFFICER, config, "--exclude-method", "POST")
    print(as_officer.stdout[-2500:])
    assert as_officer.returncode == 0, as_officer.stdout[-4000:]


@pytest.mark.requirement("LOG-3")
def test_the_log_is_paged_by_the_last_event_of_a_page(hub: Hub) -> None:
    api = api_for(hub, OFFICER)
    for _ in range(4):  # each reading of the statistics is an event of uni
        assert api.get("api/audit/stats").status_code == 200
    first = api.get("api/audit/events", params={"limit": "3"}).json()
    assert len(first) == 3
    second = api.get("api/audit/events", params={"limit": "3", "after": str(first[-1]["seq"])})
    assert second.status_code == 200, second.text
    assert second.json() and second.json()[0]["seq"] > first[-1]["seq"]
    both = api.get("api/audit/events", params={"limit": "6"}).json()
    assert [e["seq"] for e in both] == [e["seq"] for e in first + second.json()][: len(both)]


def test_what_the_officer_typed_is_shown_as_text(hub: Hub, page: Any) -> None:
    open_audit(page, hub)
    attack = '"><img src=x id=injected onerror="document.title=1">'
    since = (dt.datetime.now(dt.UTC) - dt.timedelta(seconds=2)).strftime("%Y-%m-%dT%H:%M:%S")
    page.fill("#f-object", attack)
    page.click("#search")
    page.wait_for_selector("#events")
    assert page.locator("#injected").count() == 0
    assert page.input_value("#f-object") == attack
    # The search's own event (with the filter in its detail) is shown as text too.
    page.goto(hub.url + SERVICE + f"audit?run=1&type=audit.search&user=officer&since={since}")
    assert page.locator("#injected").count() == 0
    assert page.locator("#events td.detail", has_text="onerror").count() >= 1


@pytest.mark.requirement("LOG-1")
@pytest.mark.requirement("LOG-3")
def test_a_refused_control_is_logged_and_its_csv_export_cannot_run_a_formula(hub: Hub) -> None:
    api = api_for(hub, OFFICER)
    formula = "=HYPERLINK(1)"
    refused = api.post(f"api/audit/adhoc/{formula}", {"findings": "Suspected misuse."})
    assert refused.status_code == 404, refused.text
    params = {"type": "review.adhoc", "outcome": "denied", "object_id": formula}
    found = api.get("api/audit/events", params=params).json()
    assert found and found[-1]["actor"] == OFFICER and found[-1]["institution"] == "uni"
    exported = api.get("api/audit/events", params={**params, "format": "csv"})
    assert exported.status_code == 200, exported.text
    assert exported.headers["Content-Type"].startswith("text/csv")
    assert "attachment" in exported.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(exported.text)))
    assert rows and {r["object_id"] for r in rows} == {"'" + formula}
