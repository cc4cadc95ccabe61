"""What the admin's authenticator-app page and API make of a registration (AUTH-4)."""

from __future__ import annotations

import pytest

from labgate.services.people import SecondFactorEnrolment
from labgate.web.admin_second_factor import grouped, shown_once

SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXQ"


@pytest.mark.requirement("AUTH-4")
@pytest.mark.parametrize(
    ("secret", "size", "shown"),
    [
        (SECRET, 4, "JBSW Y3DP EHPK 3PXP JBSW Y3DP EHPK 3PXQ"),
        ("ABCDEF", 4, "ABCD EF"),
        ("ABC", 4, "ABC"),
        ("", 4, ""),
        ("ABCDEF", 3, "ABC DEF"),
    ],
)
def test_the_secret_is_shown_in_groups_to_read_aloud(secret: str, size: int, shown: str) -> None:
    assert grouped(secret, size) == shown
    assert shown.replace(" ", "") == secret


@pytest.mark.requirement("AUTH-4")
def test_the_api_answers_the_secret_its_uri_and_whether_it_replaced_one() -> None:
    uri = f"otpauth://totp/labgate:tove?secret={SECRET}&issuer=labgate"
    enrolment = SecondFactorEnrolment("tove", SECRET, uri, replaced=True, required=False)
    assert shown_once(enrolment) == {
        "username": "tove", "secret": SECRET, "uri": uri, "replaced": True, "required": False,
    }  # fmt: skip
