"""The researcher's page (the service's home) and `GET api/me`: my projects, days left
until end of access, what each holds, and the button that opens its workspace."""

from __future__ import annotations

from typing import Any

from tornado import web

from labgate.services.mine import my_projects
from labgate.web.base import ApiHandler, LabgateHandler
from labgate.web.scopes import scope


def _projects(handler: LabgateHandler, username: str) -> list[dict[str, Any]]:
    with handler.db.read_session() as s:
        return my_projects(s, username, handler.now())


class HomePage(LabgateHandler):
    @web.authenticated
    async def get(self) -> None:
        staff = self.staff
        projects: list[dict[str, Any]] = []
        if scope("workspaces") in staff.scopes:
            projects = await self.blocking(_projects, self, staff.username)
        self.render_page("labgate/home.html", projects=projects)


class MeApi(ApiHandler):
    async def get(self) -> None:
        staff = self.staff
        projects: list[dict[str, Any]] = []
        if scope("workspaces") in staff.scopes:
            projects = await self.blocking(_projects, self, staff.username)
        self.write_json(
            {
                "username": staff.username,
                "institution": staff.institution,
                "roles": sorted(f"{r}@{i or '*'}" for r, i in staff.roles),
                "manages": sorted(staff.managed),
                "scopes": sorted(s for s in staff.scopes if s.startswith("custom:labgate:")),
                "projects": projects,
            }
        )


ROUTES: list[tuple[str, type[web.RequestHandler]]] = [
    ("", HomePage),
    ("api/me", MeApi),
]
