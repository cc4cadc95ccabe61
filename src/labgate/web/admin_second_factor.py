"""The admin's register of authenticator apps (AUTH-4), part of the admin area: on the
person page, a form registers one (a first one, or a replacement after a lost phone) or
removes it; the API's `POST api/people/{username}/second-factor` and
`POST api/people/{username}/second-factor/remove` do the same.

The same two locks as the person page's other writes: the hub scope `register:write` and
`may_administer` for the person's institution, so another institution's person reads
exactly like nobody. `services.people` draws and stores the secret and audits the act
(refusals too, through `audited_write`), never the secret itself.

The secret leaves the service once, in the answer to the POST that registered it: the page
is answered directly (a redirect would carry the secret in an address, and so into logs and
the browser's history), every answer says `Cache-Control: no-store` (`web.base`), and
nothing here logs it. The person page afterwards shows only whether an app is registered.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from sqlalchemy.orm import Session
from tornado import web

from labgate.services import admin_views as views
from labgate.services.people import SecondFactorEnrolment, enrol_second_factor, remove_second_factor
from labgate.web.admin import (
    REFUSED,
    AdminApi,
    PersonPage,
    Write,
    flag,
    form,
    person_owned,
    run,
    text,
)
from labgate.web.base import LabgateHandler
from labgate.web.qr import qr_drawing

#: The name an authenticator app shows next to the codes, unless the admin names another.
ISSUER: Final = "labgate"
#: Characters of the secret read out together (base32: 32 characters, 8 groups).
GROUP: Final = 4


def grouped(secret: str, size: int = GROUP) -> str:
    """The secret in groups of `size` characters, to read aloud or type without losing place.
    Authenticator apps ignore the spaces."""
    return " ".join(secret[i : i + size] for i in range(0, len(secret), size))


def shown_once(enrolment: SecondFactorEnrolment) -> dict[str, Any]:
    """What the API answers about a registration: the only time the secret leaves labgate."""
    return {
        "username": enrolment.username,
        "secret": enrolment.secret,
        "uri": enrolment.provisioning_uri,
        "replaced": enrolment.replaced,
        "required": enrolment.required,
    }


# --- the writes (in a thread; audited, refusals too) ---------------------------------------


def registration(h: LabgateHandler, person: str, body: Mapping[str, Any]) -> Write:
    """Register an app; one already registered is replaced only when `replace` is true."""
    replace = flag(body, "replace")
    issuer = text(body, "issuer", required=False, limit=100) or ISSUER
    actor = h.actor()

    def act(s: Session) -> SecondFactorEnrolment:
        return enrol_second_factor(s, actor, person, issuer=issuer, replace=replace)

    return Write("person.second-factor-enrol", "person", person, act)


def removal(h: LabgateHandler, person: str) -> Write:
    actor = h.actor()

    def act(s: Session) -> dict[str, Any]:
        remove_second_factor(s, actor, person)
        return views.person_detail(s, person, h.now())

    return Write("person.second-factor-remove", "person", person, act)


# --- pages ---------------------------------------------------------------------------------


class RegisterAppPage(PersonPage):
    """Answers the form with the secret itself, never with a redirect (see the module)."""

    @web.authenticated
    async def post(self, text_: str) -> None:
        person = await person_owned(self, text_, write=True)
        body = form(self)
        enrolment = await self.made(
            lambda: registration(self, person, body), lambda e: self.show(person, e)
        )
        if enrolment is REFUSED:
            return
        self.page(
            "second_factor.html",
            f"Authenticator app for {person}",
            enrolment=enrolment,
            secret=grouped(enrolment.secret),
            qr=qr_drawing(enrolment.provisioning_uri),
        )


class RemoveAppPage(PersonPage):
    @web.authenticated
    async def post(self, text_: str) -> None:
        person = await person_owned(self, text_, write=True)
        found = await self.made(lambda: removal(self, person), lambda e: self.show(person, e))
        if found is REFUSED:
            return
        done = "app-removed-locked" if found["second_factor_required"] else "app-removed"
        self.redirect(f"{self.prefix}admin/people/{person}?done={done}")


# --- API -----------------------------------------------------------------------------------


class SecondFactorApi(AdminApi):
    async def post(self, text_: str) -> None:
        person = await person_owned(self, text_, write=True)
        enrolment = await self.blocking(run, self, registration(self, person, self.json_body()))
        self.write_json(shown_once(enrolment), 201)


class RemoveSecondFactorApi(AdminApi):
    async def post(self, text_: str) -> None:
        person = await person_owned(self, text_, write=True)
        await self.write_(removal(self, person))


ROUTES: list[tuple[str, type[web.RequestHandler]]] = [
    (r"admin/people/([^/]+)/second-factor", RegisterAppPage),
    (r"admin/people/([^/]+)/second-factor/remove", RemoveAppPage),
    (r"api/people/([^/]+)/second-factor", SecondFactorApi),
    (r"api/people/([^/]+)/second-factor/remove", RemoveSecondFactorApi),
]
