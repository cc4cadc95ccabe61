"""Pure parts: the workspace spec, the bwrap command line, the uid/gid tables."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from labgate.datastore.layout import DataStore
from labgate.sandbox.bwrap import bwrap_argv, launcher_argv
from labgate.sandbox.uids import HostIds, IdRange, RangeExhausted
from labgate.workspace import (
    HostPaths,
    WorkspaceSettings,
    build_workspace_spec,
    parse_bind,
)

STORE = DataStore(Path("/srv/store"))
SETTINGS = WorkspaceSettings(
    cmd=("jupyterhub-singleuser",), extra_ro_binds=(("/opt/env", "/opt/env"),)
)


def spec(datasets: tuple[str, ...] = ("ind", "bef", "bef")):  # type: ignore[no-untyped-def]
    return build_workspace_spec(
        person="o'brien", project="fam", datasets=datasets, store=STORE,
        host=HostPaths(home="/st/homes/ws7", runtime="/st/run/ws7"), uid=7, gid=8,
        settings=SETTINGS,
    )  # fmt: skip


@pytest.mark.requirement("DATA-8")
def test_spec_mounts_each_granted_dataset_read_only_and_nothing_else_of_the_store() -> None:
    assert spec().mount_list() == [
        {"source": "/srv/store/projects/fam/data/bef", "target": "/data/bef", "mode": "ro"},
        {"source": "/srv/store/projects/fam/data/ind", "target": "/data/ind", "mode": "ro"},
        {"source": "/srv/store/projects/fam/work", "target": "/work", "mode": "rw"},
        {"source": "/st/homes/ws7", "target": "/home/researcher", "mode": "rw"},
        {"source": "/st/run/ws7", "target": "/run/labgate", "mode": "rw"},
    ]
    assert spec().server_name == "fam" and spec().datasets == ("bef", "ind")
    assert not [k for k in spec().env if "TOKEN" in k or "DB" in k]


@pytest.mark.parametrize(
    ("entry", "expected"),
    [("/opt/env", ("/opt/env", "/opt/env")), ("/a/venv:/opt/v", ("/a/venv", "/opt/v"))],
)
def test_extra_binds_parse(entry: str, expected: tuple[str, str]) -> None:
    assert parse_bind(entry) == expected


@pytest.mark.parametrize("entry", ["/work/main/.venv", "/x:/data/x", "rel", "/a:/", "/a/../b"])
def test_extra_binds_never_cover_the_workspace_own_paths(entry: str) -> None:
    with pytest.raises(ValueError, match="extra_ro_binds"):
        parse_bind(entry)


@pytest.mark.requirement("WS-2")
def test_bwrap_argv_isolates_and_drops_to_the_workspace_uid() -> None:
    argv = bwrap_argv(spec(), seccomp_fd=3, bwrap="/usr/bin/bwrap")
    for flag in ("--unshare-pid", "--unshare-net", "--new-session", "--die-with-parent"):
        assert flag in argv
    assert "--share-net" not in argv
    assert argv[argv.index("--seccomp") + 1] == "3" and argv.index("--seccomp") < argv.index("--")
    assert argv[argv.index("--cap-drop") + 1] == "ALL"
    i = argv.index("/usr/bin/setpriv")
    assert argv[i : i + 7] == [
        "/usr/bin/setpriv", "--reuid=7", "--regid=8", "--clear-groups", "--inh-caps=-all",
        "--no-new-privs", "--",
    ]  # fmt: skip
    assert argv[-1] == "jupyterhub-singleuser"
    binds = [argv[j + 1 : j + 3] for j, a in enumerate(argv) if a in ("--bind", "--ro-bind")]
    assert ["/srv/store/projects/fam/data/bef", "/data/bef"] in binds
    assert not [b for b in binds if b[0] in ("/srv/store", "/srv/store/vault")]


def test_launcher_joins_cgroups_before_exec_and_keeps_secrets_off_the_command_line() -> None:
    argv = launcher_argv(
        ["bwrap"], marker="labgate-sandbox:ws7", cgroup_procs=["/cg/x/cgroup.procs"],
        seccomp_fd=3, seccomp_file="/st/sandboxes/seccomp-x86_64-ab.bpf",
    )  # fmt: skip
    assert argv[:2] == ["/bin/sh", "-c"]
    assert "echo $$ > /cg/x/cgroup.procs" in argv[2]
    assert argv[2].endswith('exec "$@" 3< /st/sandboxes/seccomp-x86_64-ab.bpf')
    assert argv[3:] == ["labgate-sandbox:ws7", "bwrap"]


def test_launcher_quotes_the_seccomp_file_and_refuses_an_unusable_descriptor() -> None:
    argv = launcher_argv(["bwrap"], marker="m", seccomp_fd=4, seccomp_file="/a b/f;x")
    assert argv[2].endswith("""exec "$@" 4< '/a b/f;x'""")
    for fd in (2, 10):
        with pytest.raises(ValueError, match="seccomp_fd"):
            launcher_argv(["bwrap"], marker="m", seccomp_fd=fd, seccomp_file="/f")


def test_uids_are_persistent_distinct_and_never_reused(tmp_path: Path) -> None:
    ids = HostIds(tmp_path, IdRange(200000, 50), IdRange(300000, 10))
    with ThreadPoolExecutor(8) as pool:
        got = list(pool.map(lambda n: ids.for_workspace(n, n % 3), range(40)))
    assert len({g.uid for g in got}) == 40
    assert {g.gid for g in got} == {300000, 300001, 300002}
    again = HostIds(tmp_path, IdRange(200000, 50), IdRange(300000, 10))
    assert [again.for_workspace(n, n % 3) for n in range(40)] == got


def test_an_exhausted_range_names_the_setting(tmp_path: Path) -> None:
    ids = HostIds(tmp_path, IdRange(200000, 1), IdRange(300000, 10))
    ids.for_workspace(1, 1)
    with pytest.raises(RangeExhausted) as caught:
        ids.for_workspace(2, 1)
    assert "uid_range_size" in caught.value.log_message


def test_overlapping_ranges_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="overlap"):
        HostIds(tmp_path, IdRange(200000, 200000), IdRange(300000, 10))
