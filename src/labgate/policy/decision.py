"""A policy decision: allowed or not, with a stable reason code and a sentence for people."""

from __future__ import annotations

from dataclasses import dataclass

from labgate.errors import Denied, LabgateError


@dataclass(frozen=True)
class Decision:
    allowed: bool
    #: Short, stable machine code (tests and API clients match on it), e.g. "no-authorisation".
    reason: str
    #: A full sentence a person can read: what is wrong and what to do next.
    message: str

    def __bool__(self) -> bool:
        return self.allowed

    def check(self, error: type[LabgateError] = Denied) -> None:
        """Raise `error` carrying this decision's message and reason unless allowed."""
        if not self.allowed:
            raise error(self.message, reason=self.reason)


def allow(message: str = "Allowed.", reason: str = "ok") -> Decision:
    return Decision(True, reason, message)


def deny(reason: str, message: str) -> Decision:
    return Decision(False, reason, message)


def first_denial(*decisions: Decision) -> Decision:
    """The first refusal among `decisions`, or the last (allowing) one."""
    for decision in decisions:
        if not decision.allowed:
            return decision
    return decisions[-1] if decisions else allow()
