"""Cross-cutting security of the labgate service on the real hub (issue 5).

- XSRF: a cookie-authenticated write without the token is refused and changes nothing,
  whatever its Sec-Fetch-* headers claim (the bypass class JupyterHub fixed); a cross-site
  no-cors read of the API gets no data.
- Open redirects: neither the hub's login `next=` nor the service's OAuth flow ever sends
  the browser off-site.
- Escaping: HTML in a project title or a dataset title is shown as text.
- Not allowed reads as not found: byte for byte the answer to a path that does not exist.

The hub is shared by the whole e2e session: the objects made here are fresh ones (unique
codes), and rita's membership of the test project is ended again at the end.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlparse

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import requests
from tornado import web

from labgate import clock
from labgate.audit.log import Actor
from labgate.datastore.registry import register_dataset
from labgate.db import Database
from labgate.errors import NotFound
from labgate.services import lookup
from labgate.services.datasets import VariableSpec
from labgate.services.grants import create_grant
from labgate.services.projects import add_membership, create_project, end_membership
from labgate.web.app import routes
from tests.e2e.api import SERVICE, api_for, hub_session
from tests.e2e.conftest import Hub, log_in
from tests.web.test_openapi import route_shape

pytestmark = [pytest.mark.hub, pytest.mark.browser, pytest.mark.slapd]

SETUP = Actor("e2e-security", "system", "")
CROSS_SITE = {"Sec-Fetch-Mode": "no-cors", "Sec-Fetch-Site": "cross-site"}
#: Headers a forged cross-site request may carry (or claim): none may skip the XSRF check.
FORGED_HEADERS = [
    {},
    CROSS_SITE,
    {"Sec-Fetch-Mode": "no-cors", "Sec-Fetch-Site": "same-origin"},
    {"Sec-Fetch-Mode": "navigate", "Sec-Fetch-Site": "cross-site"},
    {"Sec-Fetch-Mode": "cors", "Sec-Fetch-Site": "same-origin"},
]
EVIL = ["//evil.example", "https://evil.example/", "/\\evil.example", "http://evil.example/x"]


def service_session(hub: Hub, username: str) -> requests.Session:
    """A browser-like session signed in at the hub, then at the service through OAuth."""
    s = hub_session(hub, username)
    r = s.get(hub.url + SERVICE, timeout=60)
    assert r.status_code == 200, r.text[:500]
    assert urlparse(r.url).path == SERVICE, r.url
    return s


def service_xsrf(s: requests.Session) -> str:
    """The service's own `_xsrf` cookie (the hub's has the same name on /hub/)."""
    for c in s.cookies:
        if c.name == "_xsrf" and (c.path or "").startswith(SERVICE.rstrip("/")):
            return c.value or ""
    raise AssertionError(f"no service _xsrf cookie in {[(c.name, c.path) for c in s.cookies]}")


def institution_exists(hub: Hub, code: str) -> bool:
    with Database(hub.db_url).read_session() as s:
        try:
            lookup.institution(s, code)
        except NotFound:
            return False
        return True


def fresh_code(prefix: str) -> str:
    return f"{prefix}{secrets.token_hex(4)}"


def stays_on_site(hub: Hub, location: str, base: str) -> bool:
    """A redirect target is on the hub's own origin (a relative path or the same host)."""
    if location.startswith(("//", "/\\", "\\")):
        return False
    target = urlparse(urljoin(base, location))
    return target.netloc == urlparse(hub.url).netloc and target.scheme in ("http", "https")


def follow(hub: Hub, s: requests.Session, url: str, hops: int = 10) -> list[str]:
    """Follow redirects by hand, asserting every hop stays on the hub's origin."""
    seen: list[str] = []
    for _ in range(hops):
        r = s.get(url, timeout=60, allow_redirects=False)
        location = r.headers.get("Location")
        if r.status_code not in (301, 302, 303, 307, 308) or not location:
            return seen
        seen.append(location)
        assert stays_on_site(hub, location, url), f"redirected off-site: {seen}"
        url = urljoin(url, location)
    return seen


# --- XSRF -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def admin_cookies(hub: Hub) -> requests.Session:
    return service_session(hub, "admin")


def new_institution(code: str) -> dict[str, str]:
    return {"code": code, "name": "XSRF probe " + code, "country": "DK"}


@pytest.mark.parametrize("headers", FORGED_HEADERS, ids=lambda h: "-".join(h.values()) or "none")
def test_a_cookie_form_post_without_the_xsrf_token_is_refused_and_changes_nothing(
    hub: Hub, admin_cookies: requests.Session, headers: dict[str, str]
) -> None:
    code = fresh_code("xsrf")
    r = admin_cookies.post(
        hub.url + SERVICE + "admin/institutions",
        data=new_institution(code),
        headers=headers,
        timeout=60,
        allow_redirects=False,
    )
    assert r.status_code == 403, (r.status_code, r.headers.get("Location"), r.text[:300])
    assert not institution_exists(hub, code)


@pytest.mark.parametrize("headers", FORGED_HEADERS, ids=lambda h: "-".join(h.values()) or "none")
def test_a_cookie_api_post_without_the_xsrf_token_is_refused_and_changes_nothing(
    hub: Hub, admin_cookies: requests.Session, headers: dict[str, str]
) -> None:
    code = fresh_code("xsrf")
    r = admin_cookies.post(
        hub.url + SERVICE + "api/institutions",
        json=new_institution(code),
        headers=headers,
        timeout=60,
        allow_redirects=False,
    )
    assert r.status_code == 403, (r.status_code, r.text[:300])
    assert r.headers["Content-Type"].startswith("application/json")
    assert not institution_exists(hub, code)


def test_a_wrong_xsrf_token_is_refused_too(hub: Hub, admin_cookies: requests.Session) -> None:
    code = fresh_code("xsrf")
    r = admin_cookies.post(
        hub.url + SERVICE + "api/institutions",
        json=new_institution(code),
        headers={"X-XSRFToken": "2|00000000|" + "0" * 32 + "|1700000000", **CROSS_SITE},
        timeout=60,
    )
    assert r.status_code == 403, r.text[:300]
    assert not institution_exists(hub, code)


def test_the_same_cookie_post_with_the_token_goes_through(
    hub: Hub, admin_cookies: requests.Session
) -> None:
    """The control: the refusals above are the XSRF check, not a broken session."""
    code = fresh_code("xsrf")
    r = admin_cookies.post(
        hub.url + SERVICE + "api/institutions",
        json=new_institution(code),
        headers={"X-XSRFToken": service_xsrf(admin_cookies)},
        timeout=60,
    )
    assert r.status_code == 201, r.text[:300]
    assert institution_exists(hub, code)
    code = fresh_code("xsrf")
    r = admin_cookies.post(
        hub.url + SERVICE + "admin/institutions",
        data={**new_institution(code), "_xsrf": service_xsrf(admin_cookies)},
        timeout=60,
        allow_redirects=False,
    )
    assert r.status_code in (200, 302, 303), r.text[:300]
    assert institution_exists(hub, code)


def posted_routes() -> list[str]:
    """Every route that answers POST, today's and tomorrow's, its parameters filled in."""
    return sorted(
        route_shape(path).lstrip("/").replace("{}", "zz-none")
        for path, handler in routes()
        if handler.post is not web.RequestHandler.post
    )


def test_every_cookie_post_without_the_xsrf_token_is_refused_before_any_handler(
    hub: Hub, admin_cookies: requests.Session
) -> None:
    """No area may switch the check off: each POST route, page or API, refuses a cookie
    request without the token with 403 (before the handler runs, so nothing changes)."""
    posts = posted_routes()
    assert "admin/institutions" in posts and "api/institutions" in posts
    let_through = {}
    for path in posts:
        r = admin_cookies.post(
            hub.url + SERVICE + path, data={"x": "1"}, headers=CROSS_SITE, timeout=60,
            allow_redirects=False,
        )  # fmt: skip
        if r.status_code != 403 or "XSRF token" not in r.text:
            let_through[path] = (r.status_code, r.text[:120])
    assert not let_through, let_through


def test_a_cross_site_no_cors_read_of_the_api_gets_no_data(hub: Hub) -> None:
    s = service_session(hub, "rita")
    r = s.get(hub.url + SERVICE + "api/me", headers=CROSS_SITE, timeout=60, allow_redirects=False)
    assert r.status_code == 403, r.text[:300]
    assert "rita" not in r.text
    assert "diabetes" not in r.text
    # The control: the same session reads its data when the browser navigates.
    nav = {"Sec-Fetch-Mode": "navigate", "Sec-Fetch-Site": "none"}
    r = s.get(hub.url + SERVICE + "api/me", headers=nav, timeout=60)
    assert r.status_code == 200, r.text[:300]
    assert r.json()["username"] == "rita"


# --- open redirects -------------------------------------------------------------------------


@pytest.mark.parametrize("target", EVIL)
def test_the_hub_login_never_redirects_off_site(hub: Hub, target: str) -> None:
    s = requests.Session()
    s.get(hub.url + "/hub/login", timeout=30).raise_for_status()
    form = {
        "username": "rita",
        "password": hub.password("rita"),
        "accept_terms": "on",
        "_xsrf": s.cookies.get("_xsrf", ""),
    }
    url = hub.url + "/hub/login"
    r = s.post(url, params={"next": target}, data=form, timeout=60, allow_redirects=False)
    assert r.status_code == 302, r.text[:300]
    assert stays_on_site(hub, r.headers["Location"], url), r.headers["Location"]
    # Signed in already: the login page redirects at once; still on-site, all the way.
    follow(hub, s, f"{hub.url}/hub/login?next={target}")


@pytest.mark.parametrize("target", EVIL)
def test_the_service_oauth_flow_never_redirects_off_site(hub: Hub, target: str) -> None:
    s = hub_session(hub, "rita")
    hops = follow(hub, s, f"{hub.url}{SERVICE}?next={target}")
    assert any("oauth_callback" in h for h in hops), hops
    hops = follow(hub, s, f"{hub.url}{SERVICE}api/me?next={target}")


@pytest.mark.parametrize("target", EVIL)
def test_a_forged_oauth_state_is_refused(hub: Hub, target: str) -> None:
    s = hub_session(hub, "rita")
    r = s.get(hub.url + SERVICE, timeout=60, allow_redirects=False)
    assert r.status_code == 302
    r = s.get(
        hub.url + SERVICE + "oauth_callback",
        params={"code": "forged", "state": target},
        timeout=60,
        allow_redirects=False,
    )
    assert r.status_code in (400, 403), (r.status_code, r.headers.get("Location"))


@pytest.mark.parametrize("target", EVIL)
def test_the_hub_refuses_an_oauth_redirect_uri_off_site(hub: Hub, target: str) -> None:
    s = hub_session(hub, "rita")
    r = s.get(hub.url + SERVICE, timeout=60, allow_redirects=False)
    authorize = urljoin(hub.url + SERVICE, r.headers["Location"])
    parsed = urlparse(authorize)
    assert parsed.path.endswith("/oauth2/authorize"), authorize
    query = dict(p.split("=", 1) for p in parsed.query.split("&"))
    query["redirect_uri"] = target + "oauth_callback"
    r = s.get(f"{hub.url}{parsed.path}", params=query, timeout=60, allow_redirects=False)
    location = r.headers.get("Location", "")
    assert not location or stays_on_site(hub, location, authorize), location
    assert r.status_code >= 400, (r.status_code, location)


# --- escaping -------------------------------------------------------------------------------

SCRIPT = "<script>alert(1)</script>"
IMG = "<img src=x onerror=alert(1)>"


def hostile_dataset(project: str) -> str:
    """The code of the hostile project's dataset."""
    return project + "d"


@pytest.fixture
def hostile_project(hub: Hub, tmp_path: Path) -> Iterator[str]:
    """A fresh project titled with a script, holding a dataset titled with an image tag,
    with rita as a member (ended again afterwards, so rita's demo projects stay as they were)."""
    db = Database(hub.db_url)
    code = fresh_code("xss-")
    dataset = hostile_dataset(code)
    data = tmp_path / "xss.parquet"
    pq.write_table(
        pa.table({"pnr": ["0101001234"], "year": pa.array([2022], pa.int64()),
                  "x": pa.array([1], pa.int64())}),
        data,
    )  # fmt: skip
    register_dataset(
        db, hub.store, SETUP, code=dataset, path=data, title=IMG,
        variables=[VariableSpec("pnr", "string", is_identifier=True),
                   VariableSpec("year", "int", is_year=True), VariableSpec("x", "int")],
    )  # fmt: skip
    today = clock.today()
    with db.session() as s:
        create_project(
            s, SETUP, code=code, title=SCRIPT, scheme="researcher", owner_code="uni",
            purpose="Escaping probe.", legal_basis_art6="6(1)(e)",
            starts_on=today - dt.timedelta(days=1), access_ends_on=today + dt.timedelta(days=90),
            dpia_reference="DPIA-XSS",
        )  # fmt: skip
        membership = add_membership(s, SETUP, code=code, username="rita", role="researcher")
        membership_id = membership.id
        create_grant(
            s, SETUP, project_code=code, dataset_code=dataset, variables=["pnr", "year", "x"],
            years=[2022],
        )  # fmt: skip
    try:
        yield code
    finally:
        with db.session() as s:
            end_membership(s, SETUP, membership_id=membership_id)


def test_html_in_project_and_dataset_titles_is_shown_as_text(
    hub: Hub, page: Any, hostile_project: str
) -> None:
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    log_in(page, hub, "rita")
    page.goto(hub.url + SERVICE)
    page.wait_for_selector(f"text={hostile_project}")
    text = page.locator("body").inner_text()
    assert SCRIPT in text
    assert IMG in text
    assert page.locator("script", has_text="alert(1)").count() == 0
    assert page.locator("img[src=x]").count() == 0
    assert page.locator("[onerror]").count() == 0
    assert dialogs == []
    html = page.content()
    assert SCRIPT not in html
    assert IMG not in html


#: The staff pages that show the hostile project's or dataset's title ({p}, {d}).
STAFF_PAGES = [
    ("admin", "admin/projects"),
    ("admin", "admin/projects/{p}"),
    ("steward", "steward"),
    ("steward", "steward/datasets/{d}"),
    ("steward", "steward/grants"),
]


@pytest.mark.parametrize(("username", "path"), STAFF_PAGES)
def test_html_in_titles_is_text_on_staff_pages(
    hub: Hub, page: Any, hostile_project: str, username: str, path: str
) -> None:
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    log_in(page, hub, username)
    address = path.format(p=hostile_project, d=hostile_dataset(hostile_project))
    response = page.goto(hub.url + SERVICE + address)
    assert response is not None and response.status == 200, address
    text = page.locator("body").inner_text()
    assert SCRIPT in text or IMG in text, f"{address} shows neither hostile title"
    assert page.locator("script", has_text="alert(1)").count() == 0
    assert page.locator("img[src=x]").count() == 0
    assert page.locator("[onerror]").count() == 0
    assert dialogs == []
    html = page.content()
    assert SCRIPT not in html
    assert IMG not in html


def test_html_in_titles_comes_back_as_json_strings(hub: Hub, hostile_project: str) -> None:
    r = api_for(hub, "rita").get("api/me")
    assert r.status_code == 200
    assert r.headers["Content-Type"].startswith("application/json")
    (project,) = [p for p in r.json()["projects"] if p["code"] == hostile_project]
    assert project["title"] == SCRIPT
    assert project["grants"][0]["dataset_title"] == IMG


# --- not allowed reads as not found ---------------------------------------------------------

#: GETs of what belongs to others, each with its twin that does not exist at all (None: a
#: path that no route serves). A refusal must answer byte for byte what its twin answers.
OTHERS_GETS: dict[str, list[tuple[str, str | None]]] = {
    "rita": [
        (p, None) for p in (
            "api/institutions", "api/institutions/uni", "api/institutions/zz-none",
            "api/people", "api/people/admin", "api/people/zz-none",
            "api/projects", "api/projects/mobility", "api/projects/zz-none",
            "api/datasets", "api/datasets/bef", "api/datasets/zz-none",
            "api/grants", "api/grants/1", "api/grants/999999",
            "api/pdb", "api/pdb/health-pdb", "api/pdb/health-pdb/warnings", "api/pdb/zz-none",
            "api/audit/events", "api/audit/stats", "api/audit/reviews",
            "api/audit/verification", "api/audit/report", "api/audit/adhoc/sam",
            "api/audit/reviews/1",
        )
    ] + [("api/jobs/1", "api/jobs/zz-none")],
    "manager1": [
        ("api/pdb/labour-pdb", "api/pdb/zz-none"),
        ("api/pdb/labour-pdb/warnings", "api/pdb/zz-none/warnings"),
        ("api/institutions/ministry", None),
        ("api/people/ola", None),
        ("api/datasets/bef", None),
        ("api/audit/events", None),
    ],
    "officer": [
        ("api/institutions/ministry", "api/institutions/zz-none"),
        ("api/people/ola", "api/people/zz-none"),
        ("api/pdb/health-pdb", None),
        ("api/datasets", None),
        ("api/grants", None),
        ("api/projects/reform", None),
        ("api/audit/adhoc/ola", "api/audit/adhoc/zz-none"),
        ("api/audit/events?institution=ministry", "api/audit/events?institution=zz-none"),
        ("api/audit/stats?institution=ministry", "api/audit/stats?institution=zz-none"),
    ],
}  # fmt: skip


def same_answer(
    a: requests.Response, b: requests.Response, echo: tuple[str, str] = ("", "")
) -> bool:
    """Byte for byte the same, once a name the answer merely echoes back from its own
    address (`echo`: the name asked for, and the twin's) is read as the twin's."""
    named, twin_named = (s.encode() for s in echo)
    content = a.content.replace(named, twin_named) if named else a.content
    return (
        a.status_code == b.status_code
        and a.headers.get("Content-Type") == b.headers.get("Content-Type")
        and content == b.content
    )


def echoed(path: str, twin: str | None) -> tuple[str, str]:
    """The names in which a path and its twin differ (their last segments), if a twin."""
    if twin is None:
        return ("", "")
    name, twin_name = path.split("?")[0].rsplit("/", 1)[-1], twin.split("?")[0].rsplit("/", 1)[-1]
    return (f"'{name}'", f"'{twin_name}'") if name != twin_name else ("", "")


@pytest.mark.requirement("AUTH-2")
@pytest.mark.parametrize("username", sorted(OTHERS_GETS))
def test_a_refusal_reads_exactly_like_a_path_that_does_not_exist(hub: Hub, username: str) -> None:
    api = api_for(hub, username)
    nowhere = "api/no-such-thing-" + secrets.token_hex(3)
    assert api.get(nowhere).status_code == 404
    differing = {}
    for path, twin in OTHERS_GETS[username]:
        r, expected = api.get(path), api.get(twin or nowhere)
        assert expected.status_code == 404, (twin, expected.text[:200])
        if not same_answer(r, expected, echoed(path, twin)):
            differing[path] = (r.status_code, r.text[:160], "expected", expected.text[:160])
    assert not differing, "refusals that differ from not-found:\n" + "\n".join(
        f"{path}: {answer}" for path, answer in differing.items()
    )


#: Token POSTs about what belongs to others, each with its twin about nothing at all. The
#: body is one no route accepts (no required field, an issuer with a colon), so even a
#: wrongly allowed write changes nothing (it would be a 400); removing an authenticator app
#: needs no body, but no demo person has one (a wrongly allowed removal would be a 409).
OTHERS_POSTS: dict[str, list[tuple[str, str]]] = {
    "rita": [
        ("api/projects/mobility/renew", "api/projects/zz-none/renew"),
        ("api/projects/diabetes/memberships", "api/projects/zz-none/memberships"),
        ("api/people/sam/authorisations", "api/people/zz-none/authorisations"),
        ("api/people/sam/second-factor", "api/people/zz-none/second-factor"),
        ("api/people/sam/second-factor/remove", "api/people/zz-none/second-factor/remove"),
        ("api/institutions/uni/authorisations", "api/institutions/zz-none/authorisations"),
        ("api/grants/1/withdraw", "api/grants/999999/withdraw"),
        ("api/pdb/health-pdb/populations", "api/pdb/zz-none/populations"),
        ("api/pdb/health-pdb/extracts/4/withdraw", "api/pdb/zz-none/extracts/999999/withdraw"),
    ],
    "manager1": [
        ("api/pdb/labour-pdb/populations", "api/pdb/zz-none/populations"),
        ("api/pdb/labour-pdb/extracts", "api/pdb/zz-none/extracts"),
        ("api/pdb/labour-pdb/extracts/3/withdraw", "api/pdb/zz-none/extracts/999999/withdraw"),
        # The demo world's grant 1 is health-pdb's own (the steward's), 9 is reform's.
        ("api/pdb/health-pdb/extracts/1/withdraw", "api/pdb/health-pdb/extracts/999999/withdraw"),
        ("api/pdb/health-pdb/extracts/9/withdraw", "api/pdb/health-pdb/extracts/999999/withdraw"),
    ],
    "officer": [
        ("api/people/ola/authorisations", "api/people/zz-none/authorisations"),
        ("api/projects/reform/expire", "api/projects/zz-none/expire"),
        # The officer reads uni's register and changes nothing in it (AUTH-2).
        ("api/people/rita/second-factor", "api/people/zz-none/second-factor"),
        ("api/people/rita/second-factor/remove", "api/people/zz-none/second-factor/remove"),
        ("api/people/ola/second-factor", "api/people/zz-none/second-factor"),
    ],
}
#: What OTHERS_POSTS sends: valid for no route.
NO_VALID_BODY = {"issuer": ":"}


@pytest.mark.requirement("AUTH-2")
@pytest.mark.parametrize("username", sorted(OTHERS_POSTS))
def test_a_refused_write_reads_exactly_like_a_write_to_nothing(hub: Hub, username: str) -> None:
    api = api_for(hub, username)
    differing = []
    for path, twin in OTHERS_POSTS[username]:
        r, expected = api.post(path, NO_VALID_BODY), api.post(twin, NO_VALID_BODY)
        assert expected.status_code == 404, (twin, expected.text[:200])
        if not same_answer(r, expected):
            differing.append(
                f"{path}: {r.status_code} {r.text[:160]} / twin: {expected.text[:160]}"
            )
    assert not differing, "refused writes that differ from writes to nothing:\n" + "\n".join(
        differing
    )


#: Pages about what belongs to others, each with its twin about an object that does not exist.
OTHERS_PAGES: dict[str, list[tuple[str, str]]] = {
    "rita": [
        ("admin/institutions/uni", "admin/institutions/zz-none"),
        ("admin/people/sam", "admin/people/zz-none"),
        ("admin/projects/heart", "admin/projects/zz-none"),
        ("steward/datasets/bef", "steward/datasets/zz-none"),
        ("steward/grants/1", "steward/grants/999999"),
        ("manage/health-pdb", "manage/zz-none"),
    ],
    "manager1": [("manage/labour-pdb", "manage/zz-none")],
    "officer": [
        ("admin/people/ola", "admin/people/zz-none"),
        ("manage/health-pdb", "manage/zz-none"),
    ],
}


def error_sentence(r: requests.Response) -> tuple[int, str]:
    """A page's status and the sentence its error box shows (the rest carries tokens)."""
    start = r.text.find('id="error-message">')
    if start < 0:
        return r.status_code, r.text[:200]
    return r.status_code, r.text[start : r.text.find("</p>", start)]


@pytest.mark.requirement("AUTH-2")
@pytest.mark.parametrize("username", sorted(OTHERS_PAGES))
def test_a_refused_page_reads_exactly_like_a_page_about_nothing(hub: Hub, username: str) -> None:
    s = service_session(hub, username)
    differing = []
    for path, twin in OTHERS_PAGES[username]:
        got = error_sentence(s.get(hub.url + SERVICE + path, timeout=60, allow_redirects=False))
        expected = error_sentence(s.get(hub.url + SERVICE + twin, timeout=60))
        assert expected[0] == 404, (twin, expected)
        if got != expected:
            differing.append(f"{path}: {got} / twin: {expected}")
    assert not differing, "refused pages that differ from pages about nothing:\n" + "\n".join(
        differing
    )


# --- framing --------------------------------------------------------------------------------


def test_no_other_site_may_frame_or_cache_a_labgate_page(hub: Hub) -> None:
    """A framed form invites clickjacking, a cached page outlives the session: every answer
    forbids both, errors included."""
    s = service_session(hub, "admin")
    for path in ("", "admin/institutions", "admin/people/zz-none", "api/me"):
        r = s.get(hub.url + SERVICE + path, timeout=60)
        assert "frame-ancestors 'none'" in r.headers.get("Content-Security-Policy", ""), (
            path,
            r.status_code,
            dict(r.headers),
        )
        assert r.headers.get("X-Content-Type-Options") == "nosniff", path
        assert r.headers.get("Cache-Control") == "no-store", path
