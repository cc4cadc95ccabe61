"""The labgate service's researcher page and `api/me` (issue 5): my projects, days left,
what each holds, and the button that opens the workspace."""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.api import SERVICE, api_for
from tests.e2e.conftest import Hub, log_in

pytestmark = [pytest.mark.hub, pytest.mark.browser, pytest.mark.slapd]


@pytest.mark.requirement("WS-1")
def test_the_researcher_page_lists_only_my_projects_with_days_left_and_grants(
    hub: Hub, page: Any
) -> None:
    log_in(page, hub, "rita")
    page.goto(hub.url + SERVICE)
    page.wait_for_selector("section.project")
    codes = page.locator("section.project").evaluate_all("els => els.map(e => e.dataset.project)")
    assert codes == ["diabetes", "mobility"]
    diabetes = page.locator("section[data-project=diabetes]")
    assert "days left" in diabetes.locator(".days-left").inner_text()
    assert diabetes.locator("tr[data-dataset=bef] .variables").inner_text() == "kom, pnr, sex, year"
    href = diabetes.locator("a.open-workspace").get_attribute("href")
    assert href == "/hub/spawn/rita/diabetes"
    # The page is the hub's own page (its navigation bar and stylesheet).
    assert page.locator("#jupyterhub-logo").count() == 1


@pytest.mark.requirement("WS-1")
def test_api_me_answers_with_a_token_and_lists_the_same_projects(hub: Hub) -> None:
    api = api_for(hub, "rita")
    r = api.get("api/me")
    assert r.status_code == 200, r.text
    me = r.json()
    assert me["username"] == "rita"
    assert [p["code"] for p in me["projects"]] == ["diabetes", "mobility"]
    assert me["scopes"] == ["custom:labgate:workspaces"]
    assert all(p["days_left"] > 300 for p in me["projects"])


def test_the_api_refuses_a_request_without_a_token(hub: Hub) -> None:
    import requests

    r = requests.get(hub.url + SERVICE + "api/me", timeout=30, allow_redirects=False)
    assert r.status_code == 403
    assert r.json()["reason"] == "http-error"
