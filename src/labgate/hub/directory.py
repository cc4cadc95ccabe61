"""A thin, blocking wrapper around ldap3: does this password belong to this directory user?

An institution's directory (LDAP) is the only judge of passwords (AUTH-4). This module asks
it one question and answers with a typed result; labgate's own checks come afterwards, in
`labgate.services.login`. Every call here blocks on the network, so the authenticator runs
it in a worker thread, never on the hub's event loop.

Every value that reaches the directory is escaped, even though the authenticator has already
refused usernames outside labgate's username rule (defence in depth): a username becomes an
RFC 4514 attribute value inside a DN (`escape_rdn`) or an RFC 4515 assertion value inside a
search filter (`escape_filter_chars`), never directory syntax.

A directory that cannot be reached raises `DirectoryUnreachable`; a configuration the
directory refuses (the search account's password, TLS) raises `DirectoryMisconfigured`.
Both make the login fail closed; neither is ever read as "wrong password".
"""

from __future__ import annotations

import contextlib
import enum
import math
import ssl
from dataclasses import dataclass
from typing import Any

import ldap3
from ldap3.core import exceptions as ldap_errors
from ldap3.utils.conv import escape_filter_chars
from ldap3.utils.dn import escape_rdn

#: LDAP result codes (RFC 4511 section 4.1.9) that mean "the server cannot serve now", not
#: "these credentials are wrong": busy (51), unavailable (52), unwillingToPerform (53).
_SERVER_UNAVAILABLE = frozenset({51, 52, 53})
_INVALID_CREDENTIALS = 49


class BindOutcome(enum.StrEnum):
    OK = "ok"
    #: The password is wrong, or no entry has this name: the person reads the same for both.
    INVALID_CREDENTIALS = "invalid-credentials"
    #: The search found no entry for the username.
    NO_SUCH_USER = "no-such-user"
    #: The search found more than one entry: refuse rather than guess who is logging in.
    AMBIGUOUS_USER = "ambiguous-user"
    #: An empty password: never sent, because an empty simple bind is an anonymous bind
    #: (RFC 4513 section 5.1.2) and servers answer it with success.
    EMPTY_PASSWORD = "empty-password"


@dataclass(frozen=True)
class BindResult:
    outcome: BindOutcome
    #: The DN the person was bound as (None unless `outcome` is OK); for the operator's log.
    dn: str | None = None

    @property
    def ok(self) -> bool:
        return self.outcome is BindOutcome.OK


class DirectoryError(Exception):
    """The directory could not answer; `setting` names the configuration to check."""

    reason = "directory-error"

    def __init__(self, log_message: str, *, setting: str) -> None:
        super().__init__(log_message)
        self.log_message = log_message
        self.setting = setting


class DirectoryUnreachable(DirectoryError):
    """No connection, a timeout, or a server that says it is unavailable."""

    reason = "directory-unreachable"


class DirectoryMisconfigured(DirectoryError):
    """The directory answered, but refused labgate's own settings (search account, TLS)."""

    reason = "directory-misconfigured"


@dataclass(frozen=True)
class DirectorySettings:
    """Where the directory is and how to find a person's entry (see LabgateAuthenticator)."""

    address: str
    port: int
    use_ssl: bool = False
    start_tls: bool = False
    tls_ca_file: str | None = None
    #: DN templates with a `{username}` placeholder, tried in order (bind with a template).
    bind_dn_templates: tuple[str, ...] = ()
    #: Search-then-bind: where to search, and which attribute holds the username.
    user_search_base: str | None = None
    user_attribute: str = "uid"
    search_user_dn: str | None = None
    search_password: str | None = None
    connect_timeout_seconds: float = 5.0
    receive_timeout_seconds: float = 10.0

    @property
    def url(self) -> str:
        return f"{'ldaps' if self.use_ssl else 'ldap'}://{self.address}:{self.port}"


def user_dn(template: str, username: str) -> str:
    """The DN of `username` under `template`; the username is escaped as one RDN value."""
    return template.format(username=escape_rdn(username))


def user_filter(attribute: str, username: str) -> str:
    """A search filter matching exactly `username` in `attribute`; wildcards stay literal."""
    return f"({attribute}={escape_filter_chars(username)})"


def check_password(settings: DirectorySettings, username: str, password: str) -> BindResult:
    """Bind as `username` with `password`: search-then-bind if a search base is set,
    otherwise each DN template in turn. Raises DirectoryError if the directory cannot answer.
    """
    if not password:
        return BindResult(BindOutcome.EMPTY_PASSWORD)
    if settings.user_search_base:
        found = _find_user_dn(settings, username)
        if isinstance(found, BindOutcome):
            return BindResult(found)
        candidates: tuple[str, ...] = (found,)
    else:
        candidates = tuple(user_dn(t, username) for t in settings.bind_dn_templates)
    for dn in candidates:
        if _bind(settings, dn, password):
            return BindResult(BindOutcome.OK, dn)
    return BindResult(BindOutcome.INVALID_CREDENTIALS)


def _find_user_dn(settings: DirectorySettings, username: str) -> str | BindOutcome:
    conn = _connection(settings, settings.search_user_dn, settings.search_password)
    try:
        _open(conn, settings)
        if settings.search_user_dn and not _bind_result(conn, settings):
            raise DirectoryMisconfigured(
                f"The directory at {settings.url} refused the search account "
                f"{settings.search_user_dn!r}.",
                setting="lookup_dn_search_user / lookup_dn_search_password",
            )
        try:
            conn.search(
                search_base=settings.user_search_base,
                search_filter=user_filter(settings.user_attribute, username),
                search_scope=ldap3.SUBTREE,
                attributes=[],
                # Two are enough to tell "exactly one" from "more than one".
                size_limit=2,
            )
        except ldap_errors.LDAPCommunicationError as error:
            raise _unreachable(settings, error) from error
        entries = [r for r in conn.response or [] if r.get("type") == "searchResEntry"]
    finally:
        _close(conn)
    if not entries:
        return BindOutcome.NO_SUCH_USER
    if len(entries) > 1:
        return BindOutcome.AMBIGUOUS_USER
    return str(entries[0]["dn"])


def _bind(settings: DirectorySettings, dn: str, password: str) -> bool:
    conn = _connection(settings, dn, password)
    try:
        _open(conn, settings)
        return _bind_result(conn, settings)
    finally:
        _close(conn)


def _bind_result(conn: ldap3.Connection, settings: DirectorySettings) -> bool:
    try:
        bound = bool(conn.bind())
    except ldap_errors.LDAPCommunicationError as error:
        raise _unreachable(settings, error) from error
    if bound:
        return True
    code = (conn.result or {}).get("result")
    if code in _SERVER_UNAVAILABLE:
        raise DirectoryUnreachable(
            f"The directory at {settings.url} answered a bind with result {code} "
            f"({(conn.result or {}).get('description')}): it is not serving logins.",
            setting="server_address / server_port",
        )
    return False


def _connection(
    settings: DirectorySettings, user: str | None, password: str | None
) -> ldap3.Connection:
    tls = None
    if settings.use_ssl or settings.start_tls:
        # Verify the server's certificate and name: TLS without verification would hand the
        # person's password to whoever answers on the address.
        try:
            tls = ldap3.Tls(validate=ssl.CERT_REQUIRED, ca_certs_file=settings.tls_ca_file or None)
        except ldap_errors.LDAPSSLConfigurationError as error:
            raise _tls_refused(settings, error) from error
    server = ldap3.Server(
        settings.address,
        port=settings.port,
        use_ssl=settings.use_ssl,
        tls=tls,
        get_info=ldap3.NONE,
        connect_timeout=settings.connect_timeout_seconds,
    )
    return ldap3.Connection(
        server,
        user=user,
        password=password,
        auto_bind=ldap3.AUTO_BIND_NONE,
        # ldap3 packs this into a socket option as whole seconds.
        receive_timeout=max(1, math.ceil(settings.receive_timeout_seconds)),
        raise_exceptions=False,
        read_only=True,
    )


def _open(conn: ldap3.Connection, settings: DirectorySettings) -> None:
    try:
        conn.open()
    except ldap_errors.LDAPCertificateError as error:
        raise _tls_refused(settings, error) from error
    except ldap_errors.LDAPCommunicationError as error:
        raise _unreachable(settings, error) from error
    if settings.start_tls and not settings.use_ssl:
        try:
            started = conn.start_tls()
        except (ldap_errors.LDAPStartTLSError, ldap_errors.LDAPCertificateError) as error:
            raise _tls_refused(settings, error) from error
        except ldap_errors.LDAPCommunicationError as error:
            raise _unreachable(settings, error) from error
        if not started:
            raise _tls_refused(settings, conn.result)


def _close(conn: ldap3.Connection) -> None:
    # The answer is already known; a failed goodbye changes nothing.
    with contextlib.suppress(ldap_errors.LDAPException):
        conn.unbind()


def _unreachable(settings: DirectorySettings, error: Any) -> DirectoryUnreachable:
    return DirectoryUnreachable(
        f"Cannot reach the directory at {settings.url} "
        f"(connect timeout {settings.connect_timeout_seconds:g} s): {error}",
        setting="server_address / server_port",
    )


def _tls_refused(settings: DirectorySettings, error: Any) -> DirectoryMisconfigured:
    return DirectoryMisconfigured(
        f"TLS with the directory at {settings.url} failed: {error}",
        setting="use_ssl / start_tls / tls_ca_file",
    )
