"""What every area's request input shares: its limits, and numbers taken from an address.

Each area (admin, steward, manager, officer) checks the shape of its own fields with
sentences that name the field and how to fix it; whether a change may be made is decided
by the policy inside the services, never here.
"""

from __future__ import annotations

import re
from typing import Final

from labgate.errors import NotFound

#: Object numbers are database integers; anything beyond is "no such object", never a crash.
MAX_ID: Final = 2**31 - 1
#: Free text (a justification, a reason, findings).
MAX_TEXT: Final = 4000
#: Items of a list field (variables, years, grant numbers).
MAX_ITEMS: Final = 500
#: Control characters other than tab and line breaks (NUL cannot even be stored).
CONTROL: Final = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def is_object_number(text: str) -> bool:
    """Digits naming a database row. The length is checked first: Python refuses to parse
    more than 4300 digits, and a long address must read as "not found", not fail."""
    return text.isascii() and text.isdigit() and len(text) <= 10 and 1 <= int(text) <= MAX_ID


def number_in_address(text: str, noun: str, *, reason: str | None = None) -> int:
    """An object's number from the address; anything else names nothing (not found)."""
    if not is_object_number(text):
        raise NotFound(
            f"There is no {noun} with the number {text[:20]}.", reason=reason or f"no-such-{noun}"
        )
    return int(text)
