"""LabgateAuthenticator.authenticate and refresh_user, called as the hub calls them, against
a real slapd and a real labgate database. Only the clock is faked."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging
from collections.abc import Iterator
from typing import Any

import pyotp
import pytest
from jinja2 import ChoiceLoader, Environment, FileSystemLoader, PrefixLoader
from jupyterhub._data import DATA_FILES_PATH
from sqlalchemy import select
from traitlets import TraitError

from labgate import clock
from labgate.audit.log import Actor
from labgate.db import Database
from labgate.hub.authenticator import TEMPLATE_DIR, LabgateAuthenticator, LoginRefused
from labgate.model import Membership, Person, TermsAcceptance, TermsVersion
from labgate.model.audit import AuditEvent
from labgate.services import institutions, lookup, people, projects
from labgate.services.facts import person_facts
from tests.hub.slapd import PEOPLE_DN, TEMPLATE, Slapd, free_port, password

SETUP = Actor(name="test-setup", kind="system", institution="")
NOW = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
TOTP_SECRET = pyotp.random_base32()
#: Most tests exercise the directory and the login flow, not the database dialect: SQLite
#: is enough there; the audit and authorisation tests run on PostgreSQL too.
SQLITE_ONLY = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)


def build_world(db: Database) -> None:
    """uni (no second factor) and secure (second factor); ada a researcher in alpha (and
    once in gamma), eve with an ended authorisation, tom at secure, bob in beta."""
    today = NOW.date()
    with db.session() as s:
        for code, second in (("uni", False), ("secure", True)):
            institutions.create_institution(
                s, SETUP, code=code, name=code.title(), country="DK",
                requires_second_factor=second,
            )  # fmt: skip
            institutions.authorise_institution(
                s, SETUP, code=code, scheme="researcher", valid_from=dt.date(2026, 1, 1),
                valid_until=dt.date(2029, 1, 1), security_policy_ref="ISMS-1",
            )  # fmt: skip
        for username, inst in (("ada", "uni"), ("eve", "uni"), ("bob", "uni"), ("tom", "secure")):
            people.create_person(
                s, SETUP, username=username, full_name=username.title(), institution_code=inst
            )
            people.grant_authorisation(
                s, SETUP, username=username, valid_from=NOW - dt.timedelta(days=1),
                valid_until=NOW + dt.timedelta(days=365),
            )  # fmt: skip
        people.assign_role(s, SETUP, username="ada", role="data_steward", institution_code=None)
        s.scalars(select(Person).where(Person.username == "tom")).one().totp_secret = TOTP_SECRET
        for code, owner in (("alpha", "uni"), ("beta", "uni"), ("gamma", "uni"), ("tau", "secure")):
            projects.create_project(
                s, SETUP, code=code, title=code.title(), scheme="researcher", owner_code=owner,
                purpose="Study.", legal_basis_art6="6(1)(e)", starts_on=today,
                access_ends_on=today.replace(year=today.year + 1), dpia_reference="DPIA-1",
            )  # fmt: skip
        for code, username in (("alpha", "ada"), ("gamma", "ada"), ("beta", "bob"), ("tau", "tom")):
            projects.add_membership(s, SETUP, code=code, username=username, role="researcher")
        s.add(TermsVersion(version="2026.1", text="Use data only for the project.",
                           published_at=NOW - dt.timedelta(days=10)))  # fmt: skip
    with db.session() as s:
        membership = s.scalars(
            select(Membership).where(
                Membership.project_id == lookup.project(s, "gamma").id,
                Membership.person_id == lookup.person(s, "ada").id,
            )
        ).one()
        projects.end_membership(s, SETUP, membership_id=membership.id)
    end_authorisation(db, "eve")


def end_authorisation(db: Database, username: str) -> None:
    with clock.frozen(NOW), db.session() as s:
        first = person_facts(s, lookup.person(s, username)).authorisations[0]
        people.end_authorisation(s, SETUP, authorisation_id=first.id, reason="Left.")


@pytest.fixture
def world(db_url: str) -> Iterator[Database]:
    with clock.frozen(NOW):
        database = Database(db_url)
        build_world(database)
        try:
            yield database
        finally:
            database.dispose()


def make_auth(slapd: Slapd, db: Database, **traits: Any) -> LabgateAuthenticator:
    config: dict[str, Any] = {
        "server_address": "127.0.0.1",
        "server_port": slapd.port,
        "bind_dn_template": [TEMPLATE],
        "db_url": db.url,
        **traits,
    }
    return LabgateAuthenticator(**config)


@pytest.fixture
def auth(slapd: Slapd, world: Database) -> Iterator[LabgateAuthenticator]:
    authenticator = make_auth(slapd, world)
    try:
        yield authenticator
    finally:
        authenticator.db.dispose()


def login(auth: LabgateAuthenticator, username: str, pw: str | None = None, **form: str) -> Any:
    data = {"username": username, "password": password(username) if pw is None else pw, **form}
    with clock.frozen(clock_now[0]):
        return asyncio.run(auth.authenticate(None, data))


#: The instant `login` runs at; tests move it (a list so helpers share it).
clock_now = [NOW]


@pytest.fixture(autouse=True)
def _reset_clock() -> Iterator[None]:
    clock_now[0] = NOW
    yield
    clock_now[0] = NOW


def refused(auth: LabgateAuthenticator, username: str, pw: str | None = None, **form: str) -> str:
    with pytest.raises(LoginRefused) as caught:
        login(auth, username, pw, **form)
    return caught.value.labgate_reason


def events(db: Database, type: str | None = None) -> list[AuditEvent]:
    with db.read_session() as s:
        q = select(AuditEvent).order_by(AuditEvent.seq)
        if type:
            q = q.where(AuditEvent.type == type)
        return list(s.scalars(q))


def last_failure(db: Database) -> tuple[str, str, dict[str, Any]]:
    e = events(db, "login.failed")[-1]
    return e.actor, e.outcome, json.loads(e.detail)


class FakeUser:
    def __init__(self, name: str) -> None:
        self.name = name


def refresh(auth: LabgateAuthenticator, username: str) -> Any:
    with clock.frozen(clock_now[0]):
        return asyncio.run(auth.refresh_user(FakeUser(username)))


# -- a good login -----------------------------------------------------------------------


@SQLITE_ONLY
@pytest.mark.requirement("AUTH-5")
def test_groups_are_only_the_projects_the_person_may_use_now(auth: LabgateAuthenticator) -> None:
    model = login(auth, "ada", accept_terms="on")
    # beta is someone else's; ada's membership of gamma has ended.
    assert model["name"] == "ada"
    assert model["groups"] == ["alpha"]
    names = [r["name"] for r in model["roles"]]
    assert names == ["user", "labgate-data-steward", "labgate-researcher"]
    assert model["auth_state"] == {"institution": "uni", "terms_version": "2026.1"}


@SQLITE_ONLY
def test_username_is_normalised_before_anything_else(auth: LabgateAuthenticator) -> None:
    model = login(auth, "  ADA ", password("ada"), accept_terms="on")
    assert model["name"] == "ada"


@SQLITE_ONLY
def test_hub_defaults(auth: LabgateAuthenticator) -> None:
    assert auth.manage_groups and auth.manage_roles and auth.refresh_pre_spawn
    assert auth.allow_all and auth.auth_refresh_age == 60
    assert auth.request_otp


@SQLITE_ONLY
def test_search_then_bind_logs_in(slapd: Slapd, world: Database) -> None:
    auth = make_auth(
        slapd, world, bind_dn_template=[], user_search_base=PEOPLE_DN,
        lookup_dn_search_user=slapd.search_user_dn, lookup_dn_search_password=password("reader"),
    )  # fmt: skip
    assert login(auth, "ada", accept_terms="on")["groups"] == ["alpha"]


# -- refusals before and at the directory -------------------------------------------------


@SQLITE_ONLY
def test_wrong_password_is_refused_and_audited(auth: LabgateAuthenticator) -> None:
    assert login(auth, "ada", "not-her-password") is None
    actor, outcome, detail = last_failure(auth.db)
    assert (actor, outcome, detail["reason"]) == ("ada", "denied", "invalid-credentials")


@SQLITE_ONLY
def test_empty_password_is_refused_without_asking_the_directory(world: Database) -> None:
    # The directory is unreachable: had a bind been tried, this would be a 503.
    down = LabgateAuthenticator(
        server_address="127.0.0.1", server_port=free_port(), bind_dn_template=[TEMPLATE],
        db_url=world.url,
    )  # fmt: skip
    assert login(down, "ada", "") is None
    assert last_failure(world)[2]["reason"] == "empty-password"


@SQLITE_ONLY
@pytest.mark.parametrize("username", ["*)(uid=*", "a,b", "o'brien", "*", "ada)(|(uid=*", "x\x00"])
def test_usernames_carrying_ldap_syntax_never_reach_the_directory(
    world: Database, username: str
) -> None:
    down = LabgateAuthenticator(
        server_address="127.0.0.1", server_port=free_port(), bind_dn_template=[TEMPLATE],
        db_url=world.url,
    )  # fmt: skip
    assert login(down, username, "whatever") is None
    actor, _, detail = last_failure(world)
    assert actor == "anonymous" and detail["reason"] == "invalid-username"
    assert "\x00" not in detail["attempted"]


@SQLITE_ONLY
def test_o_brien_exists_in_the_directory_but_is_not_a_labgate_username(
    auth: LabgateAuthenticator,
) -> None:
    # The apostrophe is outside labgate's username rule (it becomes a unix user name in a
    # workspace): refused with a clear audit reason, even with the right password.
    assert login(auth, "o'brien") is None
    assert last_failure(auth.db)[2]["reason"] == "invalid-username"


@SQLITE_ONLY
@pytest.mark.requirement("AUTH-4")
def test_directory_down_fails_closed_with_a_clear_message(
    world: Database, caplog: pytest.LogCaptureFixture
) -> None:
    down = LabgateAuthenticator(
        server_address="127.0.0.1", server_port=free_port(), bind_dn_template=[TEMPLATE],
        db_url=world.url,
    )  # fmt: skip
    down.log = logging.getLogger("test.labgate.auth")
    with (
        caplog.at_level(logging.ERROR, logger="test.labgate.auth"),
        pytest.raises(LoginRefused) as caught,
    ):
        login(down, "ada")
    assert caught.value.status_code == 503
    assert caught.value.labgate_reason == "directory-unreachable"
    message = caught.value.jupyterhub_message
    assert message.endswith(".") and message[0].isupper() and "dc=" not in message
    assert "server_address" in caplog.text
    actor, outcome, detail = last_failure(world)
    assert (actor, outcome, detail["reason"]) == ("ada", "failed", "directory-unreachable")


# -- labgate's checks after the directory -------------------------------------------------


@pytest.mark.requirement("AUTH-1")
def test_an_ended_authorisation_cannot_log_in(auth: LabgateAuthenticator) -> None:
    assert refused(auth, "eve", accept_terms="on") == "no-authorisation"
    actor, outcome, detail = last_failure(auth.db)
    assert (actor, outcome, detail["reason"]) == ("eve", "denied", "no-authorisation")


@pytest.mark.requirement("AUTH-1")
def test_refresh_logs_out_a_person_whose_authorisation_ended(auth: LabgateAuthenticator) -> None:
    login(auth, "ada", accept_terms="on")
    assert refresh(auth, "ada")["groups"] == ["alpha"]
    end_authorisation(auth.db, "ada")
    clock_now[0] = NOW + dt.timedelta(minutes=1)
    assert refresh(auth, "ada") is False
    assert refresh(auth, "ada") is False  # every request until a new login: one logout
    (logout,) = events(auth.db, "logout")
    assert logout.actor == "ada" and json.loads(logout.detail)["reason"] == "no-authorisation"


@SQLITE_ONLY
def test_a_directory_user_unknown_to_labgate_is_refused(auth: LabgateAuthenticator) -> None:
    assert refused(auth, "nina", accept_terms="on") == "unknown-person"
    assert last_failure(auth.db)[0] == "nina"


@SQLITE_ONLY
@pytest.mark.requirement("AUTH-5")
def test_refresh_resyncs_groups(auth: LabgateAuthenticator) -> None:
    login(auth, "ada", accept_terms="on")
    with clock.frozen(NOW), auth.db.session() as s:
        projects.add_membership(s, SETUP, code="beta", username="ada", role="researcher")
    assert refresh(auth, "ada")["groups"] == ["alpha", "beta"]


# -- terms of use -------------------------------------------------------------------------


@SQLITE_ONLY
@pytest.mark.requirement("AUTH-3")
def test_terms_are_accepted_before_first_access_and_again_after_a_change(
    auth: LabgateAuthenticator,
) -> None:
    assert refused(auth, "ada") == "terms-not-accepted"
    assert login(auth, "ada", accept_terms="on")["name"] == "ada"
    assert login(auth, "ada")["name"] == "ada"  # accepted once is enough
    with auth.db.session() as s:
        s.add(TermsVersion(version="2026.2", text="New terms.", published_at=NOW))
    clock_now[0] = NOW + dt.timedelta(hours=1)
    assert refresh(auth, "ada") is False  # the session ends: the new terms wait
    with pytest.raises(LoginRefused) as caught:
        login(auth, "ada")
    assert caught.value.labgate_reason == "terms-not-accepted"
    assert "2026.2" in caught.value.jupyterhub_message
    assert login(auth, "ada", accept_terms="on")["auth_state"]["terms_version"] == "2026.2"
    accepted = [json.loads(e.detail)["terms_version"] for e in events(auth.db, "terms.accept")]
    assert accepted == ["2026.1", "2026.2"]
    with auth.db.read_session() as s:
        assert len(list(s.scalars(select(TermsAcceptance)))) == 2


@SQLITE_ONLY
@pytest.mark.requirement("AUTH-3")
def test_a_refused_login_records_no_acceptance(auth: LabgateAuthenticator) -> None:
    # eve ticks the box but may not log in: nothing of the attempt stays but its refusal.
    refused(auth, "eve", accept_terms="on")
    assert events(auth.db, "terms.accept") == []


# -- second factor ------------------------------------------------------------------------


def code_at(at: dt.datetime, offset_steps: int = 0) -> str:
    return pyotp.TOTP(TOTP_SECRET).at(at, counter_offset=offset_steps)


@SQLITE_ONLY
@pytest.mark.requirement("AUTH-4")
def test_second_factor_is_required_where_the_institution_requires_it(
    auth: LabgateAuthenticator,
) -> None:
    assert refused(auth, "tom", accept_terms="on") == "second-factor-required"
    wrong = "000000" if code_at(NOW) != "000000" else "111111"
    assert refused(auth, "tom", accept_terms="on", otp=wrong) == "second-factor-invalid"
    model = login(auth, "tom", accept_terms="on", otp=code_at(NOW))
    assert model["groups"] == ["tau"]
    # The same code again, still inside its window: refused.
    clock_now[0] = NOW + dt.timedelta(seconds=20)
    assert refused(auth, "tom", otp=code_at(NOW)) == "second-factor-reused"
    # The next code works.
    clock_now[0] = NOW + dt.timedelta(seconds=40)
    assert login(auth, "tom", otp=code_at(clock_now[0]))["name"] == "tom"
    # ada's institution asks for no code.
    assert login(auth, "ada", accept_terms="on")["name"] == "ada"


@SQLITE_ONLY
@pytest.mark.requirement("AUTH-4")
def test_a_code_from_outside_the_window_is_refused(auth: LabgateAuthenticator) -> None:
    old = code_at(NOW, -3)
    if old == code_at(NOW) or old in {code_at(NOW, -1), code_at(NOW, 1)}:
        pytest.fail("the random secret produced colliding codes; rerun")
    assert refused(auth, "tom", accept_terms="on", otp=old) == "second-factor-invalid"


# -- the log ------------------------------------------------------------------------------


@pytest.mark.requirement("LOG-1")
def test_logins_and_failed_logins_are_logged_without_the_password(
    auth: LabgateAuthenticator,
) -> None:
    login(auth, "ada", accept_terms="on")
    login(auth, "ada", "a-wrong-password-123")
    logged = [(e.type, e.actor, e.institution, e.outcome) for e in events(auth.db)[-3:]]
    assert logged == [
        ("terms.accept", "ada", "uni", "ok"),
        ("login", "ada", "uni", "ok"),
        ("login.failed", "ada", "uni", "denied"),
    ]
    ok = events(auth.db, "login")[-1]
    assert json.loads(ok.detail)["projects"] == ["alpha"]
    everything = " ".join(e.detail for e in events(auth.db))
    assert password("ada") not in everything and "a-wrong-password-123" not in everything


# -- configuration and the page -----------------------------------------------------------


@pytest.mark.parametrize(
    ("trait", "value", "named"),
    [
        ("bind_dn_template", ["ou=people,dc=x"], "bind_dn_template"),
        ("bind_dn_template", ["{username}"], "bind_dn_template"),
        ("server_port", 0, "server_port"),
        ("user_attribute", "uid)(x", "user_attribute"),
        ("connect_timeout_seconds", 0, "connect_timeout_seconds"),
        ("second_factor_window", 9, "second_factor_window"),
        ("db_url", "mysql://x", "db_url"),
        ("tls_ca_file", "/nonexistent/ca.pem", "tls_ca_file"),
    ],
)
def test_bad_settings_name_the_key_and_the_accepted_form(
    trait: str, value: Any, named: str
) -> None:
    with pytest.raises(TraitError) as caught:
        LabgateAuthenticator(**{trait: value})
    assert f"LabgateAuthenticator.{named}" in str(caught.value)
    assert "Example" in str(caught.value)


@SQLITE_ONLY
def test_missing_directory_settings_fail_closed(world: Database) -> None:
    auth = LabgateAuthenticator(server_address="127.0.0.1", db_url=world.url)
    with pytest.raises(LoginRefused) as caught:
        login(auth, "ada")
    assert caught.value.labgate_reason == "directory-misconfigured"


@SQLITE_ONLY
def test_login_page_shows_the_code_field_and_the_current_terms(auth: LabgateAuthenticator) -> None:
    hub_templates = f"{DATA_FILES_PATH}/templates"
    env = Environment(
        loader=ChoiceLoader(
            [
                PrefixLoader({"templates": FileSystemLoader([hub_templates])}, "/"),
                FileSystemLoader([str(TEMPLATE_DIR), hub_templates]),
            ]
        ),
        autoescape=True,
    )
    with clock.frozen(NOW):
        html = env.get_template("login.html").render(
            authenticator=auth, static_url=lambda *a, **k: "", base_url="/hub/",
            login_url="/hub/login", authenticator_login_url="/hub/login", xsrf="x",
        )  # fmt: skip
    assert 'name="otp"' in html
    assert 'name="accept_terms"' in html
    assert "version 2026.1" in html and "Use data only for the project." in html
