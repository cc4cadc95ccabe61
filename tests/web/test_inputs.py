"""The input checks every area shares: numbers in addresses and the grant body's shape."""

from __future__ import annotations

import pytest

from labgate.errors import InvalidInput, NotFound
from labgate.web.grant_input import grant_input
from labgate.web.inputs import MAX_ID, number_in_address
from labgate.web.manager import membership_number
from labgate.web.officer import number_value


def test_a_number_in_an_address_is_a_row_number_or_names_nothing() -> None:
    assert number_in_address("7", "grant") == 7
    assert number_in_address(str(MAX_ID), "grant") == MAX_ID
    for text in ("0", "-1", "1.5", "x", "", "١٢", str(MAX_ID + 1), "0" * 11):
        with pytest.raises(NotFound, match="There is no grant with the number"):
            number_in_address(text, "grant")


def test_thousands_of_digits_read_as_not_found_not_as_a_crash() -> None:
    """Python refuses to parse more than 4300 digits (ValueError): a long address is still
    an object that does not exist, in every area."""
    digits = "9" * 5000
    with pytest.raises(NotFound):
        number_in_address(digits, "control", reason="no-review")
    with pytest.raises(NotFound):
        membership_number(digits)
    with pytest.raises(InvalidInput):
        number_value(digits, "after", 1, MAX_ID)


def test_a_grant_body_with_a_year_of_thousands_of_digits_is_a_clear_error() -> None:
    body = {"project": "p", "dataset": "bef", "variables": ["pnr"], "years": ["9" * 5000]}
    with pytest.raises(InvalidInput, match="four-digit years"):
        grant_input(body)
    assert grant_input({**body, "years": [" 2022 ", 2021]}).years == (2021, 2022)
