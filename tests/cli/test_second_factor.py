"""`labgate person second-factor`: an admin registers a person's authenticator app, and the
login (the function the hub's authenticator calls) accepts its codes (AUTH-4).

Real databases and the real CLI; only the clock is controlled."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from typing import Any

import pyotp
import pytest
from sqlalchemy import select

from labgate import clock
from labgate.db import Database
from labgate.errors import Denied
from labgate.model import AuditEvent, TermsVersion
from labgate.services.login import Access, LoginAttempt, log_in
from tests.cli.harness import Labgate

NOW = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
ENROL = "person.second-factor-enrol"
REMOVE = "person.second-factor-remove"


@pytest.fixture
def lg(db_url: str) -> Iterator[Labgate]:
    """sec requires a second factor (tove works there); au does not (anna works there)."""
    with clock.frozen(NOW):
        labgate = Labgate(db_url)
        for inst, flag in (("sec", "--second-factor"), ("au", "--no-second-factor")):
            labgate.ok("institution", "create", inst, "--name", inst.upper(), flag)
            labgate.ok(
                "institution", "authorise", inst, "--scheme", "researcher", "--from",
                "2026-01-01", "--until", "2028-12-31", "--security-policy", "ISMS-1",
            )  # fmt: skip
        for username, inst in (("tove", "sec"), ("anna", "au")):
            labgate.ok(
                "person", "create", username, "--name", username.title(), "--institution", inst
            )
            labgate.ok(
                "authorisation", "grant", username, "--from", "2026-01-01", "--until", "2027-01-01"
            )
        database = Database(db_url)
        try:
            with database.session() as s:
                s.add(TermsVersion(version="2026.1", text="Use data only for the project.",
                                   published_at=NOW - dt.timedelta(days=10)))  # fmt: skip
        finally:
            database.dispose()
        yield labgate


def enrol(lg: Labgate, username: str = "tove", *extra: str) -> dict[str, Any]:
    result: dict[str, Any] = lg.ok("person", "second-factor", "enrol", username, *extra)
    return result


def login_at(db: Database, at: dt.datetime, code: str, username: str = "tove") -> Access:
    """Log in as the hub's authenticator does, with the clock at `at`."""
    with clock.frozen(at):
        attempt = LoginAttempt(username=username, accept_terms=True, one_time_code=code)
        return log_in(db, attempt, clock.now())


def refusal(db: Database, at: dt.datetime, code: str) -> Denied:
    with pytest.raises(Denied) as refused:
        login_at(db, at, code)
    return refused.value


def code(secret: str, at: dt.datetime) -> str:
    return pyotp.TOTP(secret).at(at)


def events(db: Database, *types: str) -> list[AuditEvent]:
    with db.read_session() as s:
        return list(
            s.scalars(select(AuditEvent).where(AuditEvent.type.in_(types)).order_by(AuditEvent.seq))
        )


@pytest.mark.requirement("AUTH-4")
def test_the_enrolled_secret_gives_codes_the_login_accepts(lg: Labgate, db: Database) -> None:
    assert refusal(db, NOW, "123456").reason == "second-factor-not-enrolled"
    with clock.frozen(NOW):
        enrolled = enrol(lg, "tove", "--issuer", "Statistics Denmark")
    secret = enrolled["secret"]
    assert (enrolled["username"], enrolled["replaced"], enrolled["required"]) == (
        "tove", False, True,
    )  # fmt: skip
    assert enrolled["uri"] == pyotp.TOTP(secret).provisioning_uri(
        name="tove", issuer_name="Statistics Denmark"
    )
    assert pyotp.parse_uri(enrolled["uri"]).secret == secret
    later = NOW + dt.timedelta(minutes=5)
    assert login_at(db, later, code(secret, later)).username == "tove"


@pytest.mark.requirement("AUTH-4")
def test_enrolling_again_replaces_the_secret_so_the_old_codes_fail(
    lg: Labgate, db: Database
) -> None:
    with clock.frozen(NOW):
        old = enrol(lg)["secret"]
    assert login_at(db, NOW, code(old, NOW)).username == "tove"
    lost_phone = NOW + dt.timedelta(hours=1)
    with clock.frozen(lost_phone):
        again = enrol(lg)
    assert again["replaced"] is True
    assert again["secret"] != old
    later = lost_phone + dt.timedelta(minutes=2)
    assert refusal(db, later, code(old, later)).reason == "second-factor-invalid"
    assert login_at(db, later, code(again["secret"], later)).username == "tove"
    [first, second] = events(db, ENROL)
    assert json.loads(first.detail)["replaced"] is False
    assert json.loads(second.detail)["replaced"] is True


@pytest.mark.requirement("AUTH-4")
def test_removal_locks_out_a_person_whose_institution_requires_a_second_factor(
    lg: Labgate, db: Database
) -> None:
    with clock.frozen(NOW):
        secret = enrol(lg)["secret"]
        removed = lg.run("person", "second-factor", "remove", "tove")
    assert removed.exit_code == 0, removed.output
    assert "cannot log in until a new authenticator app is registered" in removed.stderr
    later = NOW + dt.timedelta(minutes=5)
    refused = refusal(db, later, code(secret, later))
    assert refused.reason == "second-factor-not-enrolled"
    assert "no authenticator app is registered" in refused.message
    [event] = events(db, REMOVE)
    assert (event.object_kind, event.object_id, event.outcome) == ("person", "tove", "ok")
    assert json.loads(event.detail) == {"institution_requires": True}


@pytest.mark.requirement("AUTH-4")
def test_removing_when_no_app_is_registered_is_refused_and_changes_nothing(
    lg: Labgate,
) -> None:
    before = lg.snapshot()
    with clock.frozen(NOW):
        result = lg.run("person", "second-factor", "remove", "tove")
    assert result.exit_code == 1
    assert "No authenticator app is registered for tove" in result.stderr
    assert lg.snapshot() == before
    event = lg.last_event()
    assert (event.type, event.outcome) == (REMOVE, "denied")
    assert json.loads(event.detail) == {"reason": "second-factor-not-enrolled"}


@pytest.mark.requirement("AUTH-4")
def test_enrolment_is_audited_and_the_secret_is_never_in_the_log(lg: Labgate, db: Database) -> None:
    with clock.frozen(NOW):
        result = lg.run("person", "second-factor", "enrol", "tove")
    assert result.exit_code == 0, result.output
    assert "not shown again" in result.stderr
    [row] = [line for line in result.stdout.splitlines() if line.startswith("tove")]
    secret = row.split()[1]
    assert result.stdout.count(secret) == 2  # once as the secret, once inside the URI
    assert login_at(db, NOW, code(secret, NOW)).username == "tove"
    [event] = events(db, ENROL)
    assert (event.actor_kind, event.object_kind, event.object_id, event.outcome) == (
        "system", "person", "tove", "ok",
    )  # fmt: skip
    assert json.loads(event.detail) == {"replaced": False, "institution_requires": True}
    with db.read_session() as s:
        every_event = [repr([getattr(e, c.key) for c in AuditEvent.__table__.columns])
                       for e in s.scalars(select(AuditEvent))]  # fmt: skip
    assert every_event
    assert not [e for e in every_event if secret in e or "otpauth" in e]


@pytest.mark.requirement("AUTH-4")
@pytest.mark.parametrize("action", ["enrol", "remove"])
def test_an_unknown_person_is_refused_with_a_sentence_and_nothing_changes(
    lg: Labgate, action: str
) -> None:
    before = lg.snapshot()
    with clock.frozen(NOW):
        result = lg.run("person", "second-factor", action, "ghost")
    assert result.exit_code == 1
    assert "There is no person with the username 'ghost'." in result.stderr
    assert "Traceback" not in result.output
    assert lg.snapshot() == before
    event = lg.last_event()
    assert (event.type, event.object_id, event.outcome) == (
        f"person.second-factor-{action}", "ghost", "denied",
    )  # fmt: skip
    assert json.loads(event.detail) == {"reason": "no-such-person"}


@pytest.mark.parametrize("issuer", ["", "  ", "Statistics:Denmark"])
def test_an_issuer_an_authenticator_app_cannot_show_is_refused(lg: Labgate, issuer: str) -> None:
    before = lg.snapshot()
    with clock.frozen(NOW):
        result = lg.run("person", "second-factor", "enrol", "tove", "--issuer", issuer)
    assert result.exit_code == 1
    assert "issuer" in result.stderr
    assert lg.snapshot() == before
    assert json.loads(lg.last_event().detail) == {"reason": "invalid-issuer"}


@pytest.mark.requirement("AUTH-4")
def test_a_person_whose_institution_does_not_require_it_may_enrol(
    lg: Labgate, db: Database
) -> None:
    with clock.frozen(NOW):
        enrolled = enrol(lg, "anna")
    assert enrolled["required"] is False
    # au asks for no code, so anna logs in without one.
    assert login_at(db, NOW, "", username="anna").username == "anna"
    [event] = events(db, ENROL)
    assert json.loads(event.detail) == {"replaced": False, "institution_requires": False}


def test_the_person_list_says_whether_an_app_is_registered_but_never_the_secret(
    lg: Labgate,
) -> None:
    with clock.frozen(NOW):
        secret = enrol(lg)["secret"]
        listed = lg.run("--json", "person", "list")
    assert secret not in listed.output
    flags = {p["username"]: p["second_factor"] for p in json.loads(listed.stdout)}
    assert flags == {"anna": False, "tove": True}
