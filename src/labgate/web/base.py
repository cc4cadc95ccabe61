"""What every page and API handler of the labgate service shares.

Identity comes from the hub (HubOAuth: the browser's OAuth cookie, or an API token in the
Authorization header); what the person may do comes from `labgate.policy.staff`, asked
afresh on every request with facts read from labgate's database. XSRF is JupyterHub's own
check (HubOAuth patches it in): a cookie-authenticated request that is not a plain page
view must carry the token, whatever its Sec-Fetch-* headers say.

Errors: a `LabgateError` becomes its status and its sentence (HTML page or JSON body); a
refusal to see something reads exactly like "not found".
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from collections.abc import Callable
from functools import cached_property
from typing import Any, TypeVar

from jinja2 import Environment
from jupyterhub.services.auth import HubOAuth, HubOAuthenticated
from tornado import web

from labgate import clock
from labgate.audit.log import Actor
from labgate.db import Database
from labgate.errors import Conflict, Denied, InvalidInput, LabgateError, NotFound
from labgate.policy.decision import Decision
from labgate.policy.staff import StaffFacts, has_scope, not_found
from labgate.services.staff import staff_facts
from labgate.vocabulary import ActorKind
from labgate.web.scopes import scope

T = TypeVar("T")

STATUS: dict[type[LabgateError], int] = {
    NotFound: 404,
    Denied: 403,
    InvalidInput: 400,
    Conflict: 409,
}


XSRF_REFUSED = (
    "This request was refused: it carries neither a hub API token (Authorization: token ...) "
    "nor the page's XSRF token. Sign in and submit the form from the labgate page, or call "
    "the API with a token."
)


#: On every answer, errors included: no other site may frame a labgate page (a framed form
#: invites clickjacking; the hub's own pages send the same), no browser guesses a type, and
#: nothing is kept in a browser's or proxy's cache: the answers hold register and audit data,
#: which must not outlive the session on a shared or unattended machine.
SECURITY_HEADERS = {
    "Content-Security-Policy": "frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-store",
}


def status_for(error: LabgateError) -> int:
    for cls in type(error).__mro__:
        if cls in STATUS:
            return STATUS[cls]
    return 400


class LabgateHandler(HubOAuthenticated, web.RequestHandler):  # type: ignore[misc]
    """Base of every labgate page and API handler."""

    #: API handlers answer in JSON and never redirect to the login page.
    api = False

    @property
    def hub_auth(self) -> HubOAuth:
        return self.settings["hub_auth"]

    @hub_auth.setter
    def hub_auth(self, value: HubOAuth) -> None:  # HubAuthenticated's setter; unused here
        self.settings["hub_auth"] = value

    @property
    def db(self) -> Database:
        db: Database = self.settings["db"]
        return db

    @property
    def prefix(self) -> str:
        """The service's URL prefix, e.g. /services/labgate/."""
        prefix: str = self.settings["prefix"]
        return prefix

    def set_default_headers(self) -> None:
        """Tornado applies these again when an error clears the answer, so errors get them."""
        for name, value in SECURITY_HEADERS.items():
            self.set_header(name, value)

    def get_login_url(self) -> str:
        if self.api:
            raise web.HTTPError(403, "Authentication with a hub token is required.")
        url: str = super().get_login_url()
        return url

    _identifying = False

    def check_xsrf_cookie(self) -> None:
        """JupyterHub's XSRF check, which exempts token-authenticated requests.

        Tornado runs it before anyone asked who the caller is, and JupyterHub only knows a
        request is token-authenticated once the token was checked: so a request carrying a
        token in its Authorization header is identified first. (A browser cannot send that
        header cross-site without CORS, which the service never grants.) The guard stops
        the re-entry from JupyterHub's own cookie check while identifying.
        """
        if not self._identifying and self.hub_auth.get_token(self, in_cookie=False):
            self._identifying = True
            try:
                _ = self.current_user
            finally:
                self._identifying = False
        try:
            super().check_xsrf_cookie()
        except web.HTTPError as refused:
            # Tornado's own wording ("'_xsrf' argument missing from POST") is no sentence.
            raise web.HTTPError(refused.status_code, XSRF_REFUSED) from refused

    # --- who is asking -------------------------------------------------------------------

    def now(self) -> dt.datetime:
        return clock.now()

    @cached_property
    def staff(self) -> StaffFacts:
        """The signed-in person's facts; 404 for a hub user labgate does not know."""
        user = self.current_user
        if not user:
            raise web.HTTPError(403, "Sign in through the hub first.")
        if user.get("kind", "user") != "user":
            raise NotFound(not_found().message, reason="not-found")
        with self.db.read_session() as s:
            facts = staff_facts(s, user["name"], user.get("scopes", ()), self.now())
        if facts is None:
            raise NotFound(not_found().message, reason="not-found")
        return facts

    def require(self, scope_name: str, *decisions: Callable[[StaffFacts], Decision]) -> StaffFacts:
        """The hub scope, then each policy decision; the first refusal is raised."""
        staff = self.staff
        has_scope(staff, scope(scope_name)).check(NotFound)
        for decide in decisions:
            decide(staff).check(NotFound)
        return staff

    def actor(self) -> Actor:
        staff = self.staff
        return Actor(name=staff.username, kind=ActorKind.PERSON.value,
                     institution=staff.institution)  # fmt: skip

    async def blocking(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run database work off the event loop (SQLite and PostgreSQL calls block)."""
        return await asyncio.to_thread(fn, *args, **kwargs)

    # --- answering -----------------------------------------------------------------------

    @property
    def templates(self) -> Environment:
        env: Environment = self.settings["templates"]
        return env

    def render_page(self, name: str, **namespace: Any) -> None:
        self.finish(self.templates.get_template(name).render(**self._namespace(namespace)))

    def _namespace(self, extra: dict[str, Any], *, signed_in: bool = True) -> dict[str, Any]:
        """What labgate's templates and the hub's page.html read."""
        user = self.current_user if signed_in else None
        staff = self.staff if user else None
        hub = self.settings["hub_prefix"]
        ns = {
            "base_url": hub,
            "prefix": self.prefix,
            "static_url": self.hub_static_url,
            "xsrf_token": self.xsrf_token.decode("ascii") if signed_in else "",
            "xsrf_form_html": self.xsrf_form_html,
            "user": _HubUser(user["name"]) if user else None,
            "staff": staff,
            "scope": lambda name: staff is not None and scope(name) in staff.scopes,
            "logout_url": hub + "logout",
            "login_url": hub + "login",
            "no_spawner_check": True,
            "parsed_scopes": (),
            "services": (),
            "announcement": None,
            "version_hash": "",
        }
        ns.update(extra)
        return ns

    def hub_static_url(self, path: str, include_version: bool = True) -> str:
        """The hub serves its own static files; the pages share its look by linking them."""
        return f"{self.settings['hub_prefix']}static/{path}"

    def write_json(self, value: Any, status: int = 200) -> None:
        self.set_status(status)
        self.set_header("Content-Type", "application/json; charset=UTF-8")
        self.finish(json.dumps(value, default=_json_default, indent=1))

    def json_body(self) -> dict[str, Any]:
        try:
            body = json.loads(self.request.body or b"{}")
        except (ValueError, RecursionError) as error:
            raise InvalidInput(
                "The request body is not valid JSON: send one JSON object.",
                reason="bad-json",
            ) from error
        if not isinstance(body, dict):
            raise InvalidInput("The request body must be one JSON object.", reason="bad-json")
        return body

    def log_exception(self, typ: Any, value: Any, tb: Any) -> None:
        if isinstance(value, LabgateError):
            self.log.info("%s %s: %s", self.request.method, self.request.path, value)
            return
        super().log_exception(typ, value, tb)

    @property
    def log(self) -> Any:
        return self.settings["log"]

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        error = kwargs.get("exc_info", (None, None, None))[1]
        if isinstance(error, LabgateError):
            status_code = status_for(error)
            reason, message = error.reason, str(error)
            self.set_status(status_code)
        elif isinstance(error, web.HTTPError):
            reason = "http-error"
            message = error.log_message or self._reason
        else:
            reason = "server-error"
            message = "Something went wrong on the server; it was logged. Try again later."
        if self.api or self.request.path.startswith(self.prefix + "api/"):
            self.set_header("Content-Type", "application/json; charset=UTF-8")
            self.finish(json.dumps({"status": status_code, "reason": reason, "message": message}))
            return
        page = self.templates.get_template("labgate/error.html")
        extra = {"status_code": status_code, "message": message}
        self.finish(page.render(**self._namespace(extra, signed_in=False)))


class ApiHandler(LabgateHandler):
    """JSON in, JSON out; never a redirect."""

    api = True

    def prepare(self) -> None:
        # Every API route requires a signed-in person (hub token or OAuth cookie + XSRF).
        if not self.current_user:
            raise web.HTTPError(403, "Authentication with a hub token is required.")


class _HubUser:
    """The little of a hub user that the hub's page.html reads."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.json_escaped_name = json.dumps(name)[1:-1]


def _json_default(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, set | frozenset | tuple):
        return sorted(value)
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")
