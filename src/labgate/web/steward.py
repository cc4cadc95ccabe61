"""The data steward's pages and API (issue 5): datasets and their variables' flags, grants
with variable and year pickers, withdrawing a grant, and materialising one as a job.

Reads need the hub scope `datasets:read`, writes `grants:write`, and both the policy's
`may_steward` (the person is a data steward in labgate's register now). Whether a grant may
be made at all (DATA-4, DATA-5, PROJ-5, INST-3) is decided by `policy.grants` inside
`services.grants`; this module only checks that the input has the right shape, and shows
the policy's sentence when it refuses.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from sqlalchemy.orm import Session
from tornado import web

from labgate.datastore.materialise import materialise_grant
from labgate.datastore.plan import load_plan
from labgate.errors import Conflict, InvalidInput, NotFound
from labgate.names import CODE_MAX_LENGTH, CODE_PATTERN
from labgate.policy.staff import StaffFacts, may_steward
from labgate.services.audited import audited_write
from labgate.services.grants import create_grant, withdraw_grant
from labgate.services.steward_views import (
    dataset_detail,
    grant_detail,
    grant_view,
    list_datasets,
    list_grants,
    project_choices,
)
from labgate.web.base import ApiHandler, LabgateHandler, status_for
from labgate.web.grant_input import GrantInput, code_field, grant_input, text_field
from labgate.web.inputs import number_in_address
from labgate.web.jobs import JOB_ID, RUNNER, Job, Progress
from labgate.web.jobs import ROUTES as JOB_ROUTES
from labgate.web.scopes import scope

#: Flash sentences after a redirect, by a fixed key (never text taken from the address).
DONE: Final = {
    "created": "The grant was created.",
    "withdrawn": "The grant was withdrawn.",
}


# --- access ------------------------------------------------------------------------------


def may_read(handler: LabgateHandler) -> StaffFacts:
    return handler.require("datasets:read", may_steward)


def may_write(handler: LabgateHandler) -> StaffFacts:
    return handler.require("grants:write", may_steward)


# --- input -------------------------------------------------------------------------------


def grant_number(text: str) -> int:
    """A grant number from the address; anything else is a grant that does not exist."""
    return number_in_address(text, "grant")


def dataset_code(text: str) -> str:
    """A dataset code from the address; a malformed one names no dataset."""
    if len(text) > CODE_MAX_LENGTH or not CODE_PATTERN.match(text):
        raise NotFound(
            "There is no dataset with that code. Pick one from the list of datasets.",
            reason="no-such-dataset",
        )
    return text


def project_filter(value: str | None) -> str | None:
    if value is None or value == "":
        return None
    return code_field(value, "project", "project")


# --- the work (in a thread) --------------------------------------------------------------


def _create(handler: LabgateHandler, data: GrantInput) -> dict[str, Any]:
    """Create the grant; a refusal is recorded too (as the CLI does), then raised."""
    actor = handler.actor()

    def create(s: Session) -> dict[str, Any]:
        grant = create_grant(
            s,
            actor,
            project_code=data.project,
            dataset_code=data.dataset,
            variables=data.variables,
            years=data.years,
            population=data.population,
            justification=data.justification,
        )
        return grant_view(s, grant)

    return audited_write(
        handler.db, actor, type="grant.create", object_kind="project",
        object_id=data.project, action=create,
    )  # fmt: skip


def _withdraw(handler: LabgateHandler, grant_id: int, reason: str) -> dict[str, Any]:
    actor = handler.actor()

    def withdraw(s: Session) -> dict[str, Any]:
        return grant_view(s, withdraw_grant(s, actor, grant_id=grant_id, reason=reason))

    return audited_write(
        handler.db, actor, type="grant.withdraw", object_kind="grant",
        object_id=str(grant_id), action=withdraw,
    )  # fmt: skip


def _read(handler: LabgateHandler, fn: Any, *args: Any) -> Any:
    with handler.db.read_session() as s:
        return fn(s, *args)


def _start_materialise(handler: LabgateHandler, grant_id: int) -> Job:
    """Check now what can be checked (the grant exists and is in force), then start the job."""
    db, store, actor = handler.db, handler.settings["store"], handler.actor()
    plan = audited_write(
        db, actor, type="data.materialise", object_kind="grant", object_id=str(grant_id),
        action=lambda s: load_plan(s, grant_id),
    )  # fmt: skip

    def work(progress: Progress) -> dict[str, Any]:
        progress.step(f"Writing {plan.dataset} into the data of {plan.project}.", done=1)
        done = materialise_grant(db, store, actor, grant_id)
        return {
            "grant": grant_id,
            "project": done.project,
            "dataset": done.dataset,
            "rows": done.rows,
            "written": done.written,
        }

    title = f"Materialise grant {grant_id} ({plan.dataset} for {plan.project})"
    return RUNNER.start(handler.staff.username, "materialise", title, 2, work)


# --- pages -------------------------------------------------------------------------------


class DatasetsPage(LabgateHandler):
    @web.authenticated
    async def get(self) -> None:
        may_read(self)
        datasets = await self.blocking(_read, self, list_datasets)
        self.render_page("labgate/steward/datasets.html", page_title="Datasets", datasets=datasets)


class DatasetPage(LabgateHandler):
    @web.authenticated
    async def get(self, code: str) -> None:
        may_read(self)
        dataset = await self.blocking(_read, self, dataset_detail, dataset_code(code))
        self.render_page(
            "labgate/steward/dataset.html", page_title=f"Dataset {dataset['code']}", ds=dataset
        )


class GrantsPage(LabgateHandler):
    @web.authenticated
    async def get(self) -> None:
        may_read(self)
        project = project_filter(self.get_argument("project", None))
        grants = await self.blocking(_read, self, list_grants, project)
        projects = await self.blocking(_read, self, project_choices)
        self.render_page(
            "labgate/steward/grants.html",
            page_title="Grants",
            grants=grants,
            projects=projects,
            project=project,
            may_write=scope("grants:write") in self.staff.scopes,
        )

    @web.authenticated
    async def post(self) -> None:
        """The grant form: create, or show the form again with the policy's sentence."""
        may_write(self)
        body = {
            "project": self.get_argument("project", ""),
            "dataset": self.get_argument("dataset", ""),
            "variables": self.get_arguments("variable"),
            "years": self.get_arguments("year"),
            "justification": self.get_argument("justification", ""),
        }
        try:
            grant = await self.blocking(_create, self, grant_input(body))
        except (InvalidInput, NotFound, Conflict) as error:
            self.set_status(400)
            await self._form(body, error=str(error))
            return
        self.redirect(f"{self.prefix}steward/grants/{grant['id']}?done=created")

    async def _form(self, chosen: Mapping[str, Any], error: str | None = None) -> None:
        await render_grant_form(self, chosen, error)


async def render_grant_form(
    handler: LabgateHandler, chosen: Mapping[str, Any], error: str | None
) -> None:
    """The form with the chosen dataset's variables and years as checkboxes."""
    projects = await handler.blocking(_read, handler, project_choices)
    datasets = await handler.blocking(_read, handler, list_datasets)
    dataset = None
    code = chosen.get("dataset") or ""
    if code and any(d["code"] == code for d in datasets):
        dataset = await handler.blocking(_read, handler, dataset_detail, code)
    handler.render_page(
        "labgate/steward/grant_new.html",
        page_title="New grant",
        error=error,
        projects=projects,
        datasets=datasets,
        ds=dataset,
        chosen_project=chosen.get("project") or "",
        chosen_variables=set(chosen.get("variables") or ()),
        chosen_years={str(y) for y in chosen.get("years") or ()},
        justification=chosen.get("justification") or "",
    )


class NewGrantPage(LabgateHandler):
    @web.authenticated
    async def get(self) -> None:
        may_write(self)
        chosen = {
            "project": self.get_argument("project", ""),
            "dataset": self.get_argument("dataset", ""),
        }
        await render_grant_form(self, chosen, None)


class GrantShown(LabgateHandler):
    """One grant's page; its forms answer with it again when they are refused."""

    async def _show(self, grant_id: int, error: str | None = None) -> None:
        grant = await self.blocking(_read, self, grant_detail, grant_id)
        job = self.get_argument("job", "")
        self.render_page(
            "labgate/steward/grant.html",
            page_title=f"Grant {grant_id}",
            g=grant,
            flash=DONE.get(self.get_argument("done", "")),
            error=error,
            job=job if JOB_ID.match(job) else "",
            may_write=scope("grants:write") in self.staff.scopes,
        )


class GrantPage(GrantShown):
    @web.authenticated
    async def get(self, number: str) -> None:
        may_read(self)
        await self._show(grant_number(number))


class WithdrawGrantPage(GrantShown):
    @web.authenticated
    async def post(self, number: str) -> None:
        may_write(self)
        grant_id = grant_number(number)
        try:
            reason = text_field(self.get_argument("reason", ""), "reason", required=True)
            await self.blocking(_withdraw, self, grant_id, reason or "")
        except (InvalidInput, Conflict) as error:
            self.set_status(status_for(error))
            await self._show(grant_id, error=str(error))
            return
        self.redirect(f"{self.prefix}steward/grants/{grant_id}?done=withdrawn")


class MaterialiseGrantPage(GrantShown):
    @web.authenticated
    async def post(self, number: str) -> None:
        may_write(self)
        grant_id = grant_number(number)
        try:
            job = await self.blocking(_start_materialise, self, grant_id)
        except (InvalidInput, Conflict) as error:
            self.set_status(status_for(error))
            await self._show(grant_id, error=str(error))
            return
        self.redirect(f"{self.prefix}steward/grants/{grant_id}?job={job.id}")


# --- API ---------------------------------------------------------------------------------


class StewardApi(ApiHandler):
    """The steward's API handlers (token XSRF exemption: see LabgateHandler)."""


class DatasetsApi(StewardApi):
    async def get(self) -> None:
        may_read(self)
        self.write_json(await self.blocking(_read, self, list_datasets))


class DatasetApi(StewardApi):
    async def get(self, code: str) -> None:
        may_read(self)
        self.write_json(await self.blocking(_read, self, dataset_detail, dataset_code(code)))


class GrantsApi(StewardApi):
    async def get(self) -> None:
        may_read(self)
        project = project_filter(self.get_argument("project", None))
        self.write_json(await self.blocking(_read, self, list_grants, project))

    async def post(self) -> None:
        may_write(self)
        data = grant_input(self.json_body())
        self.write_json(await self.blocking(_create, self, data), 201)


class GrantApi(StewardApi):
    async def get(self, number: str) -> None:
        may_read(self)
        self.write_json(await self.blocking(_read, self, grant_detail, grant_number(number)))


class WithdrawGrantApi(StewardApi):
    async def post(self, number: str) -> None:
        may_write(self)
        grant_id = grant_number(number)
        reason = text_field(self.json_body().get("reason"), "reason", required=True)
        self.write_json(await self.blocking(_withdraw, self, grant_id, reason or ""))


class MaterialiseGrantApi(StewardApi):
    async def post(self, number: str) -> None:
        may_write(self)
        job = await self.blocking(_start_materialise, self, grant_number(number))
        self.set_header("Location", f"{self.prefix}api/jobs/{job.id}")
        self.write_json(job.to_json(), 202)


ROUTES: list[tuple[str, type[web.RequestHandler]]] = [
    ("steward", DatasetsPage),
    (r"steward/datasets/([^/]+)", DatasetPage),
    ("steward/grants", GrantsPage),
    ("steward/grants/new", NewGrantPage),
    (r"steward/grants/([^/]+)", GrantPage),
    (r"steward/grants/([^/]+)/withdraw", WithdrawGrantPage),
    (r"steward/grants/([^/]+)/materialise", MaterialiseGrantPage),
    ("api/datasets", DatasetsApi),
    (r"api/datasets/([^/]+)", DatasetApi),
    ("api/grants", GrantsApi),
    (r"api/grants/([^/]+)", GrantApi),
    (r"api/grants/([^/]+)/withdraw", WithdrawGrantApi),
    (r"api/grants/([^/]+)/materialise", MaterialiseGrantApi),
    *JOB_ROUTES,
]
