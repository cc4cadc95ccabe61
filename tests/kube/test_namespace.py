"""One namespace per project, with Pod Security "restricted" enforced by the API server."""

from __future__ import annotations

from labgate.kube.namespace import build_namespace
from tests.kube.factories import settings
from tests.kube.validation import assert_valid


def test_the_project_namespace_enforces_the_restricted_pod_security_standard() -> None:
    namespace = build_namespace("fam-2026", settings())
    assert_valid(namespace)
    labels = namespace["metadata"]["labels"]
    assert labels["pod-security.kubernetes.io/enforce"] == "restricted"
    assert labels["labgate.io/project"] == "fam-2026"
    assert namespace["metadata"]["name"] == "labgate-fam-2026-647501da42"


def test_two_projects_never_share_a_namespace() -> None:
    first = build_namespace("fam-2026", settings())["metadata"]["name"]
    second = build_namespace("fam-2027", settings())["metadata"]["name"]
    assert first != second
