"""labgate.hub.directory against a real slapd: escaping, both bind styles, TLS, faults."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest

from labgate.hub.directory import (
    BindOutcome,
    DirectoryMisconfigured,
    DirectorySettings,
    DirectoryUnreachable,
    check_password,
    user_dn,
    user_filter,
)
from tests.hub.slapd import PEOPLE_DN, TEMPLATE, Slapd, free_port, password

pytestmark = pytest.mark.requirement("AUTH-4")


def by_template(slapd: Slapd, **kw: object) -> DirectorySettings:
    return DirectorySettings("127.0.0.1", slapd.port, bind_dn_templates=(TEMPLATE,), **kw)  # type: ignore[arg-type]


def by_search(slapd: Slapd, attribute: str = "uid", **kw: object) -> DirectorySettings:
    return DirectorySettings(
        "127.0.0.1",
        slapd.port,
        user_search_base=PEOPLE_DN,
        user_attribute=attribute,
        search_user_dn=slapd.search_user_dn,
        search_password=password("reader"),
        **kw,  # type: ignore[arg-type]
    )


# -- pure: what the directory is sent ---------------------------------------------------


@pytest.mark.parametrize(
    ("username", "dn"),
    [
        ("ada", "uid=ada,ou=p"),
        ("a,b", "uid=a\\,b,ou=p"),
        ("plus+sign", "uid=plus\\+sign,ou=p"),
        ("x=y;z", "uid=x\\=y\\;z,ou=p"),
        ('"q"<>', 'uid=\\"q\\"\\<\\>,ou=p'),
        ("back\\slash", "uid=back\\\\slash,ou=p"),
        ("#lead", "uid=\\#lead,ou=p"),
        (" pad ", "uid=\\ pad\\ ,ou=p"),
        ("o'brien", "uid=o'brien,ou=p"),
        ("{username}", "uid={username},ou=p"),
    ],
)
def test_a_username_is_one_escaped_rdn_value(username: str, dn: str) -> None:
    assert user_dn("uid={username},ou=p", username) == dn


@pytest.mark.parametrize(
    ("username", "expected"),
    [
        ("ada", "(uid=ada)"),
        ("*", "(uid=\\2a)"),
        ("*)(uid=*", "(uid=\\2a\\29\\28uid=\\2a)"),
        ("a\\b", "(uid=a\\5cb)"),
        ("nul\x00", "(uid=nul\\00)"),
        ("Nielsen, Bo", "(uid=Nielsen, Bo)"),
    ],
)
def test_a_username_is_a_literal_filter_value(username: str, expected: str) -> None:
    assert user_filter("uid", username) == expected


# -- against slapd ----------------------------------------------------------------------


@pytest.mark.parametrize("uid", ["ada", "o'brien", "a,b", "plus+sign", "back\\slash", "søren"])
def test_bind_with_template_finds_exactly_the_named_entry(slapd: Slapd, uid: str) -> None:
    result = check_password(by_template(slapd), uid, password(uid))
    assert result.outcome is BindOutcome.OK
    assert result.dn is not None and result.dn.endswith("," + PEOPLE_DN)
    wrong = check_password(by_template(slapd), uid, password("ada") + "x")
    assert wrong.outcome is BindOutcome.INVALID_CREDENTIALS


@pytest.mark.parametrize("uid", ["ada", "o'brien", "a,b", "plus+sign", "back\\slash", "søren"])
def test_search_then_bind_finds_exactly_the_named_entry(slapd: Slapd, uid: str) -> None:
    assert check_password(by_search(slapd), uid, password(uid)).ok
    assert not check_password(by_search(slapd), uid, "wrong").ok


def test_search_by_a_cn_with_a_comma(slapd: Slapd) -> None:
    result = check_password(by_search(slapd, "cn"), "Nielsen, Bo", password("bo.nielsen"))
    assert result.ok and result.dn == f"uid=bo.nielsen,{PEOPLE_DN}"


@pytest.mark.parametrize("username", ["*", "*)(uid=*", "twin*", "*)(|(uid=*", "ada)(uid=*"])
def test_filter_syntax_in_a_username_matches_nobody(slapd: Slapd, username: str) -> None:
    # Unescaped, each of these would match several entries (or every one).
    outcome = check_password(by_search(slapd), username, password("ada")).outcome
    assert outcome is BindOutcome.NO_SUCH_USER
    assert not check_password(by_template(slapd), username, password("ada")).ok


def test_a_search_matching_two_entries_is_refused(slapd: Slapd) -> None:
    outcome = check_password(by_search(slapd, "cn"), "Twin Person", password("twin1")).outcome
    assert outcome is BindOutcome.AMBIGUOUS_USER


def test_anonymous_search_works_when_no_search_account_is_set(slapd: Slapd) -> None:
    settings = DirectorySettings("127.0.0.1", slapd.port, user_search_base=PEOPLE_DN)
    assert check_password(settings, "ada", password("ada")).ok


def test_empty_password_is_never_sent() -> None:
    # An unreachable directory proves no bind was attempted: it would raise.
    settings = DirectorySettings("127.0.0.1", free_port(), bind_dn_templates=(TEMPLATE,))
    assert check_password(settings, "ada", "").outcome is BindOutcome.EMPTY_PASSWORD


def test_unreachable_directory_raises_naming_the_setting() -> None:
    settings = DirectorySettings("127.0.0.1", free_port(), bind_dn_templates=(TEMPLATE,))
    with pytest.raises(DirectoryUnreachable) as caught:
        check_password(settings, "ada", "secret")
    assert caught.value.reason == "directory-unreachable"
    assert "server_address" in caught.value.setting


@pytest.fixture
def silent_server() -> Iterator[int]:
    """A port that accepts connections and never answers: a hung directory."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        yield int(listener.getsockname()[1])


def test_a_directory_that_never_answers_times_out_as_unreachable(silent_server: int) -> None:
    settings = DirectorySettings(
        "127.0.0.1",
        silent_server,
        bind_dn_templates=(TEMPLATE,),
        connect_timeout_seconds=0.5,
        receive_timeout_seconds=1,
    )
    with pytest.raises(DirectoryUnreachable):
        check_password(settings, "ada", "secret")


def test_wrong_search_account_password_is_a_configuration_error(slapd: Slapd) -> None:
    settings = DirectorySettings(
        "127.0.0.1",
        slapd.port,
        user_search_base=PEOPLE_DN,
        search_user_dn=slapd.search_user_dn,
        search_password="not-it",
    )
    with pytest.raises(DirectoryMisconfigured) as caught:
        check_password(settings, "ada", password("ada"))
    assert "lookup_dn_search_password" in caught.value.setting


def test_start_tls_verifies_the_server_certificate(slapd_tls: Slapd) -> None:
    assert slapd_tls.ca_file is not None
    verified = DirectorySettings(
        "localhost",
        slapd_tls.port,
        start_tls=True,
        tls_ca_file=str(slapd_tls.ca_file),
        bind_dn_templates=(TEMPLATE,),
    )
    assert check_password(verified, "ada", password("ada")).ok
    # Without the institution's CA the certificate is not trusted: no password is sent.
    untrusted = DirectorySettings(
        "localhost", slapd_tls.port, start_tls=True, bind_dn_templates=(TEMPLATE,)
    )
    with pytest.raises(DirectoryMisconfigured) as caught:
        check_password(untrusted, "ada", password("ada"))
    assert "tls_ca_file" in caught.value.setting


def test_start_tls_against_a_server_without_tls_fails_closed(slapd: Slapd) -> None:
    with pytest.raises(DirectoryMisconfigured):
        check_password(by_template(slapd, start_tls=True), "ada", password("ada"))


def test_a_missing_ca_file_is_a_configuration_error(slapd_tls: Slapd) -> None:
    settings = DirectorySettings(
        "localhost",
        slapd_tls.port,
        start_tls=True,
        tls_ca_file="/nonexistent/ca.pem",
        bind_dn_templates=(TEMPLATE,),
    )
    with pytest.raises(DirectoryMisconfigured):
        check_password(settings, "ada", password("ada"))
