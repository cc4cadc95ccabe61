"""A small, realistic world built through the CLI itself: institutions, people, projects."""

from __future__ import annotations

import datetime as dt

from tests.cli.harness import Labgate

TODAY = dt.date(2026, 3, 2)


def build_world(lg: Labgate) -> None:
    lg.ok("institution", "create", "au", "--name", "Aarhus University", "--country", "DK")
    for scheme in ("researcher", "project_database", "authority"):
        lg.ok(
            "institution",
            "authorise",
            "au",
            "--scheme",
            scheme,
            "--from",
            "2026-01-01",
            "--until",
            "2028-12-31",
            "--security-policy",
            "AU-ISMS-2026",
        )
    lg.ok("person", "create", "anna", "--name", "Anna Jensen", "--institution", "au")
    lg.ok("person", "create", "bo", "--name", "Bo Nielsen", "--institution", "au")
    for user in ("m1", "m2", "m3", "m4"):
        lg.ok("person", "create", user, "--name", f"Manager {user}", "--institution", "au")
    lg.ok("authorisation", "grant", "anna", "--from", "2026-01-01", "--until", "2027-01-01")
    lg.ok(
        "project",
        "create",
        "fam",
        "--title",
        "Family and income",
        "--scheme",
        "researcher",
        "--owner",
        "au",
        "--purpose",
        "Income mobility across generations.",
        "--legal-basis",
        "6(1)(e)",
        "--dpia",
        "DPIA-17",
        "--starts",
        "2026-03-01",
        "--access-ends",
        "2027-03-01",
        "--deletion-deadline",
        "2027-06-01",
    )
    lg.ok(
        "project",
        "create",
        "pdb",
        "--title",
        "Health project database",
        "--scheme",
        "project_database",
        "--owner",
        "au",
        "--purpose",
        "Populations for health studies.",
        "--legal-basis",
        "6(1)(e)",
        "--art9",
        "9(2)(j)",
        "--dpia",
        "DPIA-20",
        "--starts",
        "2026-03-01",
    )
    lg.ok(
        "project",
        "create",
        "sub1",
        "--title",
        "Diabetes sub-project",
        "--scheme",
        "sub_project",
        "--owner",
        "au",
        "--parent",
        "pdb",
        "--purpose",
        "Diabetes and employment.",
        "--legal-basis",
        "6(1)(e)",
        "--dpia",
        "DPIA-21",
        "--starts",
        "2026-03-01",
        "--access-ends",
        "2027-03-01",
    )
    lg.ok(
        "dataset",
        "create",
        "bef",
        "--title",
        "Population register",
        "--variable",
        "pnr:string:identifier",
        "--variable",
        "year:int:year",
        "--variable",
        "kom:int",
        "--variable",
        "postcode:string:identifying",
        "--variable",
        "protected:bool:protected",
        "--years",
        "2019-2024",
    )
    lg.ok("grant", "create", "pdb", "bef", "--variables", "pnr,year,kom", "--years", "2020-2022")
