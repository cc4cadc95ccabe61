"""Every invalid command exits non-zero with a sentence, and changes nothing."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest

from labgate import clock
from tests.cli.harness import Labgate
from tests.cli.world import TODAY, build_world


@pytest.fixture
def lg(db_url: str) -> Iterator[Labgate]:
    with clock.frozen(dt.datetime.combine(TODAY, dt.time(9), tzinfo=dt.UTC)):
        labgate = Labgate(db_url)
        build_world(labgate)
        yield labgate


BAD_COMMANDS = [
    pytest.param(
        [
            "project",
            "create",
            "x1",
            "--title",
            "T",
            "--scheme",
            "researcher",
            "--owner",
            "nope",
            "--purpose",
            "P",
            "--legal-basis",
            "6(1)(e)",
            "--dpia",
            "D",
            "--access-ends",
            "2027-01-01",
        ],
        "institution",
        id="unknown-institution",
    ),
    pytest.param(
        ["membership", "add", "ghost", "anna", "--role", "researcher"],
        "project",
        id="unknown-project",
    ),
    pytest.param(
        ["membership", "add", "fam", "ghost", "--role", "researcher"], "person", id="unknown-person"
    ),
    pytest.param(["grant", "withdraw", "999", "--reason", "x"], "grant", id="unknown-grant"),
    pytest.param(
        ["authorisation", "grant", "bo", "--from", "2026-05-01", "--until", "2026-04-01"],
        "",
        id="inverted-authorisation",
    ),
    pytest.param(
        ["authorisation", "grant", "anna", "--from", "2026-06-01", "--until", "2027-06-01"],
        "",
        id="overlapping-authorisation",
    ),
    pytest.param(
        [
            "institution",
            "authorise",
            "au",
            "--scheme",
            "researcher",
            "--from",
            "2027-01-01",
            "--until",
            "2027-02-01",
            "--security-policy",
            "X",
        ],
        "",
        id="overlapping-institution-authorisation",
    ),
    pytest.param(
        [
            "project",
            "create",
            "x2",
            "--title",
            "T",
            "--scheme",
            "researcher",
            "--owner",
            "au",
            "--purpose",
            "P",
            "--legal-basis",
            "6(1)(e)",
            "--dpia",
            "D",
            "--starts",
            "2026-06-01",
            "--access-ends",
            "2026-05-01",
        ],
        "",
        id="inverted-project-period",
    ),
    pytest.param(
        [
            "project",
            "create",
            "x3",
            "--title",
            "T",
            "--scheme",
            "researcher",
            "--owner",
            "au",
            "--purpose",
            "P",
            "--legal-basis",
            "6(1)(e)",
            "--dpia",
            "D",
            "--starts",
            "2026-13-01",
        ],
        "is not a date",
        id="malformed-date",
    ),
    pytest.param(
        [
            "project",
            "create",
            "Bad/Code",
            "--title",
            "T",
            "--scheme",
            "researcher",
            "--owner",
            "au",
            "--purpose",
            "P",
            "--legal-basis",
            "6(1)(e)",
            "--dpia",
            "D",
            "--access-ends",
            "2027-01-01",
        ],
        "cannot be used as a project code",
        id="path-unsafe-code",
    ),
    pytest.param(
        ["grant", "create", "sub1", "bef", "--variables", "pnr,year,kom", "--years", "2019-2020"],
        "",
        id="sub-project-grant-beyond-parent",
    ),
    pytest.param(
        ["grant", "create", "fam", "bef", "--variables", "pnr,postcode", "--years", "2020"],
        "",
        id="identifying-variable-without-justification",
    ),
    pytest.param(
        ["grant", "create", "fam", "bef", "--variables", "pnr,income", "--years", "2020"],
        "has no variable named income",
        id="unknown-variable",
    ),
    pytest.param(
        ["grant", "create", "fam", "bef", "--variables", "pnr,kom", "--years", "2030"],
        "",
        id="year-not-in-dataset",
    ),
    pytest.param(
        [
            "project",
            "create",
            "pdb2",
            "--title",
            "T",
            "--scheme",
            "project_database",
            "--owner",
            "au",
            "--purpose",
            "P",
            "--legal-basis",
            "6(1)(e)",
            "--dpia",
            "D",
        ],
        "",
        id="second-project-database",
    ),
    pytest.param(["project", "extend", "fam", "--until", "2028-01-01"], "", id="extend-non-pdb"),
    pytest.param(
        ["project", "renew", "fam", "--until", "2028-01-01", "--keep", ""],
        "",
        id="renew-non-authority",
    ),
    pytest.param(
        ["membership", "add", "pdb", "anna", "--role", "researcher"], "", id="researcher-in-pdb"
    ),
]


@pytest.mark.parametrize(("args", "says"), BAD_COMMANDS)
@pytest.mark.requirement("LOG-1")
def test_bad_input_is_refused_with_a_sentence_and_changes_nothing(
    lg: Labgate, args: list[str], says: str
) -> None:
    before = lg.snapshot()
    result = lg.run(*args)
    assert result.exit_code != 0
    message = result.output.strip().splitlines()[-1]
    assert message.startswith("Error:")
    assert message.rstrip().endswith("."), message
    assert says in message
    assert "Traceback" not in result.output
    assert lg.snapshot() == before


@pytest.mark.requirement("PROJ-4")
def test_a_fourth_project_database_manager_is_refused_and_nothing_changes(lg: Labgate) -> None:
    for user in ("m1", "m2", "m3"):
        lg.ok("membership", "add", "pdb", user, "--role", "pdb_manager")
    before = lg.snapshot()
    result = lg.run("membership", "add", "pdb", "m4", "--role", "pdb_manager")
    assert result.exit_code == 1
    assert "Error:" in result.output
    assert lg.snapshot() == before


@pytest.mark.requirement("LOG-1")
def test_a_refused_write_is_itself_in_the_audit_log(lg: Labgate) -> None:
    lg.run("grant", "create", "fam", "bef", "--variables", "pnr,postcode", "--years", "2020")
    event = lg.last_event()
    assert (event.type, event.outcome, event.object_id) == ("grant.create", "denied", "fam")


@pytest.mark.requirement("DATA-5")
def test_an_identifying_variable_is_granted_with_a_written_justification(lg: Labgate) -> None:
    granted = lg.ok(
        "grant",
        "create",
        "fam",
        "bef",
        "--variables",
        "pnr,postcode",
        "--years",
        "2020",
        "--justification",
        "Postcode is needed to link neighbourhood deprivation indices.",
    )
    assert granted["variables"] == ["pnr", "postcode"]
    event = lg.last_event()
    assert event.type == "grant.create"
    assert "neighbourhood deprivation" in event.detail
