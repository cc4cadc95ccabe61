"""Kubernetes names and label values for labgate's objects, collision-free by construction.

Kubernetes names (namespaces, claims, volumes) are DNS-1123 labels: at most 63 lowercase
letters, digits and hyphens, starting and ending with a letter or digit. Label values
allow 63 characters of letters, digits, `-`, `_` and `.`. labgate's codes
(`labgate.names.validate_code`) already fit, but a readable part alone is not enough:
kubespawner's advisory GHSA-v7m9-9497-p9gr came from two different inputs escaping to one
name. So every name built here ends in a fixed-length hash of the *whole* input, and the
readable part is only a courtesy to the operator reading `kubectl get ns`.
"""

from __future__ import annotations

import hashlib
import re

from labgate.names import validate_code

#: Longest DNS-1123 label (namespace, Service, label value).
DNS_LABEL_MAX = 63
#: Hex digits of the SHA-256 suffix: 2**40 names before a collision is even likely.
HASH_LENGTH = 10

DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_NOT_DNS = re.compile(r"[^a-z0-9]+")

#: Label keys that labgate sets on everything it creates; the audit log records them.
LABEL_PART_OF = "app.kubernetes.io/part-of"
LABEL_MANAGED_BY = "app.kubernetes.io/managed-by"
LABEL_COMPONENT = "app.kubernetes.io/component"
LABEL_PROJECT = "labgate.io/project"
LABEL_PERSON = "labgate.io/person"
LABEL_SERVER = "labgate.io/server"
LABEL_DATA_STORE = "labgate.io/data-store"
PART_OF = "labgate"


def short_hash(value: str) -> str:
    """The first HASH_LENGTH hex digits of SHA-256 over `value` (UTF-8)."""
    return hashlib.sha256(value.encode("utf-8")).hexdigest()[:HASH_LENGTH]


def dns_slug(readable: str, *, key: str | None = None, max_length: int = DNS_LABEL_MAX) -> str:
    """A DNS-1123 label `<readable part>-<hash of key>` of at most `max_length` characters.

    `key` defaults to `readable`; the hash always covers all of it, so two different keys
    give different names even when their readable parts are cut to the same prefix or
    lose different characters to the alphabet.
    """
    key = readable if key is None else key
    suffix = short_hash(key)
    room = max_length - len(suffix) - 1
    if room < 1:
        raise ValueError(f"max_length {max_length} leaves no room for a readable part.")
    part = _NOT_DNS.sub("-", readable.lower()).strip("-")[:room].rstrip("-")
    return f"{part}-{suffix}" if part else f"x-{suffix}"


def namespace_name(prefix: str, project: str) -> str:
    """The namespace of one project's workspaces, e.g. `labgate-fam-2026-<hash>`.

    `prefix` is an operator setting (a DNS label, at most 20 characters); `project` is a
    validated project code. The hash covers both, so two hubs with different prefixes
    never share a namespace either.
    """
    validate_code(project, "project")
    if not prefix or len(prefix) > 20 or not DNS_LABEL.match(prefix):
        raise ValueError(
            f"The namespace prefix {prefix!r} is not a DNS label of 1 to 20 characters; "
            "set LabgateKubeSpawner.namespace_prefix to e.g. 'labgate'."
        )
    return dns_slug(f"{prefix}-{project}", key=f"{prefix}\0{project}")


def code_label(code: str, noun: str) -> str:
    """A validated code (project, dataset) as a label value, unchanged so selectors read it."""
    return validate_code(code, noun)


def name_label(name: str) -> str:
    """Any other name (a person's hub name, a server name) as `<slug>-<hash>`, always.

    Never the name itself, even when it would be a valid label value: otherwise a name
    chosen to equal another name's slug would collide with it.
    """
    return dns_slug(name)


def volume_name(kind: str, code: str) -> str:
    """The name of a pod volume (a DNS label), e.g. `data-income-<hash>` for a dataset."""
    return dns_slug(f"{kind}-{code}", key=f"{kind}\0{code}")
