"""The admin's pages and API (issue 5): institutions and their scheme authorisations,
people and the authorisation register with its full history, projects (create, renew with
a per-grant keep/remove review, extend, expire) and memberships.

Two locks, both asked on every request: the hub scope (`register:read|write`,
`projects:read|write`) and the policy's `may_administer(staff, institution)` for the
institution the object belongs to; an admin of one institution finds nothing of another
("not found"). Whether a change may be made at all is decided inside the services
(`services.institutions|people|projects`, with `policy.identity|projects`); this module
checks the input's shape, calls the same service functions for the page and the API, and
shows the service's sentence when it refuses. Every write is audited, refusals included.
A person's authenticator app (AUTH-4) is registered from the person page too, by
`web.admin_second_factor`.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Final

from sqlalchemy.orm import Session
from tornado import web

from labgate.errors import Conflict, InvalidInput, LabgateError, NotFound
from labgate.names import CODE_MAX_LENGTH, CODE_PATTERN
from labgate.policy.admin_access import admin_reach, may_administer_all
from labgate.policy.staff import StaffFacts, may_administer
from labgate.services import admin_views as views
from labgate.services import lookup
from labgate.services.audited import audited_write
from labgate.services.institutions import authorise_institution, create_institution
from labgate.services.people import (
    USERNAME_PATTERN,
    create_person,
    end_authorisation,
    grant_authorisation,
)
from labgate.services.projects import (
    add_membership,
    create_project,
    end_membership,
    expire_project,
    extend_project,
    renew_project,
)
from labgate.vocabulary import MemberRole, Scheme
from labgate.web.base import ApiHandler, LabgateHandler, status_for
from labgate.web.inputs import CONTROL, MAX_ID, MAX_ITEMS, MAX_TEXT, number_in_address
from labgate.web.scopes import scope

#: Flash sentences after a redirect, by a fixed key (never text taken from the address).
DONE: Final = {
    "institution": "The institution was created.",
    "authorised": "The institution's authorisation was recorded.",
    "person": "The person was created.",
    "granted": "The authorisation was granted.",
    "ended": "The authorisation was ended; it stays in the register.",
    "project": "The project was created.",
    "renewed": "The project was renewed.",
    "extended": "The project database was extended.",
    "expired": "The project was expired.",
    "member": "The membership was added.",
    "left": "The membership was ended.",
    "app-removed": "The authenticator app was removed.",
    "app-removed-locked": (
        "The authenticator app was removed. The person's institution requires a one-time "
        "code at login: they cannot log in until a new app is registered."
    ),
}

#: What a list page's "new" form starts with: nothing chosen yet.
NOTHING: Final[Mapping[str, Any]] = {}
#: What `AdminPage.made` answers for a refused write (its page is shown already).
REFUSED: Final = object()

# --- access ------------------------------------------------------------------------------


def _scope_for(area: str, write: bool) -> str:
    return f"{area}:{'write' if write else 'read'}"


def enter(handler: LabgateHandler, area: str, *, write: bool = False) -> StaffFacts:
    """The hub scope and being an admin somewhere: the door to the admin area."""
    return handler.require(_scope_for(area, write), may_administer)


def reach_of(handler: LabgateHandler, area: str) -> frozenset[str] | None:
    return admin_reach(enter(handler, area))


def check_institution(handler: LabgateHandler, area: str, institution: str, write: bool) -> None:
    """The object's institution must be one the admin administers; else 'not found'."""
    handler.require(_scope_for(area, write), lambda s: may_administer(s, institution))


# --- input -------------------------------------------------------------------------------


def object_id(text: str, noun: str) -> int:
    """A number from the address; anything else names nothing."""
    return number_in_address(text, noun)


def path_code(text: str, noun: str) -> str:
    if len(text) > CODE_MAX_LENGTH or not CODE_PATTERN.match(text):
        raise NotFound(f"There is no {noun} with that code.", reason=f"no-such-{noun}")
    return text


def path_username(text: str) -> str:
    if not USERNAME_PATTERN.match(text):
        raise NotFound("There is no person with that username.", reason="no-such-person")
    return text


def text(
    body: Mapping[str, Any], field: str, *, required: bool = True, limit: int = MAX_TEXT
) -> str:
    """Free text without control characters; an empty optional field is ''."""
    value = body.get(field)
    if value is None or value == "":
        if required:
            raise InvalidInput(f"'{field}' is required: fill it in.", reason="missing-" + field)
        return ""
    if not isinstance(value, str):
        raise InvalidInput(f"'{field}' must be text.", reason="invalid-input")
    if len(value) > limit or CONTROL.search(value):
        raise InvalidInput(
            f"'{field}' must be at most {limit} characters of ordinary text "
            "(no control characters).",
            reason="invalid-text",
        )
    if required and not value.strip():
        raise InvalidInput(f"'{field}' is required: fill it in.", reason="missing-" + field)
    return value.strip()


def optional(body: Mapping[str, Any], field: str, limit: int = MAX_TEXT) -> str | None:
    return text(body, field, required=False, limit=limit) or None


def code(body: Mapping[str, Any], field: str, noun: str, *, required: bool = True) -> str:
    value = text(body, field, required=required, limit=200)
    if value and (len(value) > CODE_MAX_LENGTH or not CODE_PATTERN.match(value)):
        raise InvalidInput(
            f"'{field}' is not a {noun} code: use lowercase letters, digits and single "
            "hyphens, for example 'mobility'.",
            reason="invalid-code",
        )
    return value


def username(body: Mapping[str, Any], field: str = "username") -> str:
    value = text(body, field, limit=200)
    if not USERNAME_PATTERN.match(value):
        raise InvalidInput(
            f"'{field}' cannot be a username. Use up to 64 lowercase letters, digits, dots, "
            "hyphens and underscores, starting with a letter or underscore.",
            reason="invalid-username",
        )
    return value


def date(body: Mapping[str, Any], field: str, *, required: bool = True) -> dt.date | None:
    value = text(body, field, required=required, limit=40)
    if not value:
        return None
    try:
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
            raise ValueError(value)
        return dt.date.fromisoformat(value)
    except ValueError:
        raise InvalidInput(
            f"'{field}' is not a date: write it as YYYY-MM-DD, for example 2027-01-31.",
            reason="invalid-date",
        ) from None


def required_date(body: Mapping[str, Any], field: str) -> dt.date:
    value = date(body, field)
    assert value is not None  # required: date() raised otherwise
    return value


def choice(body: Mapping[str, Any], field: str, choices: Iterable[str]) -> str:
    allowed = list(choices)
    value = text(body, field, limit=100)
    if value not in allowed:
        raise InvalidInput(
            f"'{field}' must be one of: {', '.join(allowed)}.", reason="invalid-" + field
        )
    return value


def flag(body: Mapping[str, Any], field: str) -> bool:
    value = body.get(field, False)
    if value in (True, False, "on", "true", "1", "", None):
        return value in (True, "on", "true", "1")
    raise InvalidInput(f"'{field}' must be true or false.", reason="invalid-input")


def ids(values: Any, field: str) -> list[int]:
    """A list of grant numbers (JSON integers, or digit strings from a form)."""
    if not isinstance(values, list) or len(values) > MAX_ITEMS:
        raise InvalidInput(
            f"'{field}' must be a list of grant numbers, for example [3, 4].",
            reason="invalid-" + field,
        )
    found: list[int] = []
    for value in values:
        if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) < 11:
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_ID:
            raise InvalidInput(
                f"'{field}' must be a list of grant numbers, for example [3, 4].",
                reason="invalid-" + field,
            )
        found.append(value)
    return sorted(set(found))


def midnight(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(0), dt.UTC)


# --- the writes (in a thread; audited, refusals too) ---------------------------------------


@dataclass(frozen=True)
class Write:
    """One audited write: what the log calls it, and the service call."""

    type: str
    kind: str
    object: str
    action: Callable[[Session], Any]


def run(handler: LabgateHandler, write: Write) -> Any:
    return audited_write(
        handler.db, handler.actor(), type=write.type, object_kind=write.kind,
        object_id=write.object, action=write.action,
    )  # fmt: skip


def _read(handler: LabgateHandler, fn: Callable[..., Any], *args: Any) -> Any:
    with handler.db.read_session() as s:
        return fn(s, *args)


def new_institution(h: LabgateHandler, body: Mapping[str, Any]) -> Write:
    h.require("register:write", may_administer_all)
    inst = code(body, "code", "institution")
    name, country = text(body, "name", limit=300), text(body, "country", limit=10)
    second = flag(body, "requires_second_factor")
    actor = h.actor()

    def act(s: Session) -> dict[str, Any]:
        create_institution(
            s, actor, code=inst, name=name, country=country, requires_second_factor=second
        )
        return views.institution_detail(s, inst)

    return Write("institution.create", "institution", inst, act)


def new_institution_authorisation(h: LabgateHandler, inst: str, body: Mapping[str, Any]) -> Write:
    scheme = choice(body, "scheme", (s.value for s in Scheme if s is not Scheme.SUB_PROJECT))
    start, until = required_date(body, "valid_from"), required_date(body, "valid_until")
    ref = text(body, "security_policy_ref", limit=300)
    case = optional(body, "case_reference", 100)
    actor = h.actor()

    def act(s: Session) -> dict[str, Any]:
        authorise_institution(
            s, actor, code=inst, scheme=scheme, valid_from=start, valid_until=until,
            security_policy_ref=ref, case_reference=case,
        )  # fmt: skip
        return views.institution_detail(s, inst)

    return Write("institution.authorise", "institution", inst, act)


def new_person(h: LabgateHandler, body: Mapping[str, Any]) -> Write:
    name = username(body)
    inst = code(body, "institution", "institution")
    check_institution(h, "register", inst, write=True)
    full_name = text(body, "full_name", limit=300)
    email = optional(body, "email", 300)
    actor = h.actor()

    def act(s: Session) -> dict[str, Any]:
        create_person(s, actor, username=name, full_name=full_name, institution_code=inst,
                      email=email)  # fmt: skip
        return views.person_detail(s, name, h.now())

    return Write("person.create", "person", name, act)


def new_authorisation(h: LabgateHandler, person: str, body: Mapping[str, Any]) -> Write:
    start, until = required_date(body, "valid_from"), required_date(body, "valid_until")
    case = optional(body, "case_reference", 100)
    actor = h.actor()

    def act(s: Session) -> dict[str, Any]:
        grant_authorisation(s, actor, username=person, valid_from=midnight(start),
                            valid_until=midnight(until), case_reference=case)  # fmt: skip
        return views.person_detail(s, person, h.now())

    return Write("authorisation.grant", "person", person, act)


def ending_authorisation(h: LabgateHandler, number: int, body: Mapping[str, Any]) -> Write:
    reason = text(body, "reason")
    actor = h.actor()

    def act(s: Session) -> dict[str, Any]:
        row = end_authorisation(s, actor, authorisation_id=number, reason=reason)
        return views.authorisation_view(row, h.now())

    return Write("authorisation.end", "authorisation", str(number), act)


def new_project(h: LabgateHandler, body: Mapping[str, Any]) -> Write:
    project = code(body, "code", "project")
    owner = code(body, "owner", "institution")
    check_institution(h, "projects", owner, write=True)
    fields: dict[str, Any] = {
        "title": text(body, "title", limit=300),
        "scheme": choice(body, "scheme", (s.value for s in Scheme)),
        "purpose": text(body, "purpose"),
        "legal_basis_art6": text(body, "legal_basis_art6", limit=100),
        "starts_on": required_date(body, "starts_on"),
        "access_ends_on": date(body, "access_ends_on", required=False),
        "deletion_deadline": date(body, "deletion_deadline", required=False),
        "parent_code": code(body, "parent", "project", required=False) or None,
        "legal_basis_art9": optional(body, "legal_basis_art9", 100),
        "dpia_reference": optional(body, "dpia_reference", 300),
        "dpia_not_needed_reason": optional(body, "dpia_not_needed_reason"),
        "case_reference": optional(body, "case_reference", 100),
    }
    actor = h.actor()

    def act(s: Session) -> dict[str, Any]:
        create_project(s, actor, code=project, owner_code=owner, **fields)
        return views.project_detail(s, project)

    return Write("project.create", "project", project, act)


def renewal(h: LabgateHandler, project: str, body: Mapping[str, Any]) -> Write:
    end = required_date(body, "new_access_end")
    keep, remove = ids(body.get("keep", []), "keep"), ids(body.get("remove", []), "remove")
    case = optional(body, "case_reference", 100)
    actor = h.actor()

    def act(s: Session) -> dict[str, Any]:
        renew_project(s, actor, code=project, new_access_end=end, keep=keep, remove=remove,
                      case_reference=case)  # fmt: skip
        return views.project_detail(s, project)

    return Write("project.renew", "project", project, act)


def extension(h: LabgateHandler, project: str, body: Mapping[str, Any]) -> Write:
    end = required_date(body, "new_access_end")
    case = optional(body, "case_reference", 100)
    actor = h.actor()

    def act(s: Session) -> dict[str, Any]:
        extend_project(s, actor, code=project, new_access_end=end, case_reference=case)
        return views.project_detail(s, project)

    return Write("project.extend", "project", project, act)


def expiry(h: LabgateHandler, project: str, body: Mapping[str, Any]) -> Write:
    reason = text(body, "reason")
    actor = h.actor()

    def act(s: Session) -> dict[str, Any]:
        expire_project(s, actor, code=project, reason=reason)
        return views.project_detail(s, project)

    return Write("project.expire", "project", project, act)


def new_membership(h: LabgateHandler, project: str, body: Mapping[str, Any]) -> Write:
    person = username(body)
    role = choice(body, "role", (r.value for r in MemberRole))
    start = date(body, "valid_from", required=False)
    until = date(body, "valid_until", required=False)
    actor = h.actor()

    def act(s: Session) -> dict[str, Any]:
        row = add_membership(s, actor, code=project, username=person, role=role,
                             valid_from=start, valid_until=until)  # fmt: skip
        return views.membership_view(s, row)

    return Write("membership.add", "project", project, act)


def ending_membership(h: LabgateHandler, number: int, body: Mapping[str, Any]) -> Write:
    actor = h.actor()

    def act(s: Session) -> dict[str, Any]:
        return views.membership_view(s, end_membership(s, actor, membership_id=number))

    return Write("membership.end", "membership", str(number), act)


# --- finding an object's institution (404 when not found or not the admin's) ---------------


async def owned(
    h: LabgateHandler, area: str, write: bool, noun: str, find: Callable[..., str], *args: Any
) -> str:
    """The object's institution, asked only after the door (scope, admin somewhere), so a
    missing object and another institution's object read exactly alike (AUTH-2)."""
    enter(h, area, write=write)
    try:
        inst = str(await h.blocking(_read, h, find, *args))
        check_institution(h, area, inst, write)
    except NotFound:
        raise NotFound(
            f"There is no {noun} by that name or number among those you administer.",
            reason=f"no-such-{noun}",
        ) from None
    return inst


async def person_owned(h: LabgateHandler, text_: str, write: bool) -> str:
    enter(h, "register", write=write)
    person = path_username(text_)
    await owned(h, "register", write, "person", views.institution_of_person, person)
    return person


async def other_person_allowed(h: LabgateHandler, body: Mapping[str, Any]) -> None:
    """A member being added must also be someone this admin administers."""
    person = username(body)
    try:
        inst = await h.blocking(_read, h, views.institution_of_person, person)
    except NotFound:
        return  # the service names the unknown username in its sentence
    try:
        check_institution(h, "projects", inst, write=True)
    except NotFound:
        raise NotFound(
            f"There is no person with the username '{person}'.", reason="no-such-person"
        ) from None


async def project_owned(h: LabgateHandler, text_: str, write: bool) -> str:
    enter(h, "projects", write=write)
    project = path_code(text_, "project")
    await owned(h, "projects", write, "project", views.institution_of_project, project)
    return project


def _institution_code(s: Session, inst: str) -> str:
    return str(views.institution_detail(s, inst)["code"])


async def institution_owned(h: LabgateHandler, text_: str, write: bool) -> str:
    enter(h, "register", write=write)
    inst = path_code(text_, "institution")
    await owned(h, "register", write, "institution", _institution_code, inst)
    if write:  # a scheme authorisation is the global admin's decision
        h.require("register:write", may_administer_all)
    return inst


async def authorisation_owned(h: LabgateHandler, text_: str) -> tuple[int, str]:
    enter(h, "register", write=True)
    number = object_id(text_, "authorisation")
    await owned(h, "register", True, "authorisation", views.institution_of_authorisation, number)
    person = await h.blocking(_read, h, _authorisation_person, number)
    return number, person


def _authorisation_person(s: Session, number: int) -> str:
    row = lookup.authorisation(s, number)
    return lookup.person_by_id(s, row.person_id or 0).username


async def membership_owned(h: LabgateHandler, text_: str) -> tuple[int, str]:
    enter(h, "projects", write=True)
    number = object_id(text_, "membership")
    await owned(h, "projects", True, "membership", views.institution_of_membership, number)
    view = await h.blocking(_read, h, _membership, number)
    return number, str(view["project"])


def _membership(s: Session, number: int) -> dict[str, Any]:
    return views.membership_view(s, lookup.membership(s, number))


# --- pages -------------------------------------------------------------------------------


def form(handler: LabgateHandler) -> dict[str, Any]:
    """A form's fields; keep/remove arrive as lists (one checkbox/radio per grant)."""
    body: dict[str, Any] = {
        name: handler.get_body_argument(name)
        for name in handler.request.body_arguments
        if name not in ("_xsrf", "keep", "remove")
    }
    body["keep"] = handler.get_body_arguments("keep")
    body["remove"] = handler.get_body_arguments("remove")
    for name in handler.request.body_arguments:
        if name.startswith("grant-"):  # the renewal review: one radio per grant
            choice_ = handler.get_body_argument(name)
            if choice_ in ("keep", "remove"):
                body[choice_].append(name.removeprefix("grant-"))
    return body


class AdminPage(LabgateHandler):
    """A page of the admin area; its POST forms answer with the same page when refused."""

    def page(self, template: str, title: str, error: str | None = None, **ns: Any) -> None:
        self.render_page(
            f"labgate/admin/{template}",
            page_title=title,
            flash=DONE.get(self.get_argument("done", "")),
            error=error,
            may_register=scope("register:write") in self.staff.scopes,
            may_projects=scope("projects:write") in self.staff.scopes,
            global_admin=admin_reach(self.staff) is None,
            **ns,
        )

    async def attempt(
        self, write: Callable[[], Write], done: str, show: Callable[[str], Any]
    ) -> None:
        """Make the write; on success go to `done`, else show the page with the sentence."""
        if await self.made(write, show) is not REFUSED:
            self.redirect(self.prefix + done)

    async def made(self, write: Callable[[], Write], show: Callable[[str], Any]) -> Any:
        """The write's result; when refused, the page shown with the sentence, and REFUSED."""
        try:
            return await self.blocking(run, self, write())
        except (InvalidInput, Conflict, NotFound) as error:
            self.set_status(status_for(error) if not isinstance(error, NotFound) else 400)
            await show(str(error))
            return REFUSED


class AdminHome(AdminPage):
    @web.authenticated
    async def get(self) -> None:
        enter(self, "register")
        self.redirect(self.prefix + "admin/people")


class InstitutionsPage(AdminPage):
    async def show(self, error: str | None = None, chosen: Mapping[str, Any] = NOTHING) -> None:
        reach = reach_of(self, "register")
        found = await self.blocking(_read, self, views.list_institutions, reach)
        self.page("institutions.html", "Institutions", error, institutions=found,
                  chosen=chosen)  # fmt: skip

    @web.authenticated
    async def get(self) -> None:
        await self.show()

    @web.authenticated
    async def post(self) -> None:
        self.require("register:write", may_administer_all)
        body = form(self)
        await self.attempt(
            lambda: new_institution(self, body),
            f"admin/institutions/{body.get('code', '')}?done=institution",
            lambda e: self.show(e, body),
        )


class InstitutionPage(AdminPage):
    async def show(self, inst: str, error: str | None = None) -> None:
        found = await self.blocking(_read, self, views.institution_detail, inst)
        schemes = [s.value for s in Scheme if s is not Scheme.SUB_PROJECT]
        self.page("institution.html", f"Institution {inst}", error, inst=found, schemes=schemes)

    @web.authenticated
    async def get(self, text_: str) -> None:
        await self.show(await institution_owned(self, text_, write=False))


class InstitutionAuthorisePage(InstitutionPage):
    @web.authenticated
    async def post(self, text_: str) -> None:
        inst = await institution_owned(self, text_, write=True)
        body = form(self)
        await self.attempt(
            lambda: new_institution_authorisation(self, inst, body),
            f"admin/institutions/{inst}?done=authorised",
            lambda e: self.show(inst, e),
        )


class PeoplePage(AdminPage):
    async def show(self, error: str | None = None, chosen: Mapping[str, Any] = NOTHING) -> None:
        reach = reach_of(self, "register")
        found = await self.blocking(_read, self, views.list_people, reach)
        insts = await self.blocking(_read, self, views.list_institutions, reach)
        self.page("people.html", "People", error, people=found, institutions=insts,
                  chosen=chosen)  # fmt: skip

    @web.authenticated
    async def get(self) -> None:
        await self.show()

    @web.authenticated
    async def post(self) -> None:
        enter(self, "register", write=True)
        body = form(self)
        await self.attempt(
            lambda: new_person(self, body),
            f"admin/people/{body.get('username', '')}?done=person",
            lambda e: self.show(e, body),
        )


class PersonPage(AdminPage):
    async def show(self, person: str, error: str | None = None) -> None:
        found = await self.blocking(_read, self, views.person_detail, person, self.now())
        self.page("person.html", f"Person {person}", error, person=found)

    @web.authenticated
    async def get(self, text_: str) -> None:
        await self.show(await person_owned(self, text_, write=False))


class GrantAuthorisationPage(PersonPage):
    @web.authenticated
    async def post(self, text_: str) -> None:
        person = await person_owned(self, text_, write=True)
        body = form(self)
        await self.attempt(
            lambda: new_authorisation(self, person, body),
            f"admin/people/{person}?done=granted",
            lambda e: self.show(person, e),
        )


class EndAuthorisationPage(PersonPage):
    @web.authenticated
    async def post(self, text_: str) -> None:
        number, person = await authorisation_owned(self, text_)
        body = form(self)
        await self.attempt(
            lambda: ending_authorisation(self, number, body),
            f"admin/people/{person}?done=ended",
            lambda e: self.show(person, e),
        )


class ProjectsPage(AdminPage):
    async def show(self, error: str | None = None, chosen: Mapping[str, Any] = NOTHING) -> None:
        reach = reach_of(self, "projects")
        found = await self.blocking(_read, self, views.list_projects, reach)
        insts = await self.blocking(_read, self, views.list_institutions, reach)
        self.page("projects.html", "Projects", error, projects=found, institutions=insts,
                  schemes=[s.value for s in Scheme], chosen=chosen)  # fmt: skip

    @web.authenticated
    async def get(self) -> None:
        await self.show()

    @web.authenticated
    async def post(self) -> None:
        enter(self, "projects", write=True)
        body = form(self)
        await self.attempt(
            lambda: new_project(self, body),
            f"admin/projects/{body.get('code', '')}?done=project",
            lambda e: self.show(e, body),
        )


class ProjectPage(AdminPage):
    async def show(self, project: str, error: str | None = None) -> None:
        found = await self.blocking(_read, self, views.project_detail, project)
        self.page("project.html", f"Project {project}", error, project=found,
                  roles=[r.value for r in MemberRole])  # fmt: skip

    @web.authenticated
    async def get(self, text_: str) -> None:
        await self.show(await project_owned(self, text_, write=False))


def _project_action(make: Callable[[LabgateHandler, str, Mapping[str, Any]], Write], done: str
                    ) -> type[ProjectPage]:  # fmt: skip
    """A POST form on the project page: renew, extend, expire or add a member."""

    class Action(ProjectPage):
        @web.authenticated
        async def post(self, text_: str) -> None:
            project = await project_owned(self, text_, write=True)
            body = form(self)
            if make is new_membership:
                try:
                    await other_person_allowed(self, body)
                except LabgateError as error:
                    self.set_status(400)
                    await self.show(project, str(error))
                    return
            await self.attempt(
                lambda: make(self, project, body),
                f"admin/projects/{project}?done={done}",
                lambda e: self.show(project, e),
            )

    Action.__name__ = Action.__qualname__ = f"{make.__name__.title()}Page"
    return Action


class EndMembershipPage(ProjectPage):
    @web.authenticated
    async def post(self, text_: str) -> None:
        number, project = await membership_owned(self, text_)
        body = form(self)
        await self.attempt(
            lambda: ending_membership(self, number, body),
            f"admin/projects/{project}?done=left",
            lambda e: self.show(project, e),
        )


# --- API ---------------------------------------------------------------------------------


class AdminApi(ApiHandler):
    """The admin's API handlers (token XSRF exemption: see LabgateHandler)."""

    async def write_(self, write: Write, status: int = 200) -> None:
        self.write_json(await self.blocking(run, self, write), status)


class InstitutionsApi(AdminApi):
    async def get(self) -> None:
        reach = reach_of(self, "register")
        self.write_json(await self.blocking(_read, self, views.list_institutions, reach))

    async def post(self) -> None:
        enter(self, "register", write=True)
        await self.write_(new_institution(self, self.json_body()), 201)


class InstitutionApi(AdminApi):
    async def get(self, text_: str) -> None:
        inst = await institution_owned(self, text_, write=False)
        self.write_json(await self.blocking(_read, self, views.institution_detail, inst))


class InstitutionAuthorisationsApi(AdminApi):
    async def post(self, text_: str) -> None:
        inst = await institution_owned(self, text_, write=True)
        await self.write_(new_institution_authorisation(self, inst, self.json_body()), 201)


class PeopleApi(AdminApi):
    async def get(self) -> None:
        reach = reach_of(self, "register")
        self.write_json(await self.blocking(_read, self, views.list_people, reach))

    async def post(self) -> None:
        enter(self, "register", write=True)
        await self.write_(new_person(self, self.json_body()), 201)


class PersonApi(AdminApi):
    async def get(self, text_: str) -> None:
        person = await person_owned(self, text_, write=False)
        self.write_json(await self.blocking(_read, self, views.person_detail, person, self.now()))


class PersonAuthorisationsApi(AdminApi):
    async def post(self, text_: str) -> None:
        person = await person_owned(self, text_, write=True)
        await self.write_(new_authorisation(self, person, self.json_body()), 201)


class EndAuthorisationApi(AdminApi):
    async def post(self, text_: str) -> None:
        number, _ = await authorisation_owned(self, text_)
        await self.write_(ending_authorisation(self, number, self.json_body()))


class ProjectsApi(AdminApi):
    async def get(self) -> None:
        reach = reach_of(self, "projects")
        self.write_json(await self.blocking(_read, self, views.list_projects, reach))

    async def post(self) -> None:
        enter(self, "projects", write=True)
        await self.write_(new_project(self, self.json_body()), 201)


class ProjectApi(AdminApi):
    async def get(self, text_: str) -> None:
        project = await project_owned(self, text_, write=False)
        self.write_json(await self.blocking(_read, self, views.project_detail, project))


def _project_api(make: Callable[[LabgateHandler, str, Mapping[str, Any]], Write], status: int
                 ) -> type[AdminApi]:  # fmt: skip
    class Action(AdminApi):
        async def post(self, text_: str) -> None:
            project = await project_owned(self, text_, write=True)
            body = self.json_body()
            if make is new_membership:
                await other_person_allowed(self, body)
            await self.write_(make(self, project, body), status)

    Action.__name__ = Action.__qualname__ = f"{make.__name__.title()}Api"
    return Action


class EndMembershipApi(AdminApi):
    async def post(self, text_: str) -> None:
        number, _ = await membership_owned(self, text_)
        await self.write_(ending_membership(self, number, self.json_body()))


ROUTES: list[tuple[str, type[web.RequestHandler]]] = [
    ("admin", AdminHome),
    ("admin/institutions", InstitutionsPage),
    (r"admin/institutions/([^/]+)", InstitutionPage),
    (r"admin/institutions/([^/]+)/authorisations", InstitutionAuthorisePage),
    ("admin/people", PeoplePage),
    (r"admin/people/([^/]+)", PersonPage),
    (r"admin/people/([^/]+)/authorisations", GrantAuthorisationPage),
    (r"admin/authorisations/([^/]+)/end", EndAuthorisationPage),
    ("admin/projects", ProjectsPage),
    (r"admin/projects/([^/]+)", ProjectPage),
    (r"admin/projects/([^/]+)/renew", _project_action(renewal, "renewed")),
    (r"admin/projects/([^/]+)/extend", _project_action(extension, "extended")),
    (r"admin/projects/([^/]+)/expire", _project_action(expiry, "expired")),
    (r"admin/projects/([^/]+)/memberships", _project_action(new_membership, "member")),
    (r"admin/memberships/([^/]+)/end", EndMembershipPage),
    ("api/institutions", InstitutionsApi),
    (r"api/institutions/([^/]+)", InstitutionApi),
    (r"api/institutions/([^/]+)/authorisations", InstitutionAuthorisationsApi),
    ("api/people", PeopleApi),
    (r"api/people/([^/]+)", PersonApi),
    (r"api/people/([^/]+)/authorisations", PersonAuthorisationsApi),
    (r"api/authorisations/([^/]+)/end", EndAuthorisationApi),
    ("api/projects", ProjectsApi),
    (r"api/projects/([^/]+)", ProjectApi),
    (r"api/projects/([^/]+)/renew", _project_api(renewal, 200)),
    (r"api/projects/([^/]+)/extend", _project_api(extension, 200)),
    (r"api/projects/([^/]+)/expire", _project_api(expiry, 200)),
    (r"api/projects/([^/]+)/memberships", _project_api(new_membership, 201)),
    (r"api/memberships/([^/]+)/end", EndMembershipApi),
]
