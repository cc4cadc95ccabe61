"""Names: DNS-1123 labels, readable, and never the same for two different inputs."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from labgate.errors import InvalidInput
from labgate.kube import names


@pytest.mark.parametrize(
    ("prefix", "project", "expected"),
    [
        ("labgate", "fam-2026", "labgate-fam-2026-647501da42"),
        ("labgate", "a", "labgate-a-7350469d49"),
        ("lg", "fam-2026", "lg-fam-2026-8d827f5655"),
        (
            "labgate",
            "a234567890123456789012345678901234567890",
            "labgate-a234567890123456789012345678901234567890-7b2ce0711a",
        ),
    ],
)
def test_namespace_names_are_readable_with_a_hash_suffix(
    prefix: str, project: str, expected: str
) -> None:
    name = names.namespace_name(prefix, project)
    assert name == expected
    assert names.DNS_LABEL.match(name)
    assert len(name) <= names.DNS_LABEL_MAX


@pytest.mark.parametrize(
    ("first", "second"),
    [
        # The readable parts agree, the inputs do not: the hashes keep them apart.
        (("labgate", "a-b"), ("labgate-a", "b")),
        (("labgate", "ab"), ("labgat", "eab")),
        (
            ("labgate", "a234567890123456789012345678901234567890"),
            ("labgate", "a23456789012345678901234567890123456789"),
        ),
    ],
)
def test_namespace_names_of_different_inputs_differ(
    first: tuple[str, str], second: tuple[str, str]
) -> None:
    assert names.namespace_name(*first) != names.namespace_name(*second)


@pytest.mark.parametrize("project", ["", "Fam", "fam_2026", "../vault", "a" * 41, "-a", "a--b"])
def test_a_namespace_is_built_only_for_a_valid_project_code(project: str) -> None:
    with pytest.raises(InvalidInput) as raised:
        names.namespace_name("labgate", project)
    assert raised.value.reason == "invalid-code"


@pytest.mark.parametrize("prefix", ["", "Labgate", "lab_gate", "-lg", "a" * 21])
def test_the_namespace_prefix_must_be_a_short_dns_label(prefix: str) -> None:
    with pytest.raises(ValueError, match="namespace_prefix"):
        names.namespace_name(prefix, "fam-2026")


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("alice", "alice-2bd806c97f"),
        ("Alice@AU.dk", "alice-au-dk-79798fca07"),
        ("alice-au-dk-79798fca07", "alice-au-dk-79798fca07-2c1b9c4d0f"),
        ("@@@", "x-2ec847d8a3"),
        ("Ærø Ø", "r-e4c7b722d0"),
    ],
)
def test_person_labels_always_carry_a_hash_suffix(name: str, expected: str) -> None:
    assert names.name_label(name) == expected


def test_a_name_chosen_to_look_like_another_names_label_gets_a_different_label() -> None:
    """The collision class of GHSA-v7m9-9497-p9gr: escaping must not be reversible by
    choosing a name that is already in escaped form."""
    victim = names.name_label("Alice@AU.dk")
    assert names.name_label(victim) != victim


def test_no_two_of_many_similar_names_share_a_label() -> None:
    alphabet = ["a", "A", "-", "@", ".", "_", "ø"]
    inputs = ["".join(p) for n in range(1, 4) for p in itertools.product(alphabet, repeat=n)]
    labels = {names.name_label(i) for i in inputs}
    assert len(labels) == len(inputs)
    assert all(names.DNS_LABEL.match(label) for label in labels)


def test_codes_are_label_values_unchanged_so_selectors_can_use_them() -> None:
    assert names.code_label("fam-2026", "project") == "fam-2026"
    with pytest.raises(InvalidInput):
        names.code_label("Fam 2026", "project")


codes = st.from_regex(r"[a-z][a-z0-9]{0,9}(-[a-z0-9]{1,9}){0,3}", fullmatch=True).filter(
    lambda c: len(c) <= 40
)


@given(codes, codes, st.sampled_from(["labgate", "lg", "a" * 20]))
def test_namespace_names_are_dns_labels_and_distinct_for_distinct_codes(
    first: str, second: str, prefix: str
) -> None:
    a, b = names.namespace_name(prefix, first), names.namespace_name(prefix, second)
    assert names.DNS_LABEL.match(a) and len(a) <= names.DNS_LABEL_MAX
    assert (a == b) == (first == second)
