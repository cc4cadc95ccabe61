"""LabgateAuthenticator: the institution's directory checks the password, labgate the rest.

A login passes through, in order:

1. labgate's username rule (before anything reaches the directory);
2. the directory (LDAP, AUTH-4), in a worker thread: a bind with a DN template, or a
   search for the person's entry and then a bind; unreachable means the login fails
   closed with a sentence saying so;
3. labgate's own checks in `labgate.services.login`: an active authorisation (AUTH-1), the
   current terms of use accepted (AUTH-3), a one-time code where the institution requires a
   second factor (AUTH-4); the hub groups become the projects usable now (AUTH-5).

Every login and every refusal is audited (LOG-1). A refusal the person can act on is raised
as `LoginRefused`, which JupyterHub's login page shows as the sentence it carries; a wrong
password returns None, which the page shows as "Invalid username or password".
"""

from __future__ import annotations

import asyncio
import re
from functools import cached_property
from pathlib import Path
from typing import Any, Final

from jupyterhub.auth import Authenticator
from tornado import web
from traitlets import Bool, Float, Int, List, TraitError, Unicode, default, validate

from labgate import clock
from labgate.db import Database
from labgate.errors import Denied
from labgate.hub.directory import (
    BindOutcome,
    DirectoryError,
    DirectoryMisconfigured,
    DirectorySettings,
    check_password,
)
from labgate.services import login
from labgate.vocabulary import Outcome
from labgate.web.scopes import role_definitions

#: The login page (one-time code field, terms of use): add to `c.JupyterHub.template_paths`.
TEMPLATE_DIR: Final = Path(__file__).parent / "templates"

DIRECTORY_DOWN: Final = (
    "Signing in is not possible right now, because the sign-in service cannot reach your "
    "institution's directory. Please try again in a few minutes, and tell your IT support "
    "if it keeps happening."
)
DIRECTORY_MISCONFIGURED: Final = (
    "Signing in is not possible right now, because the connection to your institution's "
    "directory is not set up correctly. Please tell your IT support."
)

#: An RDN in a DN template: `attr={username}` (RFC 4514 attribute type, then the value).
_TEMPLATE_RDN = re.compile(r"^[A-Za-z][A-Za-z0-9-]*=\{username\}(,.+)?$")
_ATTRIBUTE = re.compile(r"^[A-Za-z][A-Za-z0-9-]*$")


class LoginRefused(web.HTTPError):
    """A refusal shown on the login page as `message`; `labgate_reason` is the machine code.

    JupyterHub's login handler renders `jupyterhub_message` in the login form. tornado's own
    `reason` is left alone: it becomes the HTTP status line, not something people read.
    """

    def __init__(self, status: int, message: str, reason: str) -> None:
        super().__init__(status, "login refused: %s", reason)
        self.jupyterhub_message = message
        self.labgate_reason = reason


class LabgateAuthenticator(Authenticator):  # type: ignore[misc]
    """Log in with the institution's directory (LDAP), then labgate's authorisation checks."""

    server_address = Unicode(
        "",
        help="""Host name or IP address of the institution's directory server (LDAP).

        The directory is where the institution keeps its people and their passwords;
        labgate asks it only whether a password is right. Example: `ldap.example.org`.
        """,
    ).tag(config=True)

    server_port = Int(
        help="""TCP port of the directory server. Default: 636 with `use_ssl`, else 389.

        Example: `389`.
        """,
    ).tag(config=True)

    @default("server_port")
    def _default_port(self) -> int:
        return 636 if self.use_ssl else 389

    @validate("server_port")
    def _check_port(self, proposal: dict[str, Any]) -> int:
        port = int(proposal["value"])
        if not 0 < port < 65536:
            raise TraitError(
                f"LabgateAuthenticator.server_port must be a TCP port from 1 to 65535, "
                f"not {port}. Example: 389 (or 636 with use_ssl)."
            )
        return port

    use_ssl = Bool(
        False,
        help="""Talk to the directory over TLS from the first byte (LDAPS, usually port 636).

        The server's certificate is verified against `tls_ca_file` (or the system's CAs).
        Use either this or `start_tls`, not both. Example: `True`.
        """,
    ).tag(config=True)

    start_tls = Bool(
        False,
        help="""Upgrade a plain LDAP connection to TLS (StartTLS) before sending a password.

        The server's certificate is verified against `tls_ca_file` (or the system's CAs).
        Use either this or `use_ssl`, not both. Example: `True`.
        """,
    ).tag(config=True)

    tls_ca_file = Unicode(
        "",
        help="""PEM file of the certificate authority that signed the directory's certificate.

        Empty means the system's trusted CAs. Example: `/etc/ssl/certs/institution-ca.pem`.
        """,
    ).tag(config=True)

    @validate("tls_ca_file")
    def _check_ca_file(self, proposal: dict[str, Any]) -> str:
        path = str(proposal["value"])
        if path and not Path(path).is_file():
            raise TraitError(
                f"LabgateAuthenticator.tls_ca_file must name an existing PEM file, and "
                f"{path!r} does not exist. Example: /etc/ssl/certs/institution-ca.pem."
            )
        return path

    bind_dn_template = List(
        Unicode(),
        help="""Templates of the DN (distinguished name: an entry's full name in the directory)
        to bind as, with `{username}` where the username goes. Tried in order.

        The username is escaped (RFC 4514) before it is put in. Leave empty to find the
        entry by searching instead (`user_search_base`). Example:
        `["uid={username},ou=people,dc=example,dc=org"]`.
        """,
    ).tag(config=True)

    @validate("bind_dn_template")
    def _check_templates(self, proposal: dict[str, Any]) -> list[str]:
        templates = [str(t) for t in proposal["value"]]
        for t in templates:
            if not _TEMPLATE_RDN.match(t):
                raise TraitError(
                    f"LabgateAuthenticator.bind_dn_template entries must start with "
                    f"'<attribute>={{username}}', and {t!r} does not. "
                    "Example: 'uid={username},ou=people,dc=example,dc=org'."
                )
        return templates

    user_search_base = Unicode(
        "",
        help="""Search-then-bind: the DN under which people's entries are searched for.

        Set this when an entry's DN cannot be built from the username (for example in
        Active Directory). The entry whose `user_attribute` equals the username is found,
        and then bound to with the password; no entry, or more than one, refuses the
        login. Takes precedence over `bind_dn_template`. Example: `ou=people,dc=example,dc=org`.
        """,
    ).tag(config=True)

    user_attribute = Unicode(
        "uid",
        help="""Search-then-bind: the attribute that holds the username.

        Example: `uid` (OpenLDAP), `sAMAccountName` (Active Directory).
        """,
    ).tag(config=True)

    @validate("user_attribute")
    def _check_attribute(self, proposal: dict[str, Any]) -> str:
        value = str(proposal["value"])
        if not _ATTRIBUTE.match(value):
            raise TraitError(
                f"LabgateAuthenticator.user_attribute must be an LDAP attribute name "
                f"(letters, digits, hyphens), not {value!r}. Example: uid."
            )
        return value

    lookup_dn_search_user = Unicode(
        "",
        help="""Search-then-bind: the DN of the account that searches for people's entries.

        Empty means an anonymous search, if the directory allows it.
        Example: `cn=labgate-search,ou=services,dc=example,dc=org`.
        """,
    ).tag(config=True)

    lookup_dn_search_password = Unicode(
        "",
        help="""Search-then-bind: the password of `lookup_dn_search_user`.

        Example: read it from a file the hub's configuration loads, not from the chart.
        """,
    ).tag(config=True)

    connect_timeout_seconds = Float(
        5.0,
        help="""Seconds to wait for the directory to accept a connection, and (rounded up)
        for each of its answers. After that the login fails closed. Example: `5`.
        """,
    ).tag(config=True)

    @validate("connect_timeout_seconds")
    def _check_timeout(self, proposal: dict[str, Any]) -> float:
        value = float(proposal["value"])
        if not 0 < value <= 120:
            raise TraitError(
                "LabgateAuthenticator.connect_timeout_seconds must be more than 0 and at "
                f"most 120 seconds, not {value}. Example: 5."
            )
        return value

    db_url = Unicode(
        "",
        help="""URL of labgate's database (people, authorisations, projects, audit log).

        Example: `postgresql://labgate@db.example.org/labgate` or
        `sqlite:////var/lib/labgate/labgate.sqlite`.
        """,
    ).tag(config=True)

    @validate("db_url")
    def _check_db_url(self, proposal: dict[str, Any]) -> str:
        url = str(proposal["value"])
        if url and not url.startswith(("sqlite:///", "postgresql://", "postgresql+psycopg://")):
            raise TraitError(
                "LabgateAuthenticator.db_url must be a sqlite:/// or postgresql:// URL. "
                "Example: postgresql://labgate@db.example.org/labgate."
            )
        return url

    second_factor_window = Int(
        1,
        help="""How many 30-second steps a one-time code (TOTP, RFC 6238) may be from now,
        before or after, to allow for a drifting clock in the person's authenticator app.

        Only for institutions that require a second factor. 0 accepts only the current
        code. Example: `1` (a code is accepted for about 90 seconds).
        """,
    ).tag(config=True)

    @validate("second_factor_window")
    def _check_window(self, proposal: dict[str, Any]) -> int:
        value = int(proposal["value"])
        if not 0 <= value <= 4:
            raise TraitError(
                "LabgateAuthenticator.second_factor_window must be a whole number of "
                f"30-second steps from 0 to 4, not {value}. Example: 1."
            )
        return value

    # JupyterHub's own settings, with labgate's defaults.

    @default("manage_groups")
    def _default_manage_groups(self) -> bool:
        # Hub groups are the projects a person may use now (AUTH-5), nothing else.
        return True

    @default("manage_roles")
    def _default_manage_roles(self) -> bool:
        return True

    async def load_managed_roles(self) -> list[dict[str, Any]]:
        """The labgate-* hub roles and their scopes, from the one scope table.

        The hub loads these at start; logins then only assign them by name. The custom
        scopes they hold must be declared (`c.JupyterHub.custom_scopes`), from the same
        table: see jupyterhub_config.py.
        """
        return role_definitions()

    @default("allow_all")
    def _default_allow_all(self) -> bool:
        # labgate's authorisation register is the allow list: `authenticate` has already
        # refused everyone without an active authorisation.
        return True

    @default("auth_refresh_age")
    def _default_refresh_age(self) -> int:
        # Re-check authorisation and groups at least every minute while a person is active.
        return 60

    @default("refresh_pre_spawn")
    def _default_refresh_pre_spawn(self) -> bool:
        return True

    @default("request_otp")
    def _default_request_otp(self) -> bool:
        # The form cannot know the person's institution before they sign in, so the
        # one-time code field is always shown, and labelled as needed only where required.
        return True

    @default("otp_prompt")
    def _default_otp_prompt(self) -> str:
        return "One-time code (only if your institution requires one):"

    # -- the login --------------------------------------------------------------------

    @cached_property
    def db(self) -> Database:
        if not self.db_url:
            # Without labgate's database nobody can be admitted, nor any attempt audited.
            raise RuntimeError(
                "LabgateAuthenticator.db_url is not set. Example: "
                "c.LabgateAuthenticator.db_url = 'postgresql://labgate@db.example.org/labgate'"
            )
        return Database(self.db_url)

    def normalize_username(self, username: str) -> str:
        return login.normalise_username(username)

    def directory_settings(self) -> DirectorySettings:
        """The directory's settings; raises DirectoryMisconfigured for a combination that
        cannot work (the single traits are checked when they are set)."""
        if not self.server_address:
            raise DirectoryMisconfigured(
                "No directory server is configured.", setting="LabgateAuthenticator.server_address"
            )
        if self.use_ssl and self.start_tls:
            raise DirectoryMisconfigured(
                "use_ssl and start_tls are both set; choose one.",
                setting="LabgateAuthenticator.use_ssl / start_tls",
            )
        if not (self.user_search_base or self.bind_dn_template):
            raise DirectoryMisconfigured(
                "Neither bind_dn_template nor user_search_base is set.",
                setting="LabgateAuthenticator.bind_dn_template / user_search_base",
            )
        return DirectorySettings(
            address=self.server_address,
            port=self.server_port,
            use_ssl=self.use_ssl,
            start_tls=self.start_tls,
            tls_ca_file=self.tls_ca_file or None,
            bind_dn_templates=tuple(self.bind_dn_template),
            user_search_base=self.user_search_base or None,
            user_attribute=self.user_attribute,
            search_user_dn=self.lookup_dn_search_user or None,
            search_password=self.lookup_dn_search_password or None,
            connect_timeout_seconds=self.connect_timeout_seconds,
            receive_timeout_seconds=self.connect_timeout_seconds,
        )

    async def authenticate(
        self, handler: web.RequestHandler | None, data: dict[str, Any]
    ) -> dict[str, Any] | None:
        username = login.normalise_username(str(data.get("username") or ""))
        password = str(data.get("password") or "")
        if not login.is_valid_username(username):
            # Never sent to the directory: it cannot name anyone labgate knows.
            self.log.warning("Login refused: a username outside labgate's username rule.")
            await self._failed(username, "invalid-username")
            return None
        if not password:
            # An empty simple bind is an anonymous bind, which directories accept.
            await self._failed(username, "empty-password")
            return None
        if not await self._password_ok(username, password):
            return None
        attempt = login.LoginAttempt(
            username=username,
            accept_terms=_ticked(data.get("accept_terms")),
            one_time_code=str(data.get("otp") or ""),
        )
        try:
            access = await asyncio.to_thread(
                login.log_in, self.db, attempt, clock.now(), totp_window=self.second_factor_window
            )
        except Denied as refusal:
            self.log.info("Login of %s refused: %s", username, refusal.reason)
            raise LoginRefused(403, refusal.message, refusal.reason) from None
        self.log.info("Login of %s with groups %s", username, ", ".join(access.groups) or "none")
        return _auth_model(access)

    async def _password_ok(self, username: str, password: str) -> bool:
        """Ask the directory, in a worker thread; a directory that cannot answer fails closed."""
        try:
            result = await asyncio.to_thread(
                check_password, self.directory_settings(), username, password
            )
        except DirectoryError as error:
            self.log.error(
                "Login of %s failed closed: %s Check LabgateAuthenticator setting %s.",
                username, error.log_message, error.setting,
            )  # fmt: skip
            await self._failed(username, error.reason, outcome=Outcome.FAILED.value)
            message = DIRECTORY_DOWN if error.reason == "directory-unreachable" else None
            raise LoginRefused(503, message or DIRECTORY_MISCONFIGURED, error.reason) from None
        if result.ok:
            return True
        self.log.warning("Login of %s refused by the directory: %s", username, result.outcome)
        reason = "empty-password" if result.outcome is BindOutcome.EMPTY_PASSWORD else None
        await self._failed(
            username, reason or "invalid-credentials", detail={"directory": result.outcome.value}
        )
        return False

    async def _failed(
        self,
        username: str,
        reason: str,
        *,
        outcome: str = Outcome.DENIED.value,
        detail: dict[str, Any] | None = None,
    ) -> None:
        await asyncio.to_thread(
            login.record_failure, self.db, username, reason, outcome=outcome, detail=detail
        )

    async def refresh_user(
        self, user: Any, handler: web.RequestHandler | None = None
    ) -> bool | dict[str, Any]:
        """Re-check authorisation and terms, and re-sync groups and roles.

        False makes the hub ask the person to log in again (their authorisation ended, or
        new terms wait for acceptance).
        """
        access = await asyncio.to_thread(login.refresh, self.db, user.name, clock.now())
        if access is None:
            self.log.warning("%s is no longer admitted: a new login is required.", user.name)
            return False
        return _auth_model(access)

    def login_terms(self) -> login.TermsInfo | None:
        """The current terms of use, for the login page (a short read of one row)."""
        return login.terms_to_show(self.db, clock.now())


def _ticked(value: object) -> bool:
    """An HTML checkbox sends "on" (or its value attribute) when ticked, nothing otherwise."""
    return str(value or "").strip().lower() in {"on", "yes", "true", "1"}


def _auth_model(access: login.Access) -> dict[str, Any]:
    # With manage_roles the hub strips every role the authenticator does not return,
    # JupyterHub's default "user" role (access to one's own servers) included.
    roles = [{"name": "user"}, *({"name": r} for r in access.roles)]
    return {
        "name": access.username,
        "groups": list(access.groups),
        "roles": roles,
        # Minimal and without secrets: what the spawner may want to show.
        "auth_state": {"institution": access.institution, "terms_version": access.terms_version},
    }
