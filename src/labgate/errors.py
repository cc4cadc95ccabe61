"""Errors that keep the user's message, the operator's detail and a machine reason apart.

Modelled on JupyterHub's SpawnException: `message` is a full sentence for the person
(what happened and what to do next, never a DN, SQL or traceback), `reason` is a short
stable code tests and API clients match on, `log_message` is detail for the operator.
"""

from __future__ import annotations


class LabgateError(Exception):
    """Base class: a refusal or failure that a person may read."""

    #: The HTTP status an API handler answers with.
    status: int = 400

    def __init__(self, message: str, *, reason: str, log_message: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.reason = reason
        self.log_message = log_message or message

    def __str__(self) -> str:
        return self.message


class InvalidInput(LabgateError):
    """The request itself is malformed (a bad date, an inverted period, a missing field)."""


class NotFound(LabgateError):
    """The object does not exist, or the caller may not know that it exists."""

    status = 404


class Denied(LabgateError):
    """A policy decision refused the action."""

    status = 403


class Conflict(LabgateError):
    """The action contradicts the current state (a fourth manager, an overlapping period)."""

    status = 409
