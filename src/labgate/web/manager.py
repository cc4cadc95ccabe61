"""The project-database manager's pages and API (issue 5): the project databases I manage,
their sub-projects and members, populations, the extracts granted to sub-projects (granting
and withdrawing them), and the minimisation and under-use warnings (PROJ-4..PROJ-7).

Every request needs the hub scope `pdb:manage` and, per object, `policy.manager_access`:
the project database in the address is one the person manages now, and every sub-project
or membership reached below it belongs to that project database. Anything else reads "not
found". Whether a grant may be made at all (PROJ-5: never beyond what the main project
holds) is decided by `policy.grants` inside `services.grants`; this module checks the
input's shape only, and shows the policy's sentence when it refuses. A manager withdraws
an extract of their own sub-projects only (`policy.manager_access.may_withdraw_extract`;
the project database's own grants are the steward's), through the steward's
`services.grants.withdraw_grant`; the enforcer then stops the sub-project's running
workspaces (WS-4).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final, TypeVar

import duckdb
from sqlalchemy.orm import Session
from tornado import web

from labgate.audit.log import record_as
from labgate.datastore.populations import create_population
from labgate.errors import Conflict, InvalidInput, LabgateError, NotFound
from labgate.names import CODE_MAX_LENGTH, CODE_PATTERN
from labgate.policy.decision import Decision
from labgate.policy.manager_access import (
    may_manage_database,
    may_manage_membership,
    may_manage_subproject,
    may_withdraw_extract,
)
from labgate.policy.staff import StaffFacts, not_found
from labgate.services.audited import audited_write
from labgate.services.grants import create_grant, withdraw_grant
from labgate.services.manager_views import (
    database_detail,
    database_warnings,
    extract_place,
    held_datasets,
    managed_databases,
    membership_place,
    project_place,
)
from labgate.services.projects import add_membership, end_membership
from labgate.services.steward_views import dataset_detail, grant_view, list_datasets
from labgate.vocabulary import MemberRole
from labgate.web.base import ApiHandler, LabgateHandler, status_for
from labgate.web.grant_input import GrantInput, code_field, grant_input, text_field
from labgate.web.inputs import CONTROL, is_object_number

T = TypeVar("T")

MAX_CONDITIONS: Final = 20
MAX_CONDITION_LENGTH: Final = 200
USERNAME: Final = re.compile(r"^[a-z_][a-z0-9_.-]{0,63}$")
#: Flash sentences after a redirect, by a fixed key (never text taken from the address).
DONE: Final = {
    "member-added": "The researcher was added to the sub-project.",
    "member-ended": "The membership was ended.",
    "population-created": "The population was created.",
    "extract-granted": "The extract was granted to the sub-project. It is written into the "
    "sub-project's data when a member next opens a workspace.",
    "extract-withdrawn": "The extract was withdrawn. The sub-project's running workspaces are "
    "stopped within a minute, and the next ones open without it.",
}


# --- access ------------------------------------------------------------------------------


def _code_in_address(text: str, noun: str = "project") -> str:
    """A code from the address; a malformed one names nothing (reads as not found)."""
    if len(text) > CODE_MAX_LENGTH or not CODE_PATTERN.match(text):
        raise NotFound(not_found(noun).message, reason="not-found")
    return text


def may_manage_pdb(handler: LabgateHandler, code: str) -> StaffFacts:
    """The hub scope, then the policy: the person manages this project database now."""
    pdb = _code_in_address(code)
    return handler.require("pdb:manage", lambda staff: may_manage_database(staff, pdb))


def _read(handler: LabgateHandler, fn: Callable[..., T], *args: Any) -> T:
    with handler.db.read_session() as s:
        return fn(s, *args)


def check_subproject(handler: LabgateHandler, pdb: str, sub: str) -> None:
    """The sub-project belongs to this project database, which the person manages."""
    staff = may_manage_pdb(handler, pdb)
    place = _read(handler, project_place, _code_in_address(sub))
    decision: Decision = (
        not_found("project")
        if place is None
        else may_manage_subproject(staff, pdb, place.code, place.scheme, place.parent)
    )
    decision.check(NotFound)


def object_number(text: str, noun: str) -> int:
    """A membership's or grant's number from the address; anything else names nothing."""
    if not is_object_number(text):
        raise NotFound(not_found(noun).message, reason="not-found")
    return int(text)


def membership_number(text: str) -> int:
    return object_number(text, "membership")


def check_membership(handler: LabgateHandler, pdb: str, membership_id: int) -> None:
    """A researcher membership of a sub-project of this project database."""
    staff = may_manage_pdb(handler, pdb)
    found = _read(handler, membership_place, membership_id)
    decision: Decision = (
        not_found("membership")
        if found is None
        else may_manage_membership(
            staff, pdb, found[0].code, found[0].scheme, found[0].parent, found[1]
        )
    )
    decision.check(NotFound)


def extract_number(text: str) -> int:
    return object_number(text, "grant")


def check_extract(handler: LabgateHandler, pdb: str, grant_id: int) -> None:
    """An extract in force of a sub-project of this project database; else "no such grant"."""
    staff = may_manage_pdb(handler, pdb)
    found = _read(handler, extract_place, grant_id)
    may_withdraw_extract(staff, pdb, found).check(NotFound)


# --- input -------------------------------------------------------------------------------


@dataclass(frozen=True)
class PopulationInput:
    name: str
    dataset: str
    conditions: tuple[str, ...]
    description: str


def username_field(value: Any) -> str:
    if not isinstance(value, str) or not USERNAME.match(value.strip()):
        raise InvalidInput(
            "'username' must be a person's labgate user name, for example 'sam'.",
            reason="invalid-username",
        )
    return value.strip()


def condition_list(values: Any) -> tuple[str, ...]:
    if values is None:
        return ()
    if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
        raise InvalidInput(
            "'conditions' must be a list of conditions, for example [\"kom = 101\", "
            '"year >= 2020"].',
            reason="invalid-conditions",
        )
    kept = tuple(v.strip() for v in values if v.strip())
    if len(kept) > MAX_CONDITIONS or any(
        len(v) > MAX_CONDITION_LENGTH or CONTROL.search(v) for v in kept
    ):
        raise InvalidInput(
            f"Give at most {MAX_CONDITIONS} conditions of at most {MAX_CONDITION_LENGTH} "
            "characters each, for example 'kom = 101'.",
            reason="invalid-conditions",
        )
    return kept


def population_input(body: Mapping[str, Any]) -> PopulationInput:
    return PopulationInput(
        name=code_field(body.get("name"), "name", "population"),
        dataset=code_field(body.get("dataset"), "dataset", "dataset"),
        conditions=condition_list(body.get("conditions")),
        description=text_field(body.get("description"), "description") or "",
    )


def extract_input(body: Mapping[str, Any]) -> GrantInput:
    """An extract is a grant to a sub-project: the steward's grant body, `subproject` named."""
    return grant_input({**body, "project": body.get("subproject")})


# --- the work (in a thread) --------------------------------------------------------------


def _as_input_error(fn: Callable[[], T]) -> T:
    """A body naming something that does not exist is a bad request, not a missing page."""
    try:
        return fn()
    except NotFound as error:
        raise InvalidInput(str(error), reason=error.reason) from error


def _add_member(handler: LabgateHandler, sub: str, username: str) -> dict[str, Any]:
    actor = handler.actor()

    def add(s: Session) -> dict[str, Any]:
        m = add_membership(s, actor, code=sub, username=username, role=MemberRole.RESEARCHER)
        return {"id": m.id, "project": sub, "person": username, "role": m.role,
                "valid_from": m.valid_from, "valid_until": m.valid_until}  # fmt: skip

    return _as_input_error(lambda: audited_write(
        handler.db, actor, type="membership.add", object_kind="project", object_id=sub,
        action=add,
    ))  # fmt: skip


def _end_member(handler: LabgateHandler, membership_id: int) -> dict[str, Any]:
    actor = handler.actor()

    def end(s: Session) -> dict[str, Any]:
        m = end_membership(s, actor, membership_id=membership_id)
        return {"id": m.id, "ended_at": m.ended_at}

    return audited_write(
        handler.db, actor, type="membership.end", object_kind="membership",
        object_id=str(membership_id), action=end,
    )  # fmt: skip


def _grant_extract(handler: LabgateHandler, data: GrantInput) -> dict[str, Any]:
    actor = handler.actor()

    def create(s: Session) -> dict[str, Any]:
        grant = create_grant(
            s, actor, project_code=data.project, dataset_code=data.dataset,
            variables=data.variables, years=data.years, population=data.population,
            justification=data.justification,
        )  # fmt: skip
        return grant_view(s, grant)

    return _as_input_error(lambda: audited_write(
        handler.db, actor, type="grant.create", object_kind="project", object_id=data.project,
        action=create,
    ))  # fmt: skip


def _withdraw_extract(handler: LabgateHandler, grant_id: int, reason: str | None) -> dict[str, Any]:
    """Through the steward's service; a refusal (no reason, frozen grants) is recorded too,
    as the CLI does."""
    actor = handler.actor()

    def withdraw(s: Session) -> dict[str, Any]:
        return grant_view(s, withdraw_grant(s, actor, grant_id=grant_id, reason=reason or ""))

    return audited_write(
        handler.db, actor, type="grant.withdraw", object_kind="grant", object_id=str(grant_id),
        action=withdraw,
    )  # fmt: skip


def _create_population(handler: LabgateHandler, pdb: str, data: PopulationInput) -> dict[str, Any]:
    """Select the population; a refusal is recorded too (as the CLI does), then raised."""
    actor, db = handler.actor(), handler.db
    try:
        pop = create_population(
            db, handler.settings["store"], actor, project_code=pdb, name=data.name,
            dataset_code=data.dataset, conditions=data.conditions, description=data.description,
        )  # fmt: skip
    except (LabgateError, duckdb.Error) as error:
        refusal = _population_refusal(error)
        with db.session() as s:
            record_as(s, actor, "population.create", "project", pdb, outcome="denied",
                      detail={"reason": refusal.reason, "population": data.name})  # fmt: skip
        raise refusal from error
    return {"project": pdb, "name": pop.name, "size": pop.size, "definition": pop.definition,
            "description": pop.description}  # fmt: skip


def _population_refusal(error: Exception) -> LabgateError:
    if isinstance(error, Conflict | InvalidInput):
        return error
    if isinstance(error, NotFound):
        return InvalidInput(str(error), reason=error.reason)
    return InvalidInput(
        "A condition could not be applied to the data: compare each column with a value of "
        "its own type, for example 'kom = 101' or 'year >= 2020'.",
        reason="invalid-condition-value",
    )


# --- pages -------------------------------------------------------------------------------


class DatabasesPage(LabgateHandler):
    @web.authenticated
    async def get(self) -> None:
        staff = self.require("pdb:manage")
        found = await self.blocking(_read, self, managed_databases, staff.managed, self.now())
        self.render_page("labgate/manager/index.html", page_title="Project databases", pdbs=found)


class DatabaseShown(LabgateHandler):
    """One project database's page; its forms answer with it again when refused."""

    async def _show(self, code: str, error: str | None = None, **form: Any) -> None:
        pdb = await self.blocking(_read, self, database_detail, code, self.now())
        held = await self.blocking(_read, self, held_datasets, code)
        self.render_page(
            "labgate/manager/pdb.html",
            page_title=f"Project database {code}",
            pdb=pdb,
            held=held,
            flash=DONE.get(self.get_argument("done", "")),
            error=error,
            form=form,
        )

    async def _refused(self, code: str, error: LabgateError, **form: Any) -> None:
        self.set_status(status_for(error))
        await self._show(code, error=str(error), **form)


class DatabasePage(DatabaseShown):
    @web.authenticated
    async def get(self, code: str) -> None:
        may_manage_pdb(self, code)
        await self._show(code)


class AddMemberPage(DatabaseShown):
    @web.authenticated
    async def post(self, code: str) -> None:
        may_manage_pdb(self, code)
        sub = self.get_argument("subproject", "")
        await self.blocking(check_subproject, self, code, sub)
        try:
            username = username_field(self.get_argument("username", ""))
            await self.blocking(_add_member, self, sub, username)
        except (InvalidInput, Conflict) as error:
            await self._refused(code, error)
            return
        self.redirect(f"{self.prefix}manage/{code}?done=member-added")


class EndMemberPage(DatabaseShown):
    @web.authenticated
    async def post(self, code: str, number: str) -> None:
        membership_id = membership_number(number)
        await self.blocking(check_membership, self, code, membership_id)
        try:
            await self.blocking(_end_member, self, membership_id)
        except (InvalidInput, Conflict) as error:
            await self._refused(code, error)
            return
        self.redirect(f"{self.prefix}manage/{code}?done=member-ended")


class PopulationPage(DatabaseShown):
    @web.authenticated
    async def post(self, code: str) -> None:
        may_manage_pdb(self, code)
        conditions = [c for c in self.get_argument("conditions", "").splitlines() if c.strip()]
        body = {"name": self.get_argument("name", ""), "dataset": self.get_argument("dataset", ""),
                "conditions": conditions,
                "description": self.get_argument("description", "")}  # fmt: skip
        try:
            await self.blocking(_create_population, self, code, population_input(body))
        except (InvalidInput, Conflict) as error:
            await self._refused(code, error)
            return
        self.redirect(f"{self.prefix}manage/{code}?done=population-created")


async def render_extract_form(
    handler: LabgateHandler, code: str, chosen: Mapping[str, Any], error: str | None
) -> None:
    """The extract form: every variable and year of the chosen dataset, what the project
    database holds marked, so that a refusal (PROJ-5) is the policy's to explain."""
    pdb = await handler.blocking(_read, handler, database_detail, code, handler.now())
    held = await handler.blocking(_read, handler, held_datasets, code)
    datasets = await handler.blocking(_read, handler, list_datasets)
    chosen_code = chosen.get("dataset") or ""
    ds = None
    if any(d["code"] == chosen_code for d in datasets):
        ds = await handler.blocking(_read, handler, dataset_detail, chosen_code)
    holding = next((h for h in held if h["dataset"] == chosen_code), None)
    handler.render_page(
        "labgate/manager/extract_new.html",
        page_title=f"New extract from {code}",
        error=error,
        pdb=pdb,
        held=held,
        ds=ds,
        holding=holding,
        chosen_subproject=chosen.get("subproject") or "",
        chosen_variables=set(chosen.get("variables") or ()),
        chosen_years={str(y) for y in chosen.get("years") or ()},
        chosen_population=chosen.get("population") or "",
        justification=chosen.get("justification") or "",
    )


class NewExtractPage(LabgateHandler):
    @web.authenticated
    async def get(self, code: str) -> None:
        may_manage_pdb(self, code)
        chosen = {
            "subproject": self.get_argument("subproject", ""),
            "dataset": self.get_argument("dataset", ""),
        }
        await render_extract_form(self, code, chosen, None)


class ExtractPage(LabgateHandler):
    @web.authenticated
    async def post(self, code: str) -> None:
        may_manage_pdb(self, code)
        body = {
            "subproject": self.get_argument("subproject", ""),
            "dataset": self.get_argument("dataset", ""),
            "variables": self.get_arguments("variable"),
            "years": self.get_arguments("year"),
            "population": self.get_argument("population", ""),
            "justification": self.get_argument("justification", ""),
        }
        await self.blocking(check_subproject, self, code, body["subproject"])
        try:
            await self.blocking(_grant_extract, self, extract_input(body))
        except (InvalidInput, Conflict) as error:
            self.set_status(status_for(error))
            await render_extract_form(self, code, body, str(error))
            return
        self.redirect(f"{self.prefix}manage/{code}?done=extract-granted")


class WithdrawExtractPage(DatabaseShown):
    @web.authenticated
    async def post(self, code: str, number: str) -> None:
        grant_id = extract_number(number)
        await self.blocking(check_extract, self, code, grant_id)
        try:
            reason = text_field(self.get_argument("reason", ""), "reason")
            await self.blocking(_withdraw_extract, self, grant_id, reason)
        except (InvalidInput, Conflict) as error:
            await self._refused(code, error)
            return
        self.redirect(f"{self.prefix}manage/{code}?done=extract-withdrawn")


# --- API ---------------------------------------------------------------------------------


class ManagerApi(ApiHandler):
    """The manager's API handlers (token XSRF exemption: see LabgateHandler)."""


class DatabasesApi(ManagerApi):
    async def get(self) -> None:
        staff = self.require("pdb:manage")
        self.write_json(
            await self.blocking(_read, self, managed_databases, staff.managed, self.now())
        )


class DatabaseApi(ManagerApi):
    async def get(self, code: str) -> None:
        may_manage_pdb(self, code)
        self.write_json(await self.blocking(_read, self, database_detail, code, self.now()))


class WarningsApi(ManagerApi):
    async def get(self, code: str) -> None:
        may_manage_pdb(self, code)
        self.write_json(await self.blocking(_read, self, database_warnings, code, self.now()))


class PopulationsApi(ManagerApi):
    async def post(self, code: str) -> None:
        may_manage_pdb(self, code)
        data = population_input(self.json_body())
        self.write_json(await self.blocking(_create_population, self, code, data), 201)


class ExtractsApi(ManagerApi):
    async def post(self, code: str) -> None:
        may_manage_pdb(self, code)
        data = extract_input(self.json_body())
        await self.blocking(check_subproject, self, code, data.project)
        self.write_json(await self.blocking(_grant_extract, self, data), 201)


class WithdrawExtractApi(ManagerApi):
    async def post(self, code: str, number: str) -> None:
        grant_id = extract_number(number)
        await self.blocking(check_extract, self, code, grant_id)
        reason = text_field(self.json_body().get("reason"), "reason")
        self.write_json(await self.blocking(_withdraw_extract, self, grant_id, reason))


class MembersApi(ManagerApi):
    async def post(self, code: str, sub: str) -> None:
        await self.blocking(check_subproject, self, code, sub)
        username = username_field(self.json_body().get("username"))
        self.write_json(await self.blocking(_add_member, self, sub, username), 201)


class EndMemberApi(ManagerApi):
    async def post(self, code: str, number: str) -> None:
        membership_id = membership_number(number)
        await self.blocking(check_membership, self, code, membership_id)
        self.write_json(await self.blocking(_end_member, self, membership_id))


ROUTES: list[tuple[str, type[web.RequestHandler]]] = [
    ("manage", DatabasesPage),
    (r"manage/([^/]+)", DatabasePage),
    (r"manage/([^/]+)/members", AddMemberPage),
    (r"manage/([^/]+)/memberships/([^/]+)/end", EndMemberPage),
    (r"manage/([^/]+)/populations", PopulationPage),
    (r"manage/([^/]+)/extracts", ExtractPage),
    (r"manage/([^/]+)/extracts/new", NewExtractPage),
    (r"manage/([^/]+)/extracts/([^/]+)/withdraw", WithdrawExtractPage),
    ("api/pdb", DatabasesApi),
    (r"api/pdb/([^/]+)", DatabaseApi),
    (r"api/pdb/([^/]+)/warnings", WarningsApi),
    (r"api/pdb/([^/]+)/populations", PopulationsApi),
    (r"api/pdb/([^/]+)/extracts", ExtractsApi),
    (r"api/pdb/([^/]+)/extracts/([^/]+)/withdraw", WithdrawExtractApi),
    (r"api/pdb/([^/]+)/subprojects/([^/]+)/members", MembersApi),
    (r"api/pdb/([^/]+)/memberships/([^/]+)/end", EndMemberApi),
]
