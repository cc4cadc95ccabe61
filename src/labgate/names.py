"""Names that become paths, server names, hub group names, labels or uids.

A code is the one spelling of an institution, project, dataset or population that is
safe everywhere it goes: a directory name, a JupyterHub named server, a Kubernetes label
value and an LDAP attribute. Rather than escaping it differently in each place, labgate
admits only a small alphabet when the object is created.
"""

from __future__ import annotations

import re

from labgate.errors import InvalidInput

CODE_PATTERN = re.compile(r"^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$")
CODE_MAX_LENGTH = 40


def validate_code(value: str, noun: str) -> str:
    """Return `value` if it is a valid code for a `noun` (e.g. "project"), else raise."""
    if not value or len(value) > CODE_MAX_LENGTH or not CODE_PATTERN.match(value):
        raise InvalidInput(
            f"'{value}' cannot be used as a {noun} code. Use 1 to {CODE_MAX_LENGTH} lowercase "
            "letters, digits and single hyphens, starting with a letter, for example 'fam-2026'.",
            reason="invalid-code",
        )
    return value
