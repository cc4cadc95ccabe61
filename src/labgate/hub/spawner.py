"""labgate's spawners: one workspace per (person, project), checked by policy at every start.

`LabgateSpawnerMixin` is the part every backend shares: the options form (only the
projects this person may use now), the server-side re-check through
`labgate.policy.workspaces.may_start_workspace` (WS-1, AUTH-5), the workspace spec, and
the audit events (workspace.start, workspace.start.denied, data.mount, workspace.stop).
`LabgateSandboxSpawner` runs the spec in a local bubblewrap sandbox.

Never trusted: the form, the REST API's `user_options` and the server name. The project
is the named server's name; `user_options["project"]`, if given, must be the same code.
A request for a project the person may not open is refused with the same reason and
sentence as one for a project that does not exist (the class of dockerspawner
GHSA-hfgr-h3vc-p6c2, where a request could choose what the form never offered).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import html
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlparse

from jupyterhub.spawner import Spawner
from jupyterhub.traitlets import ByteSpecification
from jupyterhub.utils import url_path_join
from sqlalchemy import select
from sqlalchemy.orm import Session
from tornado import web
from traitlets import Float, HasTraits, Integer, List, Unicode, default, validate

from labgate import clock
from labgate.audit.log import Actor, record_as
from labgate.datastore.layout import DataStore
from labgate.db import Database
from labgate.errors import InvalidInput
from labgate.model import Dataset, Grant, Institution, Person, Project
from labgate.names import validate_code
from labgate.policy.decision import Decision, deny
from labgate.policy.facts import ProjectFacts
from labgate.policy.grants import effective_grants
from labgate.policy.workspaces import may_start_workspace, no_such_project, usable_projects
from labgate.sandbox import process, seccomp
from labgate.sandbox.hostdirs import host_paths
from labgate.sandbox.uids import HostIds, IdRange
from labgate.services.facts import institution_facts, person_facts, project_facts, project_grants
from labgate.workspace import (
    HUB_SOCKET,
    SERVER_SOCKET,
    WorkspaceSettings,
    WorkspaceSpec,
    build_workspace_spec,
    parse_bind,
)

#: jupyter_server's default port: the only one it accepts beside --ServerApp.sock.
JUPYTER_DEFAULT_PORT = 8888
#: Where the hub's Python environment appears inside a workspace when it is not under /usr.
ENV_MOUNT = "/opt/labgate/env"


class WorkspaceRefused(web.HTTPError):
    """A start refused by policy.

    A tornado HTTPError, because JupyterHub passes only those through to the spawn page;
    it shows `jupyterhub_message` (the policy's sentence) to the person. `reason` is the
    policy's machine code, and also the HTTP status line's phrase.
    """

    def __init__(self, message: str, *, reason: str, log_message: str | None = None) -> None:
        super().__init__(403, (log_message or message).replace("%", "%%"), reason=reason)
        self.message = message

    @property
    def jupyterhub_message(self) -> str:
        return self.message

    def __str__(self) -> str:
        return self.message


# -- facts from the database (blocking; run in a thread) ------------------------------------


@dataclass(frozen=True)
class StartFacts:
    """What the server found out about one start request."""

    decision: Decision
    actor: Actor
    person_id: int = 0
    project_id: int = 0
    #: Dataset codes of the project's effective grants.
    datasets: tuple[str, ...] = ()
    #: Effective grants whose data is not yet in the project's data area.
    unmaterialised: tuple[int, ...] = ()


def _actor(person: Person | None, username: str, session: Session) -> Actor:
    inst = session.get(Institution, person.institution_id) if person is not None else None
    return Actor(username, "person", inst.code if inst is not None else "")


def gather_start_facts(
    session: Session, username: str, code: str, now: dt.datetime, store: DataStore
) -> StartFacts:
    """Decide a start of `code` by `username` from the database, as of `now`."""
    person = session.scalar(select(Person).where(Person.username == username))
    actor = _actor(person, username, session)
    try:
        validate_code(code, "project")
    except InvalidInput:
        return StartFacts(no_such_project(code), actor)
    project = session.scalar(select(Project).where(Project.code == code))
    if person is None or project is None:
        return StartFacts(no_such_project(code), actor)
    inst = session.get(Institution, person.institution_id)
    assert inst is not None
    decision = may_start_workspace(
        person_facts(session, person),
        institution_facts(session, inst),
        project_facts(session, project),
        now,
    )
    if not decision.allowed:
        return StartFacts(decision, actor, person.id, project.id)
    grants = effective_grants(project_grants(session, project.id))
    codes: dict[int, str] = {
        row.id: row.code for row in session.execute(select(Dataset.id, Dataset.code))
    }
    pending = tuple(
        g.id
        for g in grants
        if _needs_materialising(session, g.id, store, code, codes[g.dataset_id])
    )
    return StartFacts(
        decision, actor, person.id, project.id,
        tuple(sorted({codes[g.dataset_id] for g in grants})), pending,
    )  # fmt: skip


def _needs_materialising(
    session: Session, grant_id: int, store: DataStore, project: str, dataset: str
) -> bool:
    grant = session.get(Grant, grant_id)
    return (
        grant is None
        or grant.materialised_at is None
        or not (store.dataset_dir(project, dataset).is_dir())
    )


def usable_for(session: Session, username: str, now: dt.datetime) -> list[ProjectFacts]:
    person = session.scalar(select(Person).where(Person.username == username))
    if person is None:
        return []
    inst = session.get(Institution, person.institution_id)
    assert inst is not None
    projects = session.scalars(select(Project).where(Project.deleted_at.is_(None)))
    return usable_projects(
        person_facts(session, person),
        institution_facts(session, inst),
        [project_facts(session, p) for p in projects],
        now,
    )


# -- the mixin -------------------------------------------------------------------------------


class LabgateSpawnerMixin(HasTraits):
    """Policy, form, spec and audit for any labgate backend (mix in before a Spawner)."""

    if TYPE_CHECKING:  # provided by jupyterhub.spawner.Spawner
        user: Any
        name: str
        user_options: dict[str, Any]

    db_url = Unicode(
        help="""URL of labgate's policy and audit database, for example
        `sqlite:////var/lib/labgate/labgate.sqlite` or `postgresql://labgate@db/labgate`.
        The same database the `labgate` command and the authenticator use. Required.""",
    ).tag(config=True)

    data_root = Unicode(
        help="""Root directory of the data store (holds `vault/` and `projects/`), for
        example `/srv/labgate/data`. Only a project's granted datasets and its `work/`
        directory are ever mounted into a workspace. Required.""",
    ).tag(config=True)

    state_dir = Unicode(
        "var/state",
        help="""Directory for the spawner's own state: allocated uids and gids, private
        homes, per-workspace runtime sockets, records of running sandboxes. Keep it short
        (socket paths are limited to 107 bytes) and on a local disk. Default `var/state`;
        example `/var/lib/labgate/state`.""",
    ).tag(config=True)

    uid_range_start = Integer(
        200000,
        help="""First host uid given to a workspace. Each (person, project) gets its own
        uid from [start, start + size), allocated once and never reused. Default 200000.""",
    ).tag(config=True)

    uid_range_size = Integer(
        100000,
        help="""How many uids workspaces may use (see `uid_range_start`). Default 100000.""",
    ).tag(config=True)

    gid_range_start = Integer(
        300000,
        help="""First host gid given to a project: its `work/` directory and the project
        directory are group-owned by it, so that only the project's workspaces can reach
        them. Must not overlap the uid range. Default 300000.""",
    ).tag(config=True)

    gid_range_size = Integer(
        100000,
        help="""How many gids projects may use (see `gid_range_start`). Default 100000.""",
    ).tag(config=True)

    # -- helpers -------------------------------------------------------------------------

    _db_cache: dict[str, Database] = {}

    @property
    def labgate_db(self) -> Database:
        """One Database per URL for the whole hub, not one per spawner."""
        if not self.db_url:
            raise RuntimeError("LabgateSandboxSpawner.db_url is not set")
        cache = LabgateSpawnerMixin._db_cache
        if self.db_url not in cache:
            cache[self.db_url] = Database(self.db_url)
        return cache[self.db_url]

    @property
    def data_store(self) -> DataStore:
        if not self.data_root:
            raise RuntimeError("LabgateSandboxSpawner.data_root is not set")
        return DataStore(Path(self.data_root))

    @property
    def host_ids(self) -> HostIds:
        return HostIds(
            Path(self.state_dir),
            IdRange(self.uid_range_start, self.uid_range_size),
            IdRange(self.gid_range_start, self.gid_range_size),
        )

    _labgate_events: list[dict[str, Any]]
    _labgate_done: bool = True

    def _progress_event(self, percent: int, message: str) -> None:
        self._labgate_events.append({"progress": percent, "message": message})

    # -- the form --------------------------------------------------------------------------

    async def labgate_options_form(self) -> str:
        username = self.user.name
        now = clock.now()

        def usable() -> list[ProjectFacts]:
            with self.labgate_db.read_session() as session:
                return usable_for(session, username, now)

        projects = await asyncio.to_thread(usable)
        if not projects:
            return (
                "<p>You have no project you can open a workspace on now. Ask your "
                "project's owner to add you, or check the project's access period.</p>"
            )
        rows = "\n".join(
            f'<label><input type="radio" name="project" value="{html.escape(p.code)}"'
            f"{' checked' if p.code == self.name else ''}> {html.escape(p.code)}</label><br>"
            for p in projects
        )
        return f"<fieldset><legend>Project</legend>\n{rows}\n</fieldset>"

    def options_from_form(self, formdata: dict[str, list[str]]) -> dict[str, str]:
        # Only the shape is checked here; whether the person may use it is checked in start().
        return {"project": (formdata.get("project") or [""])[0]}

    # -- the re-check ----------------------------------------------------------------------

    async def authorise_start(self) -> StartFacts:
        """Re-check the start on the server (WS-1); audit and raise when refused.

        The project is the server's name. `user_options["project"]` (from the form or the
        REST API) must name the same project; if it names another, the start is refused as
        if that project did not exist, whether it does or not.
        """
        username = self.user.name
        chosen = str((self.user_options or {}).get("project") or self.name or "")
        now = clock.now()
        store = self.data_store

        def gather() -> StartFacts:
            with self.labgate_db.read_session() as session:
                return gather_start_facts(session, username, self.name, now, store)

        facts = await asyncio.to_thread(gather)
        if not self.name:
            facts = StartFacts(_no_project_chosen(), facts.actor)
        elif chosen != self.name:
            facts = StartFacts(no_such_project(chosen), facts.actor)
        if not facts.decision.allowed:
            await asyncio.to_thread(self._audit_denied, facts, chosen or self.name)
            raise WorkspaceRefused(
                facts.decision.message,
                reason=facts.decision.reason,
                log_message=f"workspace start of {self.name!r} by {username!r} refused: "
                f"{facts.decision.reason} (user_options={self.user_options!r})",
            )
        return facts

    def _audit_denied(self, facts: StartFacts, code: str) -> None:
        with self.labgate_db.session() as session:
            record_as(
                session, facts.actor, "workspace.start.denied", "project", code,
                outcome="denied",
                detail={"reason": facts.decision.reason, "server": self.name},
            )  # fmt: skip

    async def materialise_pending(self, facts: StartFacts) -> None:
        """Materialise grants not yet in the project's data area (design step 3)."""
        if not facts.unmaterialised:
            return
        from labgate.datastore.materialise import materialise_grant  # needs duckdb

        for grant_id in facts.unmaterialised:
            await asyncio.to_thread(
                materialise_grant, self.labgate_db, self.data_store, facts.actor, grant_id
            )

    def audit_start(
        self,
        facts: StartFacts,
        spec: WorkspaceSpec,
        outcome: str = "ok",
        confinement: dict[str, Any] | None = None,
    ) -> None:
        """`confinement`: what else holds the workspace in, for the data.mount event (the
        sandbox backend's seccomp filter, say)."""
        with self.labgate_db.session() as session:
            record_as(
                session, facts.actor, "data.mount", "project", spec.project, outcome=outcome,
                detail={"server": spec.server_name, "sandbox": spec.sandbox_id,
                        "datasets": list(spec.datasets), "mounts": spec.mount_list(),
                        **(confinement or {})},
            )  # fmt: skip
            record_as(
                session, facts.actor, "workspace.start", "project", spec.project,
                outcome=outcome,
                detail={"server": spec.server_name, "sandbox": spec.sandbox_id,
                        "uid": spec.uid, "gid": spec.gid,
                        "mem_limit_bytes": spec.mem_limit_bytes, "cpu_limit": spec.cpu_limit},
            )  # fmt: skip

    def audit_stop(self, project: str, detail: dict[str, Any]) -> None:
        username = self.user.name
        with self.labgate_db.session() as session:
            person = session.scalar(select(Person).where(Person.username == username))
            record_as(
                session, _actor(person, username, session), "workspace.stop", "project",
                project, detail={"server": self.name, **detail},
            )  # fmt: skip

    async def rename(self, old_name: str, new_name: str) -> None:
        # The server name is the project code; a renamed server would claim another project.
        raise WorkspaceRefused(
            "A workspace is named after its project and cannot be renamed. Stop it and "
            "start the other project's workspace instead.",
            reason="rename-refused",
        )


def _no_project_chosen() -> Decision:
    return deny(
        "no-project-chosen",
        "A workspace belongs to a project. Start it from the list of your projects.",
    )


# -- the local sandbox backend ---------------------------------------------------------------


class LabgateSandboxSpawner(LabgateSpawnerMixin, Spawner):  # type: ignore[misc]
    """Each workspace in a bubblewrap sandbox under its own host uid, with no network."""

    mem_limit = ByteSpecification(
        None,
        allow_none=True,
        help="""Memory limit of one workspace (RAM, without swap), enforced through the
        cgroup memory controller, or as an address-space rlimit where no cgroup is
        writable. Suffixes K, M, G, T. Default none; example `4G`.""",
    ).tag(config=True)

    cpu_limit = Float(
        None,
        allow_none=True,
        help="""CPU limit of one workspace in cores (`1.5` = one and a half), enforced
        through the cgroup cpu controller (CFS quota). Default none; example `2`.""",
    ).tag(config=True)

    bwrap_path = Unicode(
        "bwrap",
        help="""The bubblewrap program (Debian package `bubblewrap`), by name on PATH or as
        an absolute path. Default `bwrap`; example `/usr/bin/bwrap`.""",
    ).tag(config=True)

    extra_ro_binds = List(
        Unicode(),
        help="""Host paths bound read-only into every workspace: `/host/path` (same path
        inside) or `/host/path:/workspace/path`. Nothing may go at or below /data, /work,
        the home or /run/labgate. Default: the hub's Python environment at
        /opt/labgate/env and its base interpreter at its own path (unless under /usr).
        Example `["/opt/conda:/opt/conda"]`.""",
    ).tag(config=True)

    singleuser_cmd = List(
        Unicode(),
        help="""The command that runs the workspace server inside the sandbox; labgate adds
        the socket and root-directory options. Default: the hub's Python with
        `-m jupyterhub.singleuser`; example `["/opt/conda/bin/jupyterhub-singleuser"]`.""",
    ).tag(config=True)

    cgroup_parent = Unicode(
        None,
        allow_none=True,
        help="""cgroup path under which workspaces get their cgroups (`<parent>/labgate/
        <id>`). Default: the hub's own cgroup, so workspaces stay inside the hub's limits;
        example `/labgate.slice`.""",
    ).tag(config=True)

    stop_timeout_seconds = Float(
        5.0,
        help="""Seconds a workspace has to shut down after SIGTERM before it is killed.
        Default 5.""",
    ).tag(config=True)

    @default("extra_ro_binds")
    def _default_binds(self) -> list[str]:
        binds = []
        if not sys.prefix.startswith("/usr/"):
            binds.append(f"{sys.prefix}:{ENV_MOUNT}")
        if sys.base_prefix != sys.prefix and not sys.base_prefix.startswith("/usr/"):
            binds.append(sys.base_prefix)
        return binds

    @default("singleuser_cmd")
    def _default_cmd(self) -> list[str]:
        python = f"{ENV_MOUNT}/bin/python" if not sys.prefix.startswith("/usr/") else sys.executable
        return [python, "-m", "jupyterhub.singleuser"]

    @validate("extra_ro_binds")
    def _check_binds(self, proposal: dict[str, Any]) -> list[str]:
        for entry in proposal["value"]:
            parse_bind(entry)
        return list(proposal["value"])

    # -- state -----------------------------------------------------------------------------

    _sandbox: process.Sandbox | None = None
    sandbox_id = Unicode("")

    def load_state(self, state: dict[str, Any]) -> None:
        super().load_state(state)
        self.sandbox_id = state.get("sandbox_id", "")

    def get_state(self) -> dict[str, Any]:
        state: dict[str, Any] = super().get_state()
        if self.sandbox_id:
            state["sandbox_id"] = self.sandbox_id
        return state

    def clear_state(self) -> None:
        super().clear_state()
        self.sandbox_id = ""
        self._sandbox = None

    # -- spec and environment --------------------------------------------------------------

    def workspace_settings(self) -> WorkspaceSettings:
        binds = tuple(parse_bind(b) for b in self.extra_ro_binds)
        env_bin = [f"{target}/bin" for _, target in binds]
        return WorkspaceSettings(
            cmd=(
                *self.singleuser_cmd,
                f"--ServerApp.sock={SERVER_SOCKET}",
                "--ServerApp.root_dir=/",
                *self.args,
            ),
            extra_ro_binds=binds,
            mem_limit_bytes=int(self.mem_limit) if self.mem_limit else None,
            cpu_limit=self.cpu_limit,
            path_prepend=tuple(env_bin),
        )

    def workspace_hub_env(self) -> tuple[dict[str, str], dict[str, str]]:
        """(plain, secret) JupyterHub variables for the server; the hub API through the
        bridged socket, never a TCP address the sandbox could not reach anyway."""
        hub_env = self.get_env()
        api_url = "http+unix://" + quote(HUB_SOCKET, safe="") + urlparse(self.hub.api_url).path
        plain = {k: v for k, v in hub_env.items() if k.startswith("JUPYTERHUB_")}
        secret = {"JUPYTERHUB_API_TOKEN": plain.pop("JUPYTERHUB_API_TOKEN", "")}
        plain["JUPYTERHUB_API_URL"] = api_url
        # The server listens on --ServerApp.sock only. jupyter_server refuses a socket
        # together with any port but its default, and jupyterhub.singleuser takes the port
        # from this URL: name the default port, which is never bound.
        path = urlparse(plain.get("JUPYTERHUB_SERVICE_URL", "")).path or "/"
        plain["JUPYTERHUB_SERVICE_URL"] = f"http://127.0.0.1:{JUPYTER_DEFAULT_PORT}{path}"
        plain["JUPYTERHUB_ACTIVITY_URL"] = url_path_join(
            api_url, "users", getattr(self.user, "escaped_name", self.user.name), "activity"
        )
        return plain, secret

    def hub_address(self) -> tuple[str, int]:
        url = urlparse(self.hub.api_url)
        host = url.hostname or "127.0.0.1"
        return ("127.0.0.1" if host in ("0.0.0.0", "::") else host), url.port or 80

    # -- lifecycle -------------------------------------------------------------------------

    async def start(self) -> str:
        self._labgate_events = []
        self._labgate_done = False
        try:
            return await self._start()
        finally:
            self._labgate_done = True

    async def _start(self) -> str:
        self._progress_event(10, "Checking your access to the project.")
        facts = await self.authorise_start()
        self._progress_event(30, "Preparing the project's data.")
        await self.materialise_pending(facts)
        ids = await asyncio.to_thread(
            self.host_ids.for_workspace, facts.person_id, facts.project_id
        )
        sandbox_id = f"ws{ids.uid}"
        spec = build_workspace_spec(
            person=self.user.name,
            project=self.name,
            datasets=facts.datasets,
            store=self.data_store,
            host=host_paths(Path(self.state_dir), sandbox_id),
            uid=ids.uid,
            gid=ids.gid,
            settings=self.workspace_settings(),
        )
        plain, secret = self.workspace_hub_env()
        spec = _with_env(spec, plain)
        await self._clean_orphans_once()
        program = self._seccomp_program()
        confinement = {"seccomp": program.audit_detail()}
        # Audited before the sandbox exists: no mount ever happens unrecorded.
        await asyncio.to_thread(self.audit_start, facts, spec, "ok", confinement)
        self._progress_event(60, "Starting the workspace sandbox.")
        try:
            self._sandbox = await process.start_sandbox(
                spec,
                state_dir=Path(self.state_dir),
                secret_env=secret,
                limits=process.detect_limits(self.cgroup_parent),
                bwrap=self.bwrap_path,
                hub_address=self.hub_address(),
                seccomp_program=program,
            )
        except Exception:
            await asyncio.to_thread(self.audit_start, facts, spec, "failed", confinement)
            raise
        self.sandbox_id = spec.sandbox_id
        self._progress_event(80, "Waiting for the workspace server to answer.")
        return self._sandbox.url

    def _seccomp_program(self) -> seccomp.SeccompProgram:
        """This machine's filter. None for it: refused here, before any mount, and the
        operator's log says why (a workspace never runs without the filter)."""
        try:
            return seccomp.for_host()
        except seccomp.UnsupportedArchitecture as e:
            self.log.error("workspace start of %r refused: %s", self.name, e.log_message)
            raise

    #: State directories already swept for orphans by this hub process.
    _swept: set[str] = set()

    async def _clean_orphans_once(self) -> None:
        """On the first start after the hub (re)started, clean sandboxes it left behind.
        Sandboxes this hub started are its children and are never taken for orphans."""
        if self.state_dir in LabgateSandboxSpawner._swept:
            return
        LabgateSandboxSpawner._swept.add(self.state_dir)
        for sandbox_id in await process.clean_orphans(Path(self.state_dir)):
            self.log.warning("Cleaned orphaned workspace sandbox %s", sandbox_id)

    def _current(self) -> process.Sandbox | None:
        if self._sandbox is None and self.sandbox_id:
            self._sandbox = process.attach(Path(self.state_dir), self.sandbox_id)
        return self._sandbox

    async def poll(self) -> int | None:
        sandbox = self._current()
        if sandbox is None:
            return 0
        status = sandbox.poll()
        if status is not None or sandbox.popen is None:
            # Gone, or left by an earlier hub: its hub bridge died with that hub, so it
            # cannot serve; stop what remains of it and report it stopped.
            await sandbox.stop(timeout=1.0)
            return status if status is not None else 0
        return None

    async def stop(self, now: bool = False) -> None:
        sandbox = self._current()
        if sandbox is None:
            return
        await sandbox.stop(timeout=0.5 if now else self.stop_timeout_seconds)
        await asyncio.to_thread(self.audit_stop, self.name, {"sandbox": sandbox.record.sandbox_id})
        self._sandbox = None

    async def progress(self) -> AsyncIterator[dict[str, Any]]:
        seen = 0
        while True:
            events = getattr(self, "_labgate_events", [])
            while seen < len(events):
                yield events[seen]
                seen += 1
            if self._labgate_done:
                return
            await asyncio.sleep(0.1)

    @default("options_form")
    def _default_form(self) -> Any:
        return LabgateSpawnerMixin.labgate_options_form


def _with_env(spec: WorkspaceSpec, extra: dict[str, str]) -> WorkspaceSpec:
    from dataclasses import replace

    return replace(spec, env={**spec.env, **extra})
