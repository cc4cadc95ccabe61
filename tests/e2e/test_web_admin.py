"""The admin's pages and API (issue 5), on the real hub: the admin creates an institution
and a person, grants and ends an authorisation (the register keeps both), creates projects,
adds a member, renews a fresh authority project reviewing each grant (keep / remove), and
expires a fresh project; every act is in the audit log. Bad input shows the sentence and
changes nothing; a researcher and an officer read "not found"; HTML in a title is text.
The admin registers a person's authenticator app (AUTH-4): its secret is shown once, and
a code from it passes the login.

The hub is shared by the whole e2e session: everything changed here is created here, with
unique names; no demo person, project or authorisation is touched.
"""

from __future__ import annotations

import datetime as dt
import secrets
import subprocess
from typing import Any

import pyotp
import pytest
import requests
from sqlalchemy import select

from labgate import clock
from labgate.audit.log import Actor
from labgate.audit.search import search
from labgate.db import Database
from labgate.demo.directory import DirectoryEntry, ThrowawayDirectory, seed_ldif
from labgate.demo.run import demo_password
from labgate.errors import Denied
from labgate.model import AuditEvent
from labgate.services import login
from labgate.services.grants import create_grant
from labgate.services.login import Access, LoginAttempt
from labgate.services.people import assign_role
from tests.e2e.api import SERVICE, Api, api_for, hub_session
from tests.e2e.conftest import Hub, log_in

pytestmark = [pytest.mark.hub, pytest.mark.browser, pytest.mark.slapd]

ADMIN = "admin"
TODAY = dt.date.today()


def unique(prefix: str) -> str:
    return f"{prefix}-{secrets.token_hex(3)}"


def events(hub: Hub, **filters: Any) -> list[Any]:
    with Database(hub.db_url).read_session() as s:
        return search(s, **filters)


def types_for(hub: Hub, object_id: str) -> list[str]:
    return [e.type for e in events(hub, object_id=object_id, outcome="ok")]


def submit(page: Any, form: str, fields: dict[str, str]) -> None:
    for name, value in fields.items():
        page.fill(f"{form} [name={name}]", value)
    page.click(f"{form} button[type=submit]")
    page.wait_for_load_state()


@pytest.mark.requirement("AUTH-1")
@pytest.mark.requirement("INST-1")
def test_the_admin_creates_an_institution_and_a_person_and_keeps_the_register(
    hub: Hub, page: Any
) -> None:
    inst, person = unique("inst"), unique("per").replace("-", "_")
    log_in(page, hub, ADMIN)
    page.goto(hub.url + SERVICE)
    page.click("#nav-admin")
    page.wait_for_selector("#people")
    page.goto(hub.url + SERVICE + "admin/institutions")
    submit(
        page, "#new-institution", {"code": inst, "name": "Test <b>Institute</b>", "country": "DK"}
    )
    assert page.inner_text("#flash") == "The institution was created."
    assert "Test <b>Institute</b>" in page.inner_text("#institution-title")
    submit(page, "#authorise-institution", {
        "valid_from": TODAY.isoformat(),
        "valid_until": (TODAY + dt.timedelta(days=700)).isoformat(),
        "security_policy_ref": "TEST-ISMS-1",
    })  # fmt: skip
    assert page.inner_text("#flash") == "The institution's authorisation was recorded."
    assert "TEST-ISMS-1" in page.inner_text("#institution-authorisations")

    page.goto(hub.url + SERVICE + "admin/people")
    page.select_option("#person-institution", inst)
    submit(page, "#new-person", {"username": person, "full_name": "Test Person"})
    assert page.inner_text("#flash") == "The person was created."
    until = (TODAY + dt.timedelta(days=90)).isoformat()
    submit(page, "#grant-authorisation", {"valid_from": TODAY.isoformat(), "valid_until": until})
    assert page.inner_text("#flash") == "The authorisation was granted."
    row = page.locator("#authorisations tbody tr").first
    row.locator("[name=reason]").fill("Left the institute.")
    row.locator("button").click()
    page.wait_for_load_state()
    assert page.inner_text("#flash") == "The authorisation was ended; it stays in the register."
    later = (TODAY + dt.timedelta(days=100)).isoformat()
    submit(
        page,
        "#grant-authorisation",
        {"valid_from": later, "valid_until": (TODAY + dt.timedelta(days=200)).isoformat()},
    )
    states = page.locator("#authorisations tbody tr .state").all_inner_texts()
    assert states == ["ended", "not active"]
    assert "Left the institute." in page.inner_text("#authorisations")

    assert types_for(hub, inst) == ["institution.create", "institution.authorise"]
    assert types_for(hub, person) == [
        "person.create", "authorisation.grant", "authorisation.end", "authorisation.grant",
    ]  # fmt: skip


def test_bad_input_shows_the_sentence_and_changes_nothing(hub: Hub, page: Any) -> None:
    log_in(page, hub, ADMIN)
    page.goto(hub.url + SERVICE + "admin/people/rita")
    before = page.locator("#authorisations tbody tr").count()
    submit(page, "#grant-authorisation", {"valid_from": "2026-13-01", "valid_until": "soon"})
    assert "'valid_from' is not a date: write it as YYYY-MM-DD" in page.inner_text("#error")
    page.goto(hub.url + SERVICE + "admin/people/rita")
    assert page.locator("#authorisations tbody tr").count() == before

    api = api_for(hub, ADMIN)
    r = api.post("api/people", {"username": "Bad Name", "full_name": "x", "institution": "uni"})
    assert r.status_code == 400 and "cannot be a username" in r.json()["message"]
    r = api.post("api/projects/reform/renew", {"new_access_end": "31/12/2027"})
    assert r.status_code == 400 and "YYYY-MM-DD" in r.json()["message"]
    r = api.post("api/projects", {"code": "x", "title": "t"})
    assert r.status_code == 400
    assert api.get("api/people/bad_name").status_code == 404


@pytest.mark.requirement("PROJ-1")
@pytest.mark.requirement("PROJ-2")
def test_projects_memberships_renewal_and_expiry(hub: Hub, page: Any) -> None:
    authority, research = unique("auth"), unique("res")
    api = api_for(hub, ADMIN)
    body = {
        "code": authority, "title": "Audit <script>alert(1)</script> project",
        "scheme": "authority", "owner": "ministry", "purpose": "Test the renewal.",
        "legal_basis_art6": "6(1)(e)", "starts_on": TODAY.isoformat(),
        "dpia_not_needed_reason": "Pseudonymised statistics only.",
    }  # fmt: skip
    r = api.post("api/projects", body)
    assert r.status_code == 201, r.text
    end = dt.date.fromisoformat(r.json()["access_ends_on"])
    actor = Actor(name="test-steward", kind="person", institution="uni")
    with Database(hub.db_url).session() as s:
        kept = create_grant(s, actor, project_code=authority, dataset_code="ind",
                            variables=["pnr", "year", "tax"], years=[2023]).id  # fmt: skip
        removed = create_grant(s, actor, project_code=authority, dataset_code="udda",
                               variables=["pnr", "year", "level"], years=[2023]).id  # fmt: skip

    log_in(page, hub, ADMIN)
    page.goto(hub.url + SERVICE + "admin/projects")
    assert "<script>" in page.inner_text(f"#projects tr[data-project={authority}] .title")
    page.goto(hub.url + SERVICE + f"admin/projects/{authority}")
    assert "<script>alert(1)</script>" in page.inner_text("#project-title")
    submit(page, "#add-membership", {"username": "ola"})
    assert page.inner_text("#flash") == "The membership was added."
    assert page.locator("#memberships tr[data-person=ola] .state").inner_text() == "current"

    new_end = (end + dt.timedelta(days=180)).isoformat()
    page.check(f"#keep-{kept}")
    submit(page, "#renew-project", {"new_access_end": new_end})
    refused = page.inner_text("#error")
    assert str(removed) in refused
    assert types_for(hub, authority)[-1] == "membership.add"  # nothing changed
    page.check(f"#keep-{kept}")
    page.check(f"#remove-{removed}")
    submit(page, "#renew-project", {"new_access_end": new_end})
    assert page.inner_text("#flash") == "The project was renewed."
    assert new_end in page.inner_text("#project-term")
    grants = page.locator("#project-grants tbody tr").evaluate_all(
        "rs => rs.map(r => r.dataset.grant)"
    )
    assert grants == [str(kept)]

    short = (TODAY + dt.timedelta(days=60)).isoformat()
    fresh = {"code": research, "title": "Short one", "scheme": "researcher", "owner": "uni"}
    r = api.post("api/projects", {**body, **fresh, "access_ends_on": short})
    assert r.status_code == 201, r.text
    page.goto(hub.url + SERVICE + f"admin/projects/{research}")
    submit(page, "#expire-project", {"reason": "The study was cancelled."})
    assert page.inner_text("#flash") == "The project was expired."
    assert page.inner_text("#project-state").startswith("expired")

    # ola's membership ran to the old end, so the renewal carries it over to the new term.
    assert types_for(hub, authority) == [
        "project.create", "grant.create", "grant.create", "membership.add", "grant.withdraw",
        "membership.carry", "project.renew",
    ]  # fmt: skip
    assert types_for(hub, research) == ["project.create", "project.expire"]


@pytest.mark.parametrize("username", ["rita", "officer"])
def test_a_non_admin_reads_not_found(hub: Hub, page: Any, username: str) -> None:
    log_in(page, hub, username)
    for path in ("admin", "admin/people", "admin/people/rita", "admin/projects/reform",
                 "admin/institutions"):  # fmt: skip
        r = page.goto(hub.url + SERVICE + path)
        assert r is not None and r.status == 404, path
    api = api_for(hub, username)
    assert api.get("api/people").status_code == 404
    assert api.post("api/people", {"username": "x", "full_name": "X", "institution": "uni"}
                    ).status_code == 404  # fmt: skip
    assert api.post("api/projects/reform/expire", {"reason": "no"}).status_code == 404
    assert api.post("api/memberships/1/end").status_code == 404
    assert api.post("api/authorisations/1/end", {"reason": "no"}).status_code == 404
    assert api.get("api/projects/reform").status_code == 404


@pytest.mark.requirement("PROJ-3")
def test_a_project_database_is_extended_and_a_membership_ended_through_the_api(hub: Hub) -> None:
    pdb, inst, person = unique("pdb"), unique("pdbinst"), unique("mem").replace("-", "_")
    api = api_for(hub, ADMIN)
    later = (TODAY + dt.timedelta(days=1500)).isoformat()
    for path, body in (
        ("api/institutions", {"code": inst, "name": "PDB owner", "country": "DK"}),
        (f"api/institutions/{inst}/authorisations", {
            "scheme": "project_database", "valid_from": TODAY.isoformat(),
            "valid_until": later, "security_policy_ref": "PDB-ISMS",
        }),
        ("api/people", {"username": person, "full_name": "Member", "institution": inst}),
        (f"api/people/{person}/authorisations", {
            "valid_from": TODAY.isoformat(), "valid_until": later,
        }),
    ):  # fmt: skip
        r = api.post(path, body)
        assert r.status_code == 201, r.text
    r = api.post("api/projects", {
        "code": pdb, "title": "Test project database", "scheme": "project_database",
        "owner": inst, "purpose": "Test extension.", "legal_basis_art6": "6(1)(e)",
        "starts_on": TODAY.isoformat(), "dpia_reference": "DPIA-TEST",
    })  # fmt: skip
    assert r.status_code == 201, r.text
    end = dt.date.fromisoformat(r.json()["access_ends_on"])
    r = api.post(f"api/projects/{pdb}/renew", {"new_access_end": end.isoformat()})
    assert r.status_code == 400 and "extended instead" in r.json()["message"]
    new_end = (end + dt.timedelta(days=200)).isoformat()
    r = api.post(f"api/projects/{pdb}/extend", {"new_access_end": new_end})
    assert r.status_code == 200, r.text
    assert r.json()["access_ends_on"] == new_end
    r = api.post(f"api/projects/{pdb}/memberships", {"username": person, "role": "pdb_manager"})
    assert r.status_code == 201, r.text
    membership = r.json()["id"]
    r = api.post(f"api/memberships/{membership}/end")
    assert r.status_code == 200 and r.json()["ended_at"], r.text
    r = api.post(f"api/memberships/{membership}/end")
    assert r.status_code == 409, r.text
    assert types_for(hub, pdb) == [
        "project.create", "project.extend", "membership.add", "membership.end",
    ]  # fmt: skip
    seen = api.get(f"api/people/{person}").json()
    assert any(m["id"] == membership and m["ended_at"] for m in seen["memberships"])


def test_forms_and_api_refuse_a_cookie_request_without_the_xsrf_token(hub: Hub) -> None:
    session = hub_session(hub, ADMIN)
    r = session.get(hub.url + SERVICE + "admin/people", timeout=60)  # through the hub's OAuth
    assert r.status_code == 200 and 'id="people"' in r.text
    name = unique("xsrf").replace("-", "_")
    form = {"username": name, "full_name": "Forged", "institution": "uni"}
    for headers in ({}, {"Sec-Fetch-Mode": "no-cors", "Sec-Fetch-Site": "same-origin"}):
        r = session.post(hub.url + SERVICE + "admin/people", data=form, headers=headers,
                         timeout=60, allow_redirects=False)  # fmt: skip
        assert r.status_code == 403, r.text[:300]
        r = session.post(hub.url + SERVICE + "api/people", json=form, headers=headers,
                         timeout=60, allow_redirects=False)  # fmt: skip
        assert r.status_code == 403, r.text[:300]
    assert api_for(hub, ADMIN).get(f"api/people/{name}").status_code == 404


def add_to_directory(directory: ThrowawayDirectory, username: str) -> None:
    """A new directory account (the demo's password rule), added to the running slapd."""
    entry = DirectoryEntry(uid=username, cn="Institution Admin", password=demo_password(username))
    ldif = seed_ldif(directory.suffix, [entry]).split("\n\n")[-1]  # the person's block only
    path = directory.root / f"{username}.ldif"
    path.write_text(ldif)
    subprocess.run(
        ["slapadd", "-f", str(directory.root / "slapd.conf"), "-l", str(path)],
        check=True, capture_output=True,
    )  # fmt: skip


@pytest.mark.requirement("AUTH-2")
def test_an_institution_admin_sees_and_changes_nothing_of_another(
    hub: Hub, directory: ThrowawayDirectory, page: Any
) -> None:
    name = unique("uniadm").replace("-", "_")
    admin = api_for(hub, ADMIN)
    r = admin.post("api/people", {"username": name, "full_name": "Uni Admin", "institution": "uni"})
    assert r.status_code == 201, r.text
    until = (TODAY + dt.timedelta(days=30)).isoformat()
    r = admin.post(f"api/people/{name}/authorisations",
                   {"valid_from": TODAY.isoformat(), "valid_until": until})  # fmt: skip
    assert r.status_code == 201, r.text
    actor = Actor(name="test-setup", kind="system", institution="")
    with Database(hub.db_url).session() as s:
        assign_role(s, actor, username=name, role="admin", institution_code="uni")
    add_to_directory(directory, name)

    api = api_for(hub, name)
    assert [i["code"] for i in api.get("api/institutions").json()] == ["uni"]
    assert {p["institution"] for p in api.get("api/people").json()} == {"uni"}
    assert {p["owner"] for p in api.get("api/projects").json()} == {"uni"}
    assert api.get("api/people/rita").status_code == 200
    assert api.get("api/projects/mobility").status_code == 200
    twins = {"api/people/ola": "api/people/zz_none", "api/projects/reform": "api/projects/zz-none",
             "api/institutions/ministry": "api/institutions/zz-none"}  # fmt: skip
    for path, twin in twins.items():
        r, expected = api.get(path), api.get(twin)
        assert r.status_code == expected.status_code == 404, path
        assert r.json() == expected.json(), "another institution's object must read as nothing"
    writes = {
        "api/institutions": {"code": unique("x"), "name": "X", "country": "DK"},
        "api/people": {"username": unique("y").replace("-", "_"), "full_name": "Y",
                       "institution": "ministry"},
        "api/projects/reform/expire": {"reason": "Not theirs."},
        "api/people/ola/authorisations": {"valid_from": TODAY.isoformat(), "valid_until": until},
        "api/projects/mobility/memberships": {"username": "ola", "role": "researcher"},
    }  # fmt: skip
    for path, body in writes.items():
        assert api.post(path, body).status_code == 404, path
    assert admin.get("api/projects/reform").json()["expired_at"] is None

    log_in(page, hub, name)
    r = page.goto(hub.url + SERVICE + "admin/projects/reform")
    assert r is not None and r.status == 404
    page.goto(hub.url + SERVICE + "admin/people")
    shown = page.locator("#people tbody tr").evaluate_all("rs => rs.map(r => r.dataset.person)")
    assert "rita" in shown and "ola" not in shown


# --- authenticator apps (AUTH-4) ------------------------------------------------------------

ENROL, REMOVE = "person.second-factor-enrol", "person.second-factor-remove"


def second_factor_world(api: Api, inst: str, people: list[str], *, required: bool) -> None:
    """A fresh institution (requiring a second factor or not), authorised, with `people`
    authorised to log in."""
    later = (TODAY + dt.timedelta(days=300)).isoformat()
    steps: list[tuple[str, dict[str, Any]]] = [
        ("api/institutions", {"code": inst, "name": "Second factor institute", "country": "DK",
                              "requires_second_factor": required}),
        (f"api/institutions/{inst}/authorisations", {
            "scheme": "researcher", "valid_from": TODAY.isoformat(), "valid_until": later,
            "security_policy_ref": "TFA-ISMS",
        }),
    ]  # fmt: skip
    for person in people:
        steps += [
            ("api/people", {"username": person, "full_name": "Tove Factor", "institution": inst}),
            (f"api/people/{person}/authorisations",
             {"valid_from": TODAY.isoformat(), "valid_until": later}),
        ]  # fmt: skip
    for path, body in steps:
        r = api.post(path, body)
        assert r.status_code == 201, (path, r.text)


def log_in_with_code(hub: Hub, username: str, code: str) -> Access:
    """The database side of a hub login, as the hub's authenticator calls it."""
    attempt = LoginAttempt(username=username, accept_terms=True, one_time_code=code)
    return login.log_in(Database(hub.db_url), attempt, clock.now())


def login_refusal(hub: Hub, username: str, code: str) -> str:
    try:
        log_in_with_code(hub, username, code)
    except Denied as refused:
        return refused.reason
    raise AssertionError(f"{username} logged in with {code!r}")


def audit_rows_holding(hub: Hub, text: str) -> list[int]:
    """Every audit event whose detail holds `text` anywhere (a secret must be in none)."""
    with Database(hub.db_url).read_session() as s:
        query = select(AuditEvent.seq).where(AuditEvent.detail.contains(text))
        return list(s.scalars(query))


@pytest.mark.requirement("AUTH-4")
def test_the_admin_registers_an_authenticator_app_whose_secret_is_shown_once(
    hub: Hub, page: Any
) -> None:
    inst, person = unique("tfa"), unique("tfa").replace("-", "_")
    second_factor_world(api_for(hub, ADMIN), inst, [person], required=True)
    assert login_refusal(hub, person, "") == "second-factor-not-enrolled"

    log_in(page, hub, ADMIN)
    address = hub.url + SERVICE + f"admin/people/{person}"
    page.goto(address)
    state = page.inner_text("#second-factor-state")
    assert "No authenticator app is registered." in state
    assert f"{inst} requires a one-time code at login" in state
    assert page.locator("#remove-second-factor").count() == 0
    with page.expect_response(lambda r: r.request.method == "POST") as posted:
        page.click("#register-second-factor button[type=submit]")
    page.wait_for_load_state()
    answer = posted.value
    # The secret comes in the answer to the POST itself: no redirect, nothing to cache.
    assert answer.status == 200 and answer.url == address + "/second-factor"
    assert answer.headers["cache-control"] == "no-store"
    shown = page.inner_text("#second-factor-secret")
    secret = shown.replace(" ", "")
    assert len(secret) == 32 and shown.count(" ") == 7  # eight groups of four, to read out
    uri = page.inner_text("#second-factor-uri")
    totp = pyotp.parse_uri(uri)
    assert uri.startswith("otpauth://totp/") and totp.secret == secret
    assert "only time" in page.inner_text("#second-factor-once")
    assert page.locator("#second-factor-qr svg path").count() == 1
    assert page.url == address + "/second-factor"

    assert log_in_with_code(hub, person, pyotp.TOTP(secret).now()).username == person

    # A reload sends the form again: refused (an app is registered now, and the form did not
    # ask to replace it), so no new secret and not the old one.
    page.reload()
    assert "already registered" in page.inner_text("#error")
    page.goto(address)
    for html in (page.content(),):
        assert secret not in html and shown not in html and "otpauth" not in html
    assert "An authenticator app is registered." in page.inner_text("#second-factor-state")
    assert page.locator("#sf-replace").count() == 1
    assert "cannot log in" in page.inner_text("#remove-second-factor-warning")

    enrolments = events(hub, object_id=person, type=ENROL)
    assert [(e.actor, e.outcome) for e in enrolments] == [(ADMIN, "ok"), (ADMIN, "denied")]
    assert '"replaced":false' in enrolments[0].detail
    assert '"reason":"second-factor-already-enrolled"' in enrolments[1].detail
    assert audit_rows_holding(hub, secret) == [] and audit_rows_holding(hub, shown) == []
    assert secret not in hub.log_text() and shown not in hub.log_text()


@pytest.mark.requirement("AUTH-4")
def test_the_admin_replaces_and_removes_an_authenticator_app_through_the_api(hub: Hub) -> None:
    inst, person = unique("tfa"), unique("tfa").replace("-", "_")
    api = api_for(hub, ADMIN)
    second_factor_world(api, inst, [person], required=True)
    r = api.post(f"api/people/{person}/second-factor", {"issuer": "Test Institute"})
    assert r.status_code == 201, r.text
    assert r.headers["Cache-Control"] == "no-store"
    first = r.json()
    assert first["replaced"] is False and first["required"] is True
    assert pyotp.parse_uri(first["uri"]).issuer == "Test Institute"
    r = api.post(f"api/people/{person}/second-factor")
    assert r.status_code == 409 and r.json()["reason"] == "second-factor-already-enrolled"
    r = api.post(f"api/people/{person}/second-factor", {"replace": True})
    assert r.status_code == 201, r.text
    second = r.json()
    assert second["replaced"] is True and second["secret"] != first["secret"]
    old_code = pyotp.TOTP(first["secret"]).now()
    assert login_refusal(hub, person, old_code) == "second-factor-invalid"
    seen = api.get(f"api/people/{person}").json()
    assert seen["second_factor"] is True and seen["second_factor_required"] is True
    assert "secret" not in str(seen).lower()

    r = api.post(f"api/people/{person}/second-factor/remove")
    assert r.status_code == 200 and r.json()["second_factor"] is False, r.text
    assert login_refusal(hub, person, pyotp.TOTP(second["secret"]).now()) == (
        "second-factor-not-enrolled"
    )
    r = api.post(f"api/people/{person}/second-factor/remove")
    assert r.status_code == 409 and r.json()["reason"] == "second-factor-not-enrolled"
    assert [(e.type, e.outcome) for e in events(hub, object_id=person, actor=ADMIN)][-5:] == [
        (ENROL, "ok"), (ENROL, "denied"), (ENROL, "ok"), (REMOVE, "ok"), (REMOVE, "denied"),
    ]  # fmt: skip
    for secret in (first["secret"], second["secret"]):
        assert audit_rows_holding(hub, secret) == [] and secret not in hub.log_text()


@pytest.mark.requirement("AUTH-4")
def test_removing_at_a_requiring_institution_warns_the_admin_on_the_page(
    hub: Hub, page: Any
) -> None:
    inst, person = unique("tfa"), unique("tfa").replace("-", "_")
    api = api_for(hub, ADMIN)
    second_factor_world(api, inst, [person], required=True)
    assert api.post(f"api/people/{person}/second-factor").status_code == 201
    log_in(page, hub, ADMIN)
    page.goto(hub.url + SERVICE + f"admin/people/{person}")
    assert "cannot log in" in page.inner_text("#remove-second-factor-warning")
    page.click("#remove-second-factor button[type=submit]")
    page.wait_for_load_state()
    assert "they cannot log in until a new app is registered" in page.inner_text("#flash")
    assert "No authenticator app is registered." in page.inner_text("#second-factor-state")
    assert page.locator("#remove-second-factor").count() == 0


@pytest.mark.requirement("AUTH-4")
def test_an_institution_admin_registers_apps_at_home_and_reads_nothing_elsewhere(
    hub: Hub, directory: ThrowawayDirectory
) -> None:
    """Another institution's person answers exactly like nobody, for both writes, and keeps
    their app; the same admin registers one for a person of their own institution."""
    admin = api_for(hub, ADMIN)
    home, away = unique("tfahome"), unique("tfaaway")
    name, own = unique("tfaadm").replace("-", "_"), unique("tfaown").replace("-", "_")
    other = unique("tfaother").replace("-", "_")
    second_factor_world(admin, home, [name], required=False)
    second_factor_world(admin, away, [other], required=True)
    assert admin.post(f"api/people/{other}/second-factor").status_code == 201
    with Database(hub.db_url).session() as s:
        assign_role(s, Actor("test-setup", "system", ""), username=name, role="admin",
                    institution_code=home)  # fmt: skip
    add_to_directory(directory, name)
    api = api_for(hub, name)

    before = events(hub, object_id=other)
    for route in ("second-factor", "second-factor/remove"):
        for body in ({}, {"replace": True}):
            r = api.post(f"api/people/{other}/{route}", body)
            nobody = api.post(f"api/people/zz_none/{route}", body)
            assert r.status_code == nobody.status_code == 404, (route, r.text)
            assert same_bytes(r, nobody, (other, "zz_none")), (route, r.text, nobody.text)
    assert events(hub, object_id=other) == before
    assert admin.get(f"api/people/{other}").json()["second_factor"] is True

    r = api.post("api/people", {"username": own, "full_name": "Own", "institution": home})
    assert r.status_code == 201, r.text
    r = api.post(f"api/people/{own}/second-factor")
    assert r.status_code == 201 and r.json()["required"] is False, r.text
    assert [e.actor for e in events(hub, object_id=own, type=ENROL)] == [name]


def same_bytes(a: requests.Response, b: requests.Response, names: tuple[str, str]) -> bool:
    """The same answer, once a name the answer may echo is read as the twin's."""
    content = a.content.replace(names[0].encode(), names[1].encode())
    return (a.status_code, a.headers.get("Content-Type"), content) == (
        b.status_code, b.headers.get("Content-Type"), b.content,
    )  # fmt: skip
