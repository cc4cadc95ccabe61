"""Strict validation of manifests against the official schema of a pinned Kubernetes."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import kubernetes_validate
import pytest

#: The Kubernetes version whose OpenAPI schemas the manifests must satisfy.
KUBERNETES_VERSION = "1.35.0"


def assert_valid(manifest: Mapping[str, Any]) -> None:
    """Fail with the short schema message (not the whole schema) if `manifest` is invalid.

    Strict: a field the schema does not know (a typo, a wrong level) is an error too.
    """
    try:
        kubernetes_validate.validate(dict(manifest), KUBERNETES_VERSION, strict=True)
    except kubernetes_validate.ValidationError as error:
        where = "/".join(str(p) for p in error.path)
        kind = manifest.get("kind")
        pytest.fail(f"{kind} invalid at {where or '<root>'}: {error.message}", pytrace=False)
