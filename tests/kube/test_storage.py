"""The project's data volume and claim, and the mounts a workspace gets (DATA-8)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from labgate.kube.settings import KubeSettings
from labgate.kube.storage import (
    MountOutsideProject,
    build_data_claim,
    build_data_volume,
    build_volumes,
)
from labgate.workspace import Mount
from tests.kube.factories import CEPHFS, PLAIN_CSI, STORE_ROOT, settings, spec
from tests.kube.validation import assert_valid

SOURCES = [
    pytest.param(settings(), id="nfs"),
    pytest.param(settings(data_source=CEPHFS), id="cephfs"),
    pytest.param(settings(data_source=PLAIN_CSI), id="plain-csi"),
]


@pytest.mark.parametrize("cluster", SOURCES)
def test_volume_and_claim_are_valid_and_bound_to_each_other(cluster: KubeSettings) -> None:
    volume = build_data_volume("fam-2026", cluster)
    claim = build_data_claim("fam-2026", cluster)
    assert_valid(volume)
    assert_valid(claim)
    assert volume["spec"]["claimRef"] == {
        "namespace": claim["metadata"]["namespace"],
        "name": claim["metadata"]["name"],
    }
    assert claim["spec"]["volumeName"] == volume["metadata"]["name"]
    assert claim["spec"]["storageClassName"] == volume["spec"]["storageClassName"] == ""


@pytest.mark.parametrize("cluster", SOURCES)
def test_deleting_anything_never_deletes_the_shared_data(cluster: KubeSettings) -> None:
    """kubespawner#880: no owner that garbage collection could follow, and Retain."""
    volume = build_data_volume("fam-2026", cluster)
    claim = build_data_claim("fam-2026", cluster)
    assert volume["spec"]["persistentVolumeReclaimPolicy"] == "Retain"
    assert "ownerReferences" not in volume["metadata"]
    assert "ownerReferences" not in claim["metadata"]


@pytest.mark.parametrize(
    ("cluster", "source"),
    [
        (
            settings(),
            {"nfs": {"server": "nfs.example.org", "path": "/exports/labgate/projects/fam-2026"}},
        ),
        (
            settings(data_source=CEPHFS),
            {
                "csi": {
                    "driver": "cephfs.csi.ceph.com",
                    "volumeHandle": "labgate-labgate-fam-2026-647501da42",
                    "volumeAttributes": {
                        "clusterID": "ceph-1",
                        "fsName": "research",
                        "staticVolume": "true",
                        "rootPath": "/volumes/labgate/projects/fam-2026",
                    },
                    "nodeStageSecretRef": {"namespace": "ceph-csi", "name": "csi-cephfs-secret"},
                }
            },
        ),
        (
            settings(data_source=PLAIN_CSI),
            {
                "csi": {
                    "driver": "files.csi.example.org",
                    "volumeHandle": "store-labgate-fam-2026-647501da42",
                    "volumeAttributes": {},
                }
            },
        ),
    ],
)
def test_a_project_volume_is_narrowed_to_the_project_where_the_driver_allows(
    cluster: KubeSettings, source: dict[str, object]
) -> None:
    spec_ = build_data_volume("fam-2026", cluster)["spec"]
    assert {k: spec_[k] for k in source} == source


@pytest.mark.requirement("DATA-8")
@pytest.mark.parametrize(
    ("cluster", "prefix"),
    [(settings(), ""), (settings(data_source=PLAIN_CSI), "projects/fam-2026/")],
)
def test_granted_datasets_are_read_only_subpaths_and_work_is_writable(
    cluster: KubeSettings, prefix: str
) -> None:
    _, mounts = build_volumes(spec(datasets=("income", "bef")), STORE_ROOT, cluster)
    data = [m for m in mounts if m["name"] == "labgate-data"]
    assert data == [
        {"name": "labgate-data", "mountPath": "/data/bef", "subPath": f"{prefix}data/bef",
         "readOnly": True},
        {"name": "labgate-data", "mountPath": "/data/income",
         "subPath": f"{prefix}data/income", "readOnly": True},
        {"name": "labgate-data", "mountPath": "/work", "subPath": f"{prefix}work",
         "readOnly": False},
    ]  # fmt: skip


@pytest.mark.requirement("DATA-8")
def test_without_grants_only_work_home_and_scratch_are_mounted() -> None:
    volumes, mounts = build_volumes(spec(datasets=()), STORE_ROOT, settings())
    assert [m["mountPath"] for m in mounts] == ["/tmp", "/work", "/home/researcher", "/run/labgate"]
    assert [v["name"] for v in volumes] == ["labgate-data", "home", "tmp", "runtime"]


@pytest.mark.requirement("DATA-8")
@pytest.mark.parametrize(
    "source",
    [
        f"{STORE_ROOT}/vault/keys/fam-2026",
        f"{STORE_ROOT}/vault",
        f"{STORE_ROOT}/projects/other/data/income",
        f"{STORE_ROOT}/projects/fam-2026/data",
        f"{STORE_ROOT}/projects/fam-2026",
        f"{STORE_ROOT}/projects/fam-2026/data/income/part-0.parquet",
        f"{STORE_ROOT}/projects/fam-2026/data/..",
        "/etc",
        STORE_ROOT,
    ],
)
def test_a_spec_mount_outside_the_projects_data_and_work_is_refused(source: str) -> None:
    bad = replace(spec(), mounts=(*spec().mounts, Mount(source, "/data/x")))
    with pytest.raises(MountOutsideProject):
        build_volumes(bad, STORE_ROOT, settings())


@pytest.mark.requirement("DATA-8")
def test_a_dataset_stays_read_only_even_if_a_spec_asked_to_write_it() -> None:
    source = f"{STORE_ROOT}/projects/fam-2026/data/income"
    odd = replace(spec(datasets=()), mounts=(Mount(source, "/data/income", writable=True),))
    _, mounts = build_volumes(odd, STORE_ROOT, settings())
    assert [m["readOnly"] for m in mounts if m["name"] == "labgate-data"] == [True]


@pytest.mark.requirement("WS-6")
@pytest.mark.parametrize(("medium", "expected"), [("Memory", {"medium": "Memory"}), ("", {})])
def test_home_and_scratch_stay_in_memory_unless_the_operator_chooses_disk(
    medium: str, expected: dict[str, str]
) -> None:
    volumes, _ = build_volumes(spec(), STORE_ROOT, settings(scratch_medium=medium))
    for volume in volumes[1:]:
        assert {k: v for k, v in volume["emptyDir"].items() if k != "sizeLimit"} == expected
