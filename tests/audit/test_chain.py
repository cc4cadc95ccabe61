"""The canonical encoding is one-to-one, so one hash stands for one event."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from labgate.audit.chain import GENESIS, canonical_text, event_hash

FIELDS = ("actor", "person", "au", "login", "session", "s1", "ok", "{}")


def test_separators_inside_fields_cannot_shift_a_boundary() -> None:
    # With plain separators these two would encode alike.
    a = event_hash(GENESIS, 1, 0, "a|b", "person", "", "c", "k", "o", "ok", "{}")
    b = event_hash(GENESIS, 1, 0, "a", "person", "", "b|c", "k", "o", "ok", "{}")
    assert a != b
    c = event_hash(GENESIS, 1, 0, "a1:x", "person", "", "", "k", "o", "ok", "{}")
    d = event_hash(GENESIS, 1, 0, "a", "1:xperson", "", "", "k", "o", "ok", "{}")
    assert c != d


def test_hash_is_lower_case_hex_sha256_and_chains_to_prev() -> None:
    h = event_hash(GENESIS, 1, 5, *FIELDS)
    assert len(h) == 64 and int(h, 16) >= 0 and h == h.lower()
    assert event_hash(h, 2, 6, *FIELDS) != event_hash(GENESIS, 2, 6, *FIELDS)


def _decode(text: str) -> tuple[object, ...]:
    """The inverse of canonical_text on fields without NUL: the proof, by construction,
    that the encoding is one-to-one on what `record` can write."""
    tag, prev, seq, ts, *rest = text.split("\0")
    assert tag == "labgate-audit-v2"
    return (int(seq), int(ts), prev, *rest)


# Everything but NUL, which `record` refuses in every field (see test_log).
tricky = st.text(alphabet=st.sampled_from(["a", "1", ":", ";", "|", "é", "😀", "\n", "\\", "0"]))


@given(
    st.integers(1, 2**62), st.integers(-(2**62), 2**62), st.lists(tricky, min_size=9, max_size=9)
)
def test_canonical_text_decodes_back_to_the_fields(seq: int, ts: int, strings: list[str]) -> None:
    text = canonical_text(strings[0], seq, ts, *strings[1:])
    assert _decode(text) == (seq, ts, *strings)


def test_a_field_holding_nul_cannot_reproduce_an_honest_encoding() -> None:
    honest = canonical_text(GENESIS, 1, 0, "alice", "person", "au", *FIELDS[3:])
    # Moving a boundary needs a NUL inside a field, which adds one NUL to the text.
    forged = canonical_text(GENESIS, 1, 0, "alice\0person", "au", "", *FIELDS[3:])
    assert forged.count("\0") == honest.count("\0") + 1
    assert forged != honest


@pytest.mark.parametrize("value", [1.0, b"alice", None])
def test_encoding_refuses_values_of_the_wrong_type(value: object) -> None:
    with pytest.raises((TypeError, ValueError)):
        if isinstance(value, float):
            canonical_text(GENESIS, 1, value, *FIELDS)  # type: ignore[arg-type]
        else:
            canonical_text(GENESIS, 1, 0, value, *FIELDS[1:])  # type: ignore[arg-type]
