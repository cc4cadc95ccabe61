"""The quarterly control and the ad-hoc control of one user (LOG-5, LOG-6)."""

from __future__ import annotations

import datetime as dt
import hashlib
import json

import pytest

from labgate import clock
from labgate.audit.log import Actor, EventIn, record_many
from labgate.audit.review import build_review_report, review_status, sign_off
from labgate.audit.search import search
from labgate.audit.verify import verify
from labgate.db import Database
from labgate.errors import InvalidInput, NotFound
from labgate.model.control import Review
from labgate.model.identity import Authorisation, Institution, Person, SystemClient
from tests.audit.factories import OFFICER

CREATED = dt.datetime(2026, 1, 5, 12, 0, tzinfo=dt.UTC)
Q_START = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
Q_END = dt.datetime(2026, 4, 1, tzinfo=dt.UTC)
DAY = dt.timedelta(days=1)
ALICE = Actor("alice", "person", "au")
BOB = Actor("bob", "person", "au")
KARL = Actor("karl", "person", "ku")


@pytest.fixture
def world(db: Database) -> Database:
    """Institutions au and ku; au's alice (authorised through the quarter, with an older
    authorisation ended early), bob (authorised only before the quarter), carol (only
    after), a client; ku's karl. Events of all of them in the quarter."""
    with clock.frozen(CREATED), db.session() as s:
        au = Institution(code="au", name="Aarhus University", country="DK", created_at=CREATED)
        ku = Institution(code="ku", name="University of Copenhagen", country="DK",
                         created_at=CREATED)  # fmt: skip
        s.add_all([au, ku])
        s.flush()
        people = {
            name: Person(
                username=name, full_name=name.title(), institution_id=inst.id, created_at=CREATED
            )
            for name, inst in [
                ("alice", au),
                ("bob", au),
                ("carol", au),
                ("karl", ku),
                ("olga", au),
            ]
        }
        s.add_all(people.values())
        client = SystemClient(name="nightly", institution_id=au.id, created_at=CREATED)
        s.add(client)
        s.flush()

        def auth(who: Person | SystemClient, start: dt.datetime, end: dt.datetime,
                 ended: dt.datetime | None = None) -> Authorisation:  # fmt: skip
            return Authorisation(
                person_id=who.id if isinstance(who, Person) else None,
                client_id=who.id if isinstance(who, SystemClient) else None,
                valid_from=start, valid_until=end, granted_by="admin", created_at=start,
                ended_at=ended, ended_by="admin" if ended else None,
                end_reason="left the project" if ended else None,
            )  # fmt: skip

        s.add_all(
            [
                auth(people["alice"], CREATED - 400 * DAY, CREATED, ended=CREATED - 300 * DAY),
                auth(people["alice"], CREATED, CREATED + 365 * DAY),
                auth(
                    people["bob"],
                    CREATED - 200 * DAY,
                    CREATED + 200 * DAY,
                    ended=Q_START - 10 * DAY,
                ),
                auth(people["carol"], Q_END + DAY, Q_END + 100 * DAY),
                auth(people["karl"], CREATED, CREATED + 365 * DAY),
                auth(client, CREATED, CREATED + 30 * DAY),
            ]
        )
    at = Q_START + 40 * DAY
    with db.session() as s:
        record_many(
            s,
            [
                EventIn.by(ALICE, "login", "session", "alice", at=at),
                EventIn.by(ALICE, "file.access", "file", "/p1/a", at=at),
                EventIn.by(ALICE, "file.access", "file", "/p1/b", at=at),
                EventIn.by(ALICE, "login.failed", "session", "alice", "failed", at=at),
                EventIn.by(BOB, "login.failed", "session", "bob", "failed", at=at),
                EventIn.by(BOB, "workspace.start.denied", "workspace", "bob/p1", "denied", at=at),
                EventIn.by(KARL, "login.failed", "session", "karl", "failed", at=at),
                EventIn.by(ALICE, "file.access", "file", "/p1/late", at=Q_END + DAY),
            ],
        )
    return db


@pytest.mark.requirement("LOG-5")
def test_quarterly_report_covers_authorisations_counts_and_failures(world: Database) -> None:
    with world.read_session() as s:
        report = build_review_report(s, "au", Q_START, Q_END)
    subjects = {a["subject"]: a for a in report["authorisations"]}
    # bob's ended before the quarter, carol's starts after it, karl is not au's.
    assert set(subjects) == {"alice", "nightly"}
    assert len(subjects["alice"]["history"]) == 2  # the full history, the old one included
    assert subjects["alice"]["history"][0]["end_reason"] == "left the project"
    counts = {(r["user"], r["type"]): r["count"] for r in report["transaction_statistics"]}
    assert counts == {
        ("alice", "login"): 1,
        ("alice", "file.access"): 2,
        ("alice", "login.failed"): 1,
        ("bob", "login.failed"): 1,
        ("bob", "workspace.start.denied"): 1,
    }
    assert sorted(e["actor"] for e in report["failed_logins"]) == ["alice", "bob"]
    assert [e["type"] for e in report["denied"]] == ["workspace.start.denied"]
    assert report["institution"]["code"] == "au"
    json.dumps(report)  # JSON-ready


@pytest.mark.requirement("LOG-5")
def test_sign_off_stores_the_report_with_its_hash_and_logs_it(
    world: Database, frozen_clock: dt.datetime
) -> None:
    with world.session() as s:
        review = sign_off(s, OFFICER, "au", "quarterly", Q_START, Q_END, "No findings.")
        review_id = review.id
    with world.read_session() as s:
        stored = s.get(Review, review_id)
        assert stored is not None
        assert stored.report_sha256 == hashlib.sha256(stored.report.encode()).hexdigest()
        assert (stored.kind, stored.signed_off_by, stored.findings) == (
            "quarterly", "olga", "No findings.",
        )  # fmt: skip
        assert stored.signed_off_at == frozen_clock
        assert json.loads(stored.report)["institution"]["code"] == "au"
        [event] = search(s, type="review.signoff")
    assert (event.actor, event.object_kind, event.object_id) == ("olga", "institution", "au")
    assert event.details["report_sha256"] == stored.report_sha256
    assert event.details["review"] == review_id
    assert verify(world).ok


@pytest.mark.requirement("LOG-5")
def test_review_is_overdue_three_months_after_the_last_sign_off(world: Database) -> None:
    def overdue(at: dt.datetime) -> bool:
        with world.read_session() as s:
            return not review_status(s, "au", at).allowed

    # Before any review, the three months run from the institution's registration.
    assert not overdue(CREATED + 80 * DAY)
    assert overdue(CREATED + 92 * DAY)
    with world.read_session() as s:
        assert review_status(s, "au", CREATED + 92 * DAY).reason == "review-overdue"
    signed = CREATED + 100 * DAY
    with clock.frozen(signed), world.session() as s:
        sign_off(s, OFFICER, "au", "quarterly", Q_START, Q_END, "")
    assert not overdue(signed + DAY)
    assert not overdue(signed + 88 * DAY)
    assert overdue(signed + 93 * DAY)
    # au's sign-off does not count for ku.
    with world.read_session() as s:
        assert not review_status(s, "ku", CREATED + 92 * DAY).allowed


@pytest.mark.requirement("LOG-5")
def test_an_adhoc_control_does_not_replace_the_quarterly_one(world: Database) -> None:
    with clock.frozen(CREATED + 80 * DAY), world.session() as s:
        sign_off(s, OFFICER, "au", "adhoc", Q_START, Q_END, "", subject_username="alice")
    with world.read_session() as s:
        assert not review_status(s, "au", CREATED + 92 * DAY).allowed


@pytest.mark.requirement("LOG-6")
def test_adhoc_control_lists_every_event_of_the_user(world: Database) -> None:
    with world.session() as s:
        review = sign_off(
            s, OFFICER, "au", "adhoc", Q_START, Q_END, "Looked at the file accesses.",
            subject_username="alice",
        )  # fmt: skip
        report = json.loads(review.report)
        assert review.subject_person_id is not None
    events = report["events"]
    assert [e["type"] for e in events] == ["login", "file.access", "file.access", "login.failed"]
    assert {e["actor"] for e in events} == {"alice"}  # and nothing after the period
    with world.read_session() as s:
        [logged] = search(s, type="review.adhoc")
    assert (logged.object_kind, logged.object_id) == ("person", "alice")


@pytest.mark.requirement("LOG-6")
def test_adhoc_control_of_another_institutions_user_is_not_found(world: Database) -> None:
    with pytest.raises(NotFound), world.session() as s:
        sign_off(s, OFFICER, "au", "adhoc", Q_START, Q_END, "", subject_username="karl")
    with pytest.raises(NotFound), world.session() as s:
        sign_off(s, OFFICER, "au", "adhoc", Q_START, Q_END, "", subject_username="nobody")


@pytest.mark.requirement("LOG-5")
@pytest.mark.parametrize(
    ("kind", "subject"), [("monthly", None), ("adhoc", None), ("quarterly", "alice")]
)
def test_malformed_sign_offs_are_refused(world: Database, kind: str, subject: str | None) -> None:
    with pytest.raises(InvalidInput), world.session() as s:
        sign_off(s, OFFICER, "au", kind, Q_START, Q_END, "", subject_username=subject)


def test_unknown_institution_and_inverted_period_are_refused(world: Database) -> None:
    with world.read_session() as s:
        with pytest.raises(NotFound):
            build_review_report(s, "xx", Q_START, Q_END)
        with pytest.raises(InvalidInput):
            build_review_report(s, "au", Q_END, Q_START)
        with pytest.raises(NotFound):
            review_status(s, "xx", Q_END)
