"""Every refusal policy gives is a stable kebab-case reason and one or two full sentences."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import Any

import pytest

from labgate.policy.control import review_overdue
from labgate.policy.decision import Decision
from labgate.policy.facts import GrantFacts, InstitutionFacts, ProjectFacts
from labgate.policy.grants import may_withdraw_grant, validate_grant
from labgate.policy.identity import (
    institution_authorised,
    may_end_authorisation,
    may_enrol_second_factor,
    may_log_in,
    may_own_project_database,
    may_receive_dataset,
    may_remove_second_factor,
    validate_institution_authorisation,
    validate_new_authorisation,
)
from labgate.policy.minimisation import minimisation_report, under_use_report
from labgate.policy.projects import (
    may_end_membership,
    may_expire,
    validate_extension,
    validate_membership,
    validate_project,
    validate_renewal,
)
from labgate.policy.workspaces import may_start_workspace
from tests.policy.factories import (
    NOW,
    TODAY,
    at,
    authorisation,
    dataset,
    grant,
    inst_auth,
    institution,
    membership,
    person,
    project,
    request,
)

D = dt.date.fromisoformat
PDB = project(1, "project_database", access_ends_on=D("2028-01-01"))
SUB = project(2, "sub_project", parent_id=1)
MANAGERS = tuple(membership(i, 100, "pdb_manager") for i in (1, 2, 3))
LAPSED = institution(authorisations=(inst_auth("researcher", "2025-01-01", "2026-01-01"),))


def grant_to(
    req_kw: dict[str, Any], p: ProjectFacts | None = None, parent: list[GrantFacts] | None = None
) -> Decision:
    target = project() if p is None else p
    return validate_grant(request(**req_kw), target, dataset(), institution(), parent, NOW, "DK")


def member(
    p: ProjectFacts,
    role: str = "researcher",
    start: str = "2026-07-01",
    end: str = "2026-12-01",
    inst: InstitutionFacts | None = None,
) -> Decision:
    inst = institution() if inst is None else inst
    return validate_membership(p, person(10), inst, role, D(start), D(end), TODAY)


DENIALS: dict[str, Callable[[], Decision]] = {
    # identity
    "institution-not-authorised": lambda: institution_authorised(LAPSED, "authority", TODAY),
    "project-database-exists": lambda: may_own_project_database(
        institution(project_database_count=1)
    ),
    "foreign-institution": lambda: may_receive_dataset(institution(country="NO"), dataset(), "DK"),
    "no-authorisation": lambda: may_log_in(person(authorised=False), institution(), NOW),
    "login-institution-not-authorised": lambda: may_log_in(person(), LAPSED, NOW),
    "auth-inverted-period": lambda: validate_new_authorisation(
        [], at("2027-01-01"), at("2026-07-01"), NOW
    ),
    "period-in-past": lambda: validate_new_authorisation(
        [], at("2025-01-01"), at("2025-07-01"), NOW
    ),
    "overlapping-authorisation": lambda: validate_new_authorisation(
        [authorisation()], at("2026-07-01"), at("2027-07-01"), NOW
    ),
    "already-ended": lambda: may_end_authorisation(authorisation(ended_at=at("2026-02-01")), NOW),
    "already-expired": lambda: may_end_authorisation(
        authorisation("2025-01-01", "2026-01-01"), NOW
    ),
    "second-factor-not-enrolled": lambda: may_remove_second_factor("tove", enrolled=False),
    "second-factor-already-enrolled": lambda: may_enrol_second_factor(
        "tove", enrolled=True, replace=False
    ),
    "inst-invalid-scheme": lambda: validate_institution_authorisation([], inst_auth("hobby")),
    "inst-inverted-period": lambda: validate_institution_authorisation(
        [], inst_auth("researcher", "2027-01-01", "2026-01-01")
    ),
    "missing-security-policy": lambda: validate_institution_authorisation([], inst_auth(ref="")),
    "inst-overlapping-authorisation": lambda: validate_institution_authorisation(
        [inst_auth()], inst_auth()
    ),
    # projects
    "invalid-scheme": lambda: validate_project(project(scheme="x"), None, institution(), TODAY),
    "missing-purpose": lambda: validate_project(project(purpose=""), None, institution(), TODAY),
    "missing-legal-basis": lambda: validate_project(
        project(legal_basis_art6=""), None, institution(), TODAY
    ),
    "dpia": lambda: validate_project(project(dpia_reference=None), None, institution(), TODAY),
    "inverted-period": lambda: validate_project(
        project(access_ends_on=D("2025-01-01")), None, institution(), TODAY
    ),
    "deletion-before-end": lambda: validate_project(
        project(deletion_deadline=D("2026-06-01")), None, institution(), TODAY
    ),
    "parent-not-allowed": lambda: validate_project(project(), PDB, institution(), TODAY),
    "needs-project-database": lambda: validate_project(SUB, None, institution(), TODAY),
    "different-institution": lambda: validate_project(
        project(2, "sub_project", parent_id=1, owner_institution_id=9), PDB, institution(), TODAY
    ),
    "beyond-parent": lambda: validate_project(
        SUB, project(1, "project_database", access_ends_on=D("2026-12-01")), institution(), TODAY
    ),
    "term-too-long": lambda: validate_project(
        project(scheme="authority", access_ends_on=D("2027-02-01")), None, institution(), TODAY
    ),
    "pdb-term-too-long": lambda: validate_project(
        project(
            scheme="project_database",
            access_ends_on=D("2028-02-01"),
            deletion_deadline=D("2028-06-01"),
        ),
        None,
        institution(),
        TODAY,
    ),
    "not-authority": lambda: validate_renewal(project(), D("2027-06-01"), [], [], [], TODAY),
    "deleted": lambda: validate_renewal(
        project(scheme="authority", deleted_at=NOW), D("2027-06-01"), [], [], [], TODAY
    ),
    "not-later": lambda: validate_renewal(
        project(scheme="authority"), D("2026-06-01"), [], [], [], TODAY
    ),
    "renewal-term-too-long": lambda: validate_renewal(
        project(scheme="authority"), D("2028-06-01"), [], [], [], TODAY
    ),
    "kept-and-removed": lambda: validate_renewal(
        project(scheme="authority"), D("2027-06-01"), [1], [1], [1], TODAY
    ),
    "unknown-grant": lambda: validate_renewal(
        project(scheme="authority"), D("2027-06-01"), [1], [1, 2], [], TODAY
    ),
    "unreviewed-grant": lambda: validate_renewal(
        project(scheme="authority"), D("2027-06-01"), [1, 2], [1], [], TODAY
    ),
    "not-project-database": lambda: validate_extension(project(), D("2027-06-01"), TODAY),
    "extension-not-later": lambda: validate_extension(PDB, D("2027-06-01"), TODAY),
    "extension-term-too-long": lambda: validate_extension(PDB, D("2031-01-01"), TODAY),
    "extension-deleted": lambda: validate_extension(
        project(scheme="project_database", deleted_at=NOW), D("2027-06-01"), TODAY
    ),
    "project-already-ended": lambda: may_expire(project(expired_at=at("2026-01-02")), NOW),
    # memberships
    "invalid-role": lambda: member(project(), "owner"),
    "project-ended": lambda: member(project(access_ends_on=TODAY)),
    "manager-outside-project-database": lambda: member(project(), "pdb_manager"),
    "research-in-project-database": lambda: member(project(scheme="project_database")),
    "membership-inverted-period": lambda: member(project(), start="2026-09-01", end="2026-08-01"),
    "outside-project-period": lambda: member(project(), end="2027-06-01"),
    "already-member": lambda: member(project(memberships=(membership(10, 100),))),
    "member-institution-not-authorised": lambda: member(project(), inst=LAPSED),
    "too-many-managers": lambda: member(
        project(scheme="project_database", memberships=MANAGERS), "pdb_manager"
    ),
    "membership-already-ended": lambda: may_end_membership(
        project(), membership(ended_at=at("2026-02-01")), NOW
    ),
    # grants
    "empty-grant": lambda: grant_to({"variables": set()}),
    "unknown-variable": lambda: grant_to({"variables": {3, 99}}),
    "unknown-year": lambda: grant_to({"years": {2030}}),
    "identifiers-only": lambda: grant_to({"variables": {1}}),
    "justification-required": lambda: grant_to({"variables": {3, 4}}),
    "grant-beyond-parent": lambda: grant_to(
        {"project_id": 2, "variables": {3, 5}, "years": {2020, 2022}},
        SUB,
        [grant(1, 1, {3}, {2020})],
    ),
    "population-outside-sub-project": lambda: grant_to({"population_id": 3}),
    "grants-frozen": lambda: grant_to({}, project(access_ends_on=TODAY)),
    "already-withdrawn": lambda: may_withdraw_grant(
        grant(withdrawn_at=at("2026-02-01")), project(), NOW
    ),
    "withdraw-grants-frozen": lambda: may_withdraw_grant(
        grant(), project(access_ends_on=TODAY), NOW
    ),
    # workspaces
    "no-such-project": lambda: may_start_workspace(person(), institution(), project(), NOW),
    "not-started": lambda: may_start_workspace(
        person(),
        institution(),
        project(starts_on=D("2026-07-01"), memberships=(membership(10, 100),)),
        NOW,
    ),
    "access-ended": lambda: may_start_workspace(
        person(),
        institution(),
        project(expired_at=at("2026-06-01"), memberships=(membership(10, 100),)),
        NOW,
    ),
    # control
    "review-overdue": lambda: review_overdue(None, at("2025-01-01"), NOW),
}

KEBAB = re.compile(r"^[a-z]+(-[a-z]+)*$")
SENTENCE_END = re.compile(r"[.!?][\"')]*$")


def _reads_as_sentences(message: str) -> bool:
    sentences = [s for s in re.split(r"(?<=[.!?])\s+(?=[A-Z])", message.strip()) if s]
    return (
        message[:1].isupper()
        and bool(SENTENCE_END.search(message))
        and 1 <= len(sentences) <= 3
        and "None" not in message
        and "{" not in message
        and "  " not in message
    )


@pytest.mark.parametrize("case", sorted(DENIALS))
def test_every_denial_has_a_kebab_case_reason_and_reads_as_sentences(case: str) -> None:
    decision = DENIALS[case]()
    assert not decision.allowed, case
    assert KEBAB.match(decision.reason), decision.reason
    assert _reads_as_sentences(decision.message), decision.message


def test_each_case_is_named_after_the_reason_it_produces() -> None:
    """A case is its reason, or a variant of it ("<where>-<reason>")."""
    for case, make in DENIALS.items():
        reason = make().reason
        assert case == reason or case.endswith(f"-{reason}"), (case, reason)
    assert len({make().reason for make in DENIALS.values()}) >= 45


def test_report_messages_read_as_sentences() -> None:
    subs = [project(5, "sub_project", parent_id=PDB.id)]
    flags = minimisation_report(PDB, subs, [grant(1, PDB.id), grant(2, 5)], NOW)
    messages = [f.message for f in flags] + [
        under_use_report(PDB, subs, NOW).message,
        under_use_report(PDB, [], NOW).message,
        under_use_report(PDB, subs, NOW, min_active=1).message,
    ]
    assert len(messages) == 4
    for message in messages:
        assert _reads_as_sentences(message), message
