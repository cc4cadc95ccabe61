"""The canonical encoding of an audit event and the hash that chains events (LOG-2).

Each event's hash covers its own fields and the previous event's hash, so changing,
inserting or removing any event breaks every later link, and `verify` finds the first.

The encoding: a version tag and the eleven fields in a fixed order, joined by NUL
("\\0"); the two integers in decimal. Why it is unambiguous (two different events never
encode alike): no field of an event ever contains NUL. `record` refuses NUL in every text
field, `detail` is canonical JSON (which writes a NUL in a string as the escape "\\u0000"),
the hashes are hex and the integers digits. Splitting the text at its NULs therefore gives
back exactly the tag and the fields, so the text is a one-to-one function of the event,
and strict UTF-8 is one-to-one on text: two events with the same hash would need a
SHA-256 collision. The same counting settles tampering: a stored hash was made from a
text with exactly eleven NULs, and an edited event whose fields held a NUL would encode to
more, so it can never reproduce that text either.

Why NUL-joined and not length-prefixed ("5:alice"): `verify` recomputes a million of these
in about a second per core, and writing eleven lengths doubled the cost of the encoding.
A separator alone would not be enough if fields could hold it (actor "a|b" with type "c"
and actor "a" with type "b|c" would encode alike): it is the absence of NUL that makes it.
"""

from __future__ import annotations

import hashlib

#: `prev_hash` of the first event.
GENESIS = "0" * 64

#: Changing the encoding means a new tag, so old and new hashes can never be confused.
VERSION_TAG = "labgate-audit-v2"


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
    """The text that `event_hash` hashes (see the module docstring for why it is
    one-to-one). Strict about types, so that a value tampered into another type in SQLite
    (a float time, a BLOB or NULL for text) fails here instead of encoding to something:
    `:d` takes only integers, and `str.join` only strings."""
    fields = (
        VERSION_TAG, prev_hash, f"{seq:d}", f"{ts_us:d}", actor, actor_kind, institution, type,
        object_kind, object_id, outcome, detail,
    )  # fmt: skip
    return "\0".join(fields)


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
