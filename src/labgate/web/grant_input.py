"""The body of a grant, as the steward's grant form and API and the manager's extract send it.

Shape only: whether the grant may be made (DATA-4, DATA-5, PROJ-5, INST-3) is decided by
`policy.grants` inside `services.grants`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from labgate.errors import InvalidInput
from labgate.names import CODE_MAX_LENGTH, CODE_PATTERN
from labgate.web.inputs import CONTROL, MAX_ITEMS, MAX_TEXT


@dataclass(frozen=True)
class GrantInput:
    project: str
    dataset: str
    variables: tuple[str, ...]
    years: tuple[int, ...]
    justification: str | None
    population: str | None


def code_field(value: Any, field: str, noun: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InvalidInput(
            f"'{field}' must name a {noun} by its code, for example 'mobility'.",
            reason="invalid-input",
        )
    code: str = value.strip()
    if len(code) > CODE_MAX_LENGTH or not CODE_PATTERN.match(code):
        raise InvalidInput(
            f"'{field}' is not a {noun} code: use lowercase letters, digits and single "
            "hyphens, as the list of codes shows.",
            reason="invalid-code",
        )
    return code


def text_field(value: Any, field: str, *, required: bool = False) -> str | None:
    """Free text (a justification, a reason): a string without control characters."""
    if value is None or (isinstance(value, str) and not value.strip() and not required):
        if required:
            raise InvalidInput(f"Write the {field}.", reason="missing-" + field)
        return None
    if not isinstance(value, str):
        raise InvalidInput(f"The {field} must be text.", reason="invalid-input")
    if len(value) > MAX_TEXT or CONTROL.search(value):
        raise InvalidInput(
            f"The {field} must be at most {MAX_TEXT} characters of ordinary text "
            "(no control characters).",
            reason="invalid-text",
        )
    if required and not value.strip():
        raise InvalidInput(f"Write the {field}.", reason="missing-" + field)
    return value.strip()


def name_list(values: Any) -> tuple[str, ...]:
    if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
        raise InvalidInput(
            '\'variables\' must be a list of variable names, for example ["pnr", "sex"].',
            reason="invalid-input",
        )
    if len(values) > MAX_ITEMS or any(len(v) > 128 or CONTROL.search(v) for v in values):
        raise InvalidInput(
            "'variables' must name the dataset's own variables, each at most once.",
            reason="invalid-input",
        )
    return tuple(dict.fromkeys(v.strip() for v in values if v.strip()))


def year_list(values: Iterable[Any]) -> tuple[int, ...]:
    years: list[int] = []
    for value in values:
        text = value.strip() if isinstance(value, str) else None
        if text is not None and text.isascii() and text.isdigit() and len(text) <= 4:
            value = int(text)
        if isinstance(value, bool) or not isinstance(value, int) or not 1800 <= value <= 2200:
            raise InvalidInput(
                "'years' must be a list of four-digit years the dataset covers, for example "
                "[2022, 2023].",
                reason="invalid-years",
            )
        years.append(value)
    if len(years) > MAX_ITEMS:
        raise InvalidInput("Name each year at most once.", reason="invalid-years")
    return tuple(sorted(set(years)))


def grant_input(body: Mapping[str, Any]) -> GrantInput:
    """The JSON body of `POST api/grants` (or the form's fields), checked for shape only."""
    years = body.get("years")
    if not isinstance(years, list):
        raise InvalidInput(
            "'years' must be a list of four-digit years, for example [2022, 2023].",
            reason="invalid-years",
        )
    population = body.get("population")
    return GrantInput(
        project=code_field(body.get("project"), "project", "project"),
        dataset=code_field(body.get("dataset"), "dataset", "dataset"),
        variables=name_list(body.get("variables")),
        years=year_list(years),
        justification=text_field(body.get("justification"), "justification"),
        population=None
        if population in (None, "")
        else code_field(population, "population", "population"),
    )
