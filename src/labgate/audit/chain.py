"""The canonical encoding of an audit event and the hash that chains events (LOG-2).

Each event's hash covers its own fields and the previous event's hash, so changing,
inserting or removing any event breaks every later link, and `verify` finds the first.

Why the encoding is unambiguous (two different events never encode to the same bytes):
the text starts with a fixed version tag, then holds the eleven fields in a fixed order.
An integer is written in decimal and ended by ";" (a decimal number never contains ";").
A string is written as its length in code points, ":", and then exactly that many code
points, so a string may contain ":", ";" or digits without being confused with what
follows. Reading from the left therefore recovers every field, so the text is a one-to-one
function of the event; strict UTF-8 is one-to-one on text. Two events with the same hash
would hence need a SHA-256 collision. Separators alone (say "|") would not be enough:
actor "a|b" with type "c" and actor "a" with type "b|c" would encode alike.
"""

from __future__ import annotations

import hashlib

#: `prev_hash` of the first event.
GENESIS = "0" * 64

#: Changing the encoding means a new tag, so old and new hashes can never be confused.
VERSION_TAG = "labgate-audit-v1;"


def canonical_text(
    prev_hash: str,
    seq: int,
    ts_us: int,
    actor: str,
    actor_kind: str,
    institution: str,
    type: str,
    object_kind: str,
    object_id: str,
    outcome: str,
    detail: str,
) -> str:
    """The text that `event_hash` hashes (see the module docstring for its grammar)."""
    # One f-string: verify runs this a million times, and it is the fastest way to build it.
    return (
        f"{VERSION_TAG}{seq:d};{ts_us:d};"
        f"{len(prev_hash)}:{prev_hash}{len(actor)}:{actor}{len(actor_kind)}:{actor_kind}"
        f"{len(institution)}:{institution}{len(type)}:{type}{len(object_kind)}:{object_kind}"
        f"{len(object_id)}:{object_id}{len(outcome)}:{outcome}{len(detail)}:{detail}"
    )


def event_hash(
    prev_hash: str,
    seq: int,
    ts_us: int,
    actor: str,
    actor_kind: str,
    institution: str,
    type: str,
    object_kind: str,
    object_id: str,
    outcome: str,
    detail: str,
) -> str:
    """SHA-256 (lower-case hex) of the event's canonical text, chained to `prev_hash`."""
    text = canonical_text(
        prev_hash,
        seq,
        ts_us,
        actor,
        actor_kind,
        institution,
        type,
        object_kind,
        object_id,
        outcome,
        detail,
    )
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
