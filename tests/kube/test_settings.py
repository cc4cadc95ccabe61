"""The data source from configuration: the two accepted forms, and errors that name the key."""

from __future__ import annotations

from typing import Any

import pytest

from labgate.kube.settings import CsiSource, NfsSource, data_source_from_config


@pytest.mark.parametrize(
    ("config", "expected"),
    [
        ({"nfs": {"server": "nfs", "path": "/x"}}, NfsSource(server="nfs", path="/x")),
        (
            {"csi": {"driver": "d", "volumeHandlePrefix": "p", "rootPathAttribute": "rootPath",
                     "rootPath": "/v", "volumeAttributes": {"a": 1},
                     "nodeStageSecretRef": {"namespace": "ns", "name": "s"}}},
            CsiSource(driver="d", volume_handle_prefix="p", volume_attributes={"a": "1"},
                      root_path_attribute="rootPath", root_path="/v",
                      node_stage_secret=("ns", "s")),
        ),
        ({"csi": {"driver": "d", "volumeHandlePrefix": "p"}},
         CsiSource(driver="d", volume_handle_prefix="p")),
    ],
)  # fmt: skip
def test_both_forms_are_read(config: dict[str, Any], expected: object) -> None:
    assert data_source_from_config(config) == expected


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({}, "exactly one key"),
        ({"nfs": {}, "csi": {}}, "exactly one key"),
        ({"hostPath": {"path": "/"}}, "exactly one key"),
        ({"nfs": {"server": "nfs"}}, r"data_source\.nfs needs the key 'path'"),
        ({"csi": {"driver": "d"}}, r"data_source\.csi needs the key 'volumeHandlePrefix'"),
    ],
)
def test_a_wrong_form_names_the_setting(config: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        data_source_from_config(config)
